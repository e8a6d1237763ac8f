// The employer portal and the 102 call-centre console: one page over the JSON
// API of docs/portal-api.md, with hash routing (#/employees, #/console, ...).
//
// Rules this file keeps, because the page runs under a strict CSP and shows
// text that comes from users and the server:
// - no innerHTML, no inline handlers or styles, no eval: every node is made
//   with createElement and every text goes in with textContent;
// - every request other than GET sends the session's X-CSRF-Token;
// - every error is shown in the page's language: the API's `code` is looked up in
//   ERRORS below; a code it does not know shows the API's own `message`.

// ---------------------------------------------------------------- strings

const STRINGS = {
  az: {
    title: "İcazə portalı",
    lang: "Dil",
    logout: "Çıxış",
    loading: "Yüklənir…",
    networkError: "Serverə qoşulmaq olmadı. İnternet bağlantısını yoxlayın və yenidən cəhd edin.",
    sessionExpired: "Sessiyanın vaxtı bitdi. Yenidən daxil olun.",
    noSession: "Davam etmək üçün daxil olun.",
    // Login and password.
    loginTitle: "Portala giriş",
    login: "Login",
    password: "Şifrə",
    signIn: "Daxil ol",
    changeTitle: "Şifrəni dəyişin",
    mustChange: "Bu birdəfəlik şifrədir: davam etmək üçün yeni şifrə seçin.",
    oldPassword: "Hazırkı şifrə",
    newPassword: "Yeni şifrə (ən azı 10 simvol)",
    repeatPassword: "Yeni şifrə təkrar",
    tooShort: "Yeni şifrə ən azı 10 simvol olmalıdır.",
    mismatch: "Yeni şifrələr üst-üstə düşmür.",
    save: "Yadda saxla",
    passwordChanged: "Şifrə dəyişdirildi.",
    // Navigation.
    navEmployees: "İşçilər",
    navImport: "İdxal",
    navOrg: "Təşkilat",
    navAudit: "Jurnal",
    navReactivate: "Bərpa",
    navPassword: "Şifrə",
    navConsole: "102 konsolu",
    // Employees.
    employeesTitle: "İşçilər",
    search: "Axtarış (sənəd və ya ad)",
    searchButton: "Axtar",
    status: "Status",
    statusAll: "Hamısı",
    statusActive: "aktiv",
    statusDeactivated: "deaktiv",
    register: "İşçi qeydiyyatı",
    noEmployees: "İşçi tapılmadı.",
    nextPage: "Növbəti səhifə",
    firstPage: "Birinci səhifə",
    document: "Sənəd",
    name: "Ad, soyad",
    position: "Vəzifə",
    zones: "Zonalar",
    zonesTyped: "Zonalar (nömrələr vergüllə: 1, 2)",
    validFrom: "Başlanğıc",
    validUntil: "Son gün",
    validity: "Etibarlılıq",
    plate: "Avtomobil nömrəsi (istəyə görə)",
    plateShort: "Avtomobil nömrəsi",
    serial: "Seriya",
    permit: "İcazə",
    noPermit: "İcazə yoxdur",
    registerTitle: "Yeni işçi",
    editTitle: "İşçini redaktə et",
    registered: "İşçi qeydə alındı, icazə verildi: seriya {0}.",
    updated: "Yeni icazə verildi: seriya {0}. Köhnə icazə ləğv edildi.",
    cancel: "İmtina",
    edit: "Redaktə et",
    delete: "Sil",
    confirmDelete: "{0} silinsin? Onun bütün icazələri ləğv ediləcək.",
    deleted: "İşçi silindi. Ləğv edilən icazələr: {0}.",
    token: "Token",
    qrAlt: "İcazənin QR kodu",
    certificate: "Sertifikat (PDF)",
    qrPng: "QR (PNG)",
    qrSvg: "QR (SVG)",
    trips: "Ezamiyyətlər",
    noTrips: "Ezamiyyət yoxdur.",
    addTrip: "Ezamiyyət əlavə et",
    tripAdded: "Ezamiyyət icazəsi verildi: seriya {0}.",
    back: "Geri",
    pickZone: "Ən azı bir zona seçin.",
    // Import.
    importTitle: "CSV idxalı",
    importHelp: "Başlıq: document,name,position,zones,valid_from,valid_until,plate — zonalar «;» ilə ayrılır.",
    csvFile: "CSV faylı",
    upload: "Yüklə",
    pickFile: "Fayl seçin.",
    importState: "Vəziyyət: {0}",
    stateChecking: "yoxlanılır",
    stateIssuing: "icazələr verilir",
    stateDone: "hazırdır",
    stateFailed: "alınmadı",
    progress: "{0} / {1} sətir",
    imported: "İdxal edildi: {0}.",
    problems: "Problemlər ({0})",
    line: "Sətir",
    message: "Səbəb",
    problemsCut: "İlk {0} problem göstərilir, cəmi {1}.",
    // Organisation.
    orgTitle: "Təşkilat",
    orgName: "Təşkilatın adı",
    taxId: "VÖEN",
    persons: "Səlahiyyətli şəxslər",
    active: "Aktiv",
    yes: "bəli",
    no: "xeyr",
    createdBy: "Kim əlavə edib",
    createdAt: "Nə vaxt",
    deactivate: "Deaktiv et",
    confirmDeactivate: "{0} deaktiv edilsin?",
    delegate: "Səlahiyyət ver",
    delegateTitle: "Yeni səlahiyyətli şəxs",
    oneTimePassword: "{0} üçün birdəfəlik şifrə (yalnız indi göstərilir): ",
    // Audit.
    auditTitle: "Dəyişikliklər jurnalı",
    at: "Vaxt",
    by: "Kim",
    action: "Əməliyyat",
    details: "Təfərrüat",
    more: "Daha çox",
    noEntries: "Qeyd yoxdur.",
    // Reactivate.
    reactivateTitle: "Rejim dəyişikliyindən sonra bərpa",
    reactivateHelp: "Deaktiv edilmiş işçilərə yeni rejim üçün icazə verin.",
    reactivateAll: "Bütün deaktiv işçilər",
    reactivate: "Bərpa et",
    reactivated: "Bərpa edildi: {0}.",
    noDeactivated: "Deaktiv işçi yoxdur.",
    pickEmployee: "Ən azı bir işçi seçin.",
    // Console.
    consoleTitle: "102: dəfn icazəsi",
    zone: "Gediləcək zona",
    from: "Başlanğıc (Bakı vaxtı)",
    until: "Son (Bakı vaxtı)",
    note: "Qeyd",
    issue: "İcazə ver",
    issued: "İcazə verildi: seriya {0}.",
    myPermits: "Verdiyim icazələr",
    openCitizenPage: "Vətəndaş səhifəsində aç",
    revoke: "Ləğv et",
    revokedLabel: "Ləğv edilib",
    revokeReason: "{0} nömrəli icazə niyə ləğv edilir?",
    operator: "Operator",
  },
  ru: {
    title: "Портал İcazə",
    lang: "Язык",
    logout: "Выйти",
    loading: "Загрузка…",
    networkError: "Не удалось связаться с сервером. Проверьте подключение и повторите.",
    sessionExpired: "Сеанс истёк. Войдите снова.",
    noSession: "Войдите, чтобы продолжить.",
    loginTitle: "Вход в портал",
    login: "Логин",
    password: "Пароль",
    signIn: "Войти",
    changeTitle: "Смените пароль",
    mustChange: "Это одноразовый пароль: выберите новый, чтобы продолжить.",
    oldPassword: "Текущий пароль",
    newPassword: "Новый пароль (не менее 10 символов)",
    repeatPassword: "Новый пароль ещё раз",
    tooShort: "Новый пароль должен содержать не менее 10 символов.",
    mismatch: "Новые пароли не совпадают.",
    save: "Сохранить",
    passwordChanged: "Пароль изменён.",
    navEmployees: "Сотрудники",
    navImport: "Импорт",
    navOrg: "Организация",
    navAudit: "Журнал",
    navReactivate: "Восстановление",
    navPassword: "Пароль",
    navConsole: "Консоль 102",
    employeesTitle: "Сотрудники",
    search: "Поиск (документ или имя)",
    searchButton: "Найти",
    status: "Статус",
    statusAll: "Все",
    statusActive: "активен",
    statusDeactivated: "деактивирован",
    register: "Зарегистрировать сотрудника",
    noEmployees: "Сотрудники не найдены.",
    nextPage: "Следующая страница",
    firstPage: "Первая страница",
    document: "Документ",
    name: "Фамилия, имя",
    position: "Должность",
    zones: "Зоны",
    zonesTyped: "Зоны (номера через запятую: 1, 2)",
    validFrom: "С",
    validUntil: "По",
    validity: "Срок действия",
    plate: "Номер автомобиля (необязательно)",
    plateShort: "Номер автомобиля",
    serial: "Серия",
    permit: "Разрешение",
    noPermit: "Нет разрешения",
    registerTitle: "Новый сотрудник",
    editTitle: "Изменить сотрудника",
    registered: "Сотрудник зарегистрирован, разрешение выдано: серия {0}.",
    updated: "Выдано новое разрешение: серия {0}. Старое отозвано.",
    cancel: "Отмена",
    edit: "Изменить",
    delete: "Удалить",
    confirmDelete: "Удалить {0}? Все его разрешения будут отозваны.",
    deleted: "Сотрудник удалён. Отозваны разрешения: {0}.",
    token: "Токен",
    qrAlt: "QR-код разрешения",
    certificate: "Справка (PDF)",
    qrPng: "QR (PNG)",
    qrSvg: "QR (SVG)",
    trips: "Командировки",
    noTrips: "Командировок нет.",
    addTrip: "Добавить командировку",
    tripAdded: "Разрешение на командировку выдано: серия {0}.",
    back: "Назад",
    pickZone: "Выберите хотя бы одну зону.",
    importTitle: "Импорт CSV",
    importHelp: "Заголовок: document,name,position,zones,valid_from,valid_until,plate — зоны через «;».",
    csvFile: "Файл CSV",
    upload: "Загрузить",
    pickFile: "Выберите файл.",
    importState: "Состояние: {0}",
    stateChecking: "проверка",
    stateIssuing: "выдача разрешений",
    stateDone: "готово",
    stateFailed: "ошибка",
    progress: "{0} / {1} строк",
    imported: "Импортировано: {0}.",
    problems: "Проблемы ({0})",
    line: "Строка",
    message: "Причина",
    problemsCut: "Показаны первые {0} проблем из {1}.",
    orgTitle: "Организация",
    orgName: "Название организации",
    taxId: "ВОЕН",
    persons: "Уполномоченные лица",
    active: "Активен",
    yes: "да",
    no: "нет",
    createdBy: "Кем добавлен",
    createdAt: "Когда",
    deactivate: "Деактивировать",
    confirmDeactivate: "Деактивировать {0}?",
    delegate: "Делегировать",
    delegateTitle: "Новое уполномоченное лицо",
    oneTimePassword: "Одноразовый пароль для {0} (показывается только сейчас): ",
    auditTitle: "Журнал изменений",
    at: "Время",
    by: "Кто",
    action: "Действие",
    details: "Подробности",
    more: "Ещё",
    noEntries: "Записей нет.",
    reactivateTitle: "Восстановление после смены режима",
    reactivateHelp: "Выдайте деактивированным сотрудникам разрешения на новый режим.",
    reactivateAll: "Все деактивированные сотрудники",
    reactivate: "Восстановить",
    reactivated: "Восстановлено: {0}.",
    noDeactivated: "Деактивированных сотрудников нет.",
    pickEmployee: "Выберите хотя бы одного сотрудника.",
    consoleTitle: "102: разрешение на похороны",
    zone: "Зона назначения",
    from: "Начало (время Баку)",
    until: "Конец (время Баку)",
    note: "Примечание",
    issue: "Выдать",
    issued: "Разрешение выдано: серия {0}.",
    myPermits: "Мои разрешения",
    openCitizenPage: "Открыть страницу гражданина",
    revoke: "Отозвать",
    revokedLabel: "Отозвано",
    revokeReason: "Почему отзывается разрешение {0}?",
    operator: "Оператор",
  },
  en: {
    title: "İcazə portal",
    lang: "Language",
    logout: "Sign out",
    loading: "Loading…",
    networkError: "Could not reach the server. Check the connection and try again.",
    sessionExpired: "Your session has expired. Please sign in again.",
    noSession: "Please sign in to continue.",
    loginTitle: "Sign in to the portal",
    login: "Login",
    password: "Password",
    signIn: "Sign in",
    changeTitle: "Change your password",
    mustChange: "This is a one-time password: choose a new one to continue.",
    oldPassword: "Current password",
    newPassword: "New password (at least 10 characters)",
    repeatPassword: "New password again",
    tooShort: "The new password must have at least 10 characters.",
    mismatch: "The new passwords differ.",
    save: "Save",
    passwordChanged: "Password changed.",
    navEmployees: "Employees",
    navImport: "Import",
    navOrg: "Organisation",
    navAudit: "Audit log",
    navReactivate: "Reactivate",
    navPassword: "Password",
    navConsole: "102 console",
    employeesTitle: "Employees",
    search: "Search (document or name)",
    searchButton: "Search",
    status: "Status",
    statusAll: "All",
    statusActive: "active",
    statusDeactivated: "deactivated",
    register: "Register an employee",
    noEmployees: "No employees found.",
    nextPage: "Next page",
    firstPage: "First page",
    document: "Document",
    name: "Name",
    position: "Position",
    zones: "Zones",
    zonesTyped: "Zones (numbers, comma separated: 1, 2)",
    validFrom: "From",
    validUntil: "Until",
    validity: "Validity",
    plate: "Car plate (optional)",
    plateShort: "Car plate",
    serial: "Serial",
    permit: "Permit",
    noPermit: "No permit",
    registerTitle: "New employee",
    editTitle: "Edit employee",
    registered: "Employee registered, permit issued: serial {0}.",
    updated: "A new permit was issued: serial {0}. The old one is revoked.",
    cancel: "Cancel",
    edit: "Edit",
    delete: "Delete",
    confirmDelete: "Delete {0}? All their permits will be revoked.",
    deleted: "Employee deleted. Revoked permits: {0}.",
    token: "Token",
    qrAlt: "The permit's QR code",
    certificate: "Certificate (PDF)",
    qrPng: "QR (PNG)",
    qrSvg: "QR (SVG)",
    trips: "Business trips",
    noTrips: "No business trips.",
    addTrip: "Add a business trip",
    tripAdded: "Business trip permit issued: serial {0}.",
    back: "Back",
    pickZone: "Choose at least one zone.",
    importTitle: "CSV import",
    importHelp: "Header: document,name,position,zones,valid_from,valid_until,plate — zones separated by “;”.",
    csvFile: "CSV file",
    upload: "Upload",
    pickFile: "Choose a file.",
    importState: "State: {0}",
    stateChecking: "checking",
    stateIssuing: "issuing permits",
    stateDone: "done",
    stateFailed: "failed",
    progress: "{0} / {1} rows",
    imported: "Imported: {0}.",
    problems: "Problems ({0})",
    line: "Line",
    message: "Reason",
    problemsCut: "The first {0} of {1} problems are shown.",
    orgTitle: "Organisation",
    orgName: "Organisation name",
    taxId: "Tax id (VÖEN)",
    persons: "Authorised persons",
    active: "Active",
    yes: "yes",
    no: "no",
    createdBy: "Added by",
    createdAt: "Added",
    deactivate: "Deactivate",
    confirmDeactivate: "Deactivate {0}?",
    delegate: "Delegate",
    delegateTitle: "New authorised person",
    oneTimePassword: "One-time password for {0} (shown only now): ",
    auditTitle: "Audit log",
    at: "When",
    by: "Who",
    action: "Action",
    details: "Details",
    more: "More",
    noEntries: "No entries.",
    reactivateTitle: "Reactivate after a regime change",
    reactivateHelp: "Issue permits for the new regime to deactivated employees.",
    reactivateAll: "All deactivated employees",
    reactivate: "Reactivate",
    reactivated: "Reactivated: {0}.",
    noDeactivated: "No deactivated employees.",
    pickEmployee: "Choose at least one employee.",
    consoleTitle: "102: funeral permit",
    zone: "Destination zone",
    from: "From (Baku time)",
    until: "Until (Baku time)",
    note: "Note",
    issue: "Issue",
    issued: "Permit issued: serial {0}.",
    myPermits: "Permits I issued",
    openCitizenPage: "Open the citizen page",
    revoke: "Revoke",
    revokedLabel: "Revoked",
    revokeReason: "Why is permit {0} revoked?",
    operator: "Operator",
  },
};

const LANGS = ["az", "ru", "en"];
let lang = LANGS.includes(localStorage.getItem("icaze-lang")) ? localStorage.getItem("icaze-lang") : "az";

/** The string `key` in the current language, with {0}, {1}… replaced by `args`. */
/**
 * The API's error codes in the page's three languages ({0}: minutes to wait).
 * A code missing here shows the server's English message.
 */
const ERRORS = {
  az: {
    bad_credentials: "Giriş adı və ya şifrə səhvdir.",
    wrong_password: "Hazırkı şifrə səhvdir.",
    weak_password: "Şifrə ən azı 10 simvol olmalıdır.",
    throttled: "Çox uğursuz giriş cəhdi: {0} dəqiqə sonra yenidən cəhd edin.",
    organisation_revoked: "Administrator bu təşkilatın icazəsini ləğv edib: heç nə əlavə və ya bərpa etmək olmaz.",
    password_change_required: "Əvvəlcə öz şifrənizi təyin edin.",
    unknown_document: "Bu sənəd əhali reyestrində yoxdur: nömrəni yoxlayın.",
    refused: "Bu sənədə icazə verilə bilməz: sahibi 9108-ə zəng edə bilər.",
    employee_not_found: "Təşkilatınızda belə işçi yoxdur.",
    duplicate_employee: "Bu sənədlə işçi artıq qeydiyyatdadır.",
    invalid_document: "Sənəd nömrəsi səhvdir: seriya və rəqəmləri kartdakı kimi yazın.",
    invalid_zone: "Zona rejimin zonalarından biri olmalıdır.",
    outside_regime: "Bu tarixlərdə rejim bu icazəni vermir.",
    csrf: "Səhifəni yeniləyin və yenidən cəhd edin.",
    forbidden: "Bu əməliyyat sizin üçün deyil.",
    storage: "Məlumat saxlanmadı: bir az sonra yenidən cəhd edin.",
    internal: "Xidmətdə xəta baş verdi: bir az sonra yenidən cəhd edin.",
  },
  ru: {
    bad_credentials: "Неверный логин или пароль.",
    wrong_password: "Текущий пароль неверен.",
    weak_password: "Пароль должен быть не короче 10 символов.",
    throttled: "Слишком много неудачных входов: попробуйте снова через {0} мин.",
    organisation_revoked: "Администратор отозвал разрешение этой организации: ничего нельзя добавить или восстановить.",
    password_change_required: "Сначала задайте собственный пароль.",
    unknown_document: "Этого документа нет в реестре населения: проверьте номер.",
    refused: "По этому документу пропуск выдать нельзя: владелец может позвонить в 9108.",
    employee_not_found: "В вашей организации нет такого сотрудника.",
    duplicate_employee: "Сотрудник с этим документом уже зарегистрирован.",
    invalid_document: "Неверный номер документа: напишите серию и цифры, как на карте.",
    invalid_zone: "Зона должна быть одной из зон режима.",
    outside_regime: "В эти даты режим не даёт такого пропуска.",
    csrf: "Обновите страницу и попробуйте снова.",
    forbidden: "Это действие вам недоступно.",
    storage: "Данные не сохранены: попробуйте немного позже.",
    internal: "Ошибка сервиса: попробуйте немного позже.",
  },
  en: {
    bad_credentials: "Wrong login or password.",
    wrong_password: "The current password is wrong.",
    weak_password: "A password has at least 10 characters.",
    throttled: "Too many failed logins: try again in {0} min.",
    organisation_revoked: "The administrator revoked this organisation's permission: nothing can be added or reactivated.",
    password_change_required: "Set a password of your own first.",
    unknown_document: "This document is not in the population registry: check the number.",
    refused: "No permit can be issued for this document: the holder may call 9108.",
    employee_not_found: "There is no such employee in your organisation.",
    duplicate_employee: "An employee with this document is registered already.",
    invalid_document: "Wrong document number: write the series and digits as on the card.",
    invalid_zone: "The zone must be one of the regime's zones.",
    outside_regime: "The regime gives no such permit on these dates.",
    csrf: "Reload the page and try again.",
    forbidden: "This action is not yours to take.",
    storage: "Nothing was saved: try again a little later.",
    internal: "The service failed: try again a little later.",
  },
};

/** An API error in the page's language (the server's message for a code ERRORS lacks). */
function errorText(e) {
  const text = e instanceof ApiError ? ERRORS[lang]?.[e.code] : undefined;
  if (!text) return e.message || String(e);
  const minutes = Math.max(1, Math.ceil(Number(e.body?.retry_after ?? 0) / 60));
  return text.replace("{0}", String(minutes));
}

function t(key, ...args) {
  const text = STRINGS[lang][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\d+)\}/g, (_, i) => String(args[Number(i)] ?? ""));
}

// ---------------------------------------------------------------- DOM

/**
 * Makes an element. `props`: `class`, `text`, `on` ({event: handler}), and
 * any attribute; `null`/`undefined`/`false` attributes are left out. Children
 * that are strings become text nodes, never markup.
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "class") node.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === "value") node.value = v;
    else if (k === "checked") node.checked = Boolean(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const $ = (sel) => document.querySelector(sel);

/** Replaces a node's children (strings as text, nested arrays flattened, null skipped). */
function fill(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/** A labelled input: `<div class=field><label for=id>…</label><input id=id …></div>`. */
function field(id, label, props = {}, tag = "input") {
  const input = el(tag, { id, name: id, ...props });
  return el("div", { class: "field" }, el("label", { for: id, text: label }), input);
}

/** A form's error line, read out by screen readers when it changes. */
function errorBox(id) {
  return el("p", { id, class: "error", role: "alert", hidden: true });
}

function showError(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

/** A short message at the top of the page (kept across one route change). */
let pendingFlash = null;
function flash(text, kind = "ok") {
  const box = $("#flash");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}
function flashNext(text, kind = "ok") {
  pendingFlash = { text, kind };
}

/** A table in a scrolling wrapper (phones). */
function table(id, headers, rows) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { id },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows),
    ),
  );
}

// ---------------------------------------------------------------- time

const BAKU = "Asia/Baku";
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: BAKU,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** An RFC 3339 time as "dd.mm.yyyy hh:mm" in Baku time (the text itself if it does not parse). */
function bakuTime(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339 ?? "");
  const p = Object.fromEntries(dateTimeFormat.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day}.${p.month}.${p.year} ${p.hour === "24" ? "00" : p.hour}:${p.minute}`;
}

/** A calendar day "yyyy-mm-dd" as "dd.mm.yyyy". */
function day(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text ?? ""));
  return m ? `${m[3]}.${m[2]}.${m[1]}` : String(text ?? "");
}

/** Today in Baku plus `days`, as "yyyy-mm-dd" (for date inputs). */
function bakuDay(days = 0) {
  return new Date(Date.now() + 4 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The funeral form's default window, in Baku time as "yyyy-mm-ddThh:mm": from an hour
 * ahead, rounded up to a quarter hour (a funeral permit starts on one), for 8 hours; a
 * start after 15:00 or before 07:00 moves to the next morning's 09:00 (07:00 at the
 * earliest), and the end is 22:00 at the latest, so that the default never runs
 * overnight. `now` is milliseconds since the epoch.
 */
function funeralDefaults(now = Date.now()) {
  const hour = 3600_000;
  const quarter = 15 * 60_000;
  // Baku time as if it were UTC, so that the date and hour read straight off it.
  let from = Math.ceil((now + 4 * hour + hour) / quarter) * quarter;
  const day = Math.floor(from / (24 * hour)) * 24 * hour;
  const hourOfDay = (from - day) / hour;
  if (hourOfDay >= 15) from = day + 24 * hour + 9 * hour;
  else if (hourOfDay < 7) from = day + 9 * hour;
  const dayOfStart = Math.floor(from / (24 * hour)) * 24 * hour;
  const until = Math.min(from + 8 * hour, dayOfStart + 22 * hour);
  const text = (ms) => new Date(ms).toISOString().slice(0, 16);
  return { from: text(from), until: text(until) };
}

// ---------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The signed-in user and the session's CSRF token, or null. */
let session = null;

/**
 * Calls the API. Non-GET requests carry the CSRF token. A lost or expired
 * session (`401 no_session` / `session_expired`) goes back to the login screen.
 */
async function api(method, path, body, { contentType = "application/json", raw = false } = {}) {
  // The server may answer in the user's language; its message is shown as it comes.
  const headers = { accept: "application/json", "accept-language": lang };
  if (method !== "GET" && session?.csrf) headers["x-csrf-token"] = session.csrf;
  let payload;
  if (body !== undefined) {
    headers["content-type"] = contentType;
    payload = contentType === "application/json" ? JSON.stringify(body) : body;
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, credentials: "same-origin" });
  } catch {
    throw new ApiError(0, "network", t("networkError"));
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const code = data?.code ?? `http_${response.status}`;
    const message = data?.message ?? `${response.status} ${response.statusText}`;
    const error = new ApiError(response.status, code, message, data);
    // Only a lost session ends it: a wrong current password is a 401 too.
    if (response.status === 401 && (code === "session_expired" || code === "no_session") && path !== "/portal/api/session") {
      sessionLost(code);
    }
    throw error;
  }
  return raw ? text : data;
}

function sessionLost(code) {
  session = null;
  flashNext(code === "session_expired" ? t("sessionExpired") : t("noSession"), "error");
  renderChrome();
  if (location.hash !== "#/login") location.hash = "#/login";
  else route();
}

/** Runs `fn`; shows an API error's message in `box` instead of throwing. */
async function guarded(box, fn) {
  showError(box, "");
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ApiError && (e.code === "session_expired" || e.code === "no_session")) return undefined;
    showError(box, errorText(e));
    return undefined;
  }
}

// ---------------------------------------------------------------- zones

/** The regime's zones `[{id, az, ru, en}]`, or null when the server does not list them. */
let zonesCache;
async function zones() {
  if (zonesCache !== undefined) return zonesCache;
  try {
    const data = await api("GET", "/portal/api/zones");
    const list = Array.isArray(data) ? data : data?.zones;
    zonesCache = Array.isArray(list) ? list.filter((z) => Number.isInteger(z?.id)) : null;
  } catch (e) {
    if (e instanceof ApiError && (e.code === "session_expired" || e.code === "no_session")) throw e;
    zonesCache = null;
  }
  return zonesCache;
}

function zoneName(id) {
  const z = zonesCache?.find((x) => x.id === id);
  return z ? `${z[lang] ?? z.en ?? z.name ?? id} (${id})` : String(id);
}

const zoneList = (ids) => (Array.isArray(ids) ? ids.map(zoneName).join(", ") : "");

/**
 * A zone picker: checkboxes when the server lists zones, a typed comma list
 * otherwise. Returns {node, value()} where value() is the chosen ids.
 */
function zonePicker(idPrefix, list, selected = []) {
  if (list && list.length) {
    const boxes = list.map((z) =>
      el("input", { type: "checkbox", id: `${idPrefix}-${z.id}`, value: String(z.id), checked: selected.includes(z.id) }),
    );
    const node = el(
      "fieldset",
      { class: "zones", id: idPrefix },
      el("legend", { text: t("zones") }),
      list.map((z, i) => el("label", { class: "check", for: `${idPrefix}-${z.id}` }, boxes[i], ` ${zoneName(z.id)}`)),
    );
    return { node, value: () => boxes.filter((b) => b.checked).map((b) => Number(b.value)) };
  }
  const f = field(`${idPrefix}-typed`, t("zonesTyped"), { value: selected.join(", "), inputmode: "numeric" });
  const input = f.querySelector("input");
  return {
    node: f,
    value: () =>
      input.value
        .split(/[,;\s]+/)
        .filter(Boolean)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n >= 0),
  };
}

// ---------------------------------------------------------------- chrome

const EMPLOYER_NAV = [
  ["#/employees", "navEmployees"],
  ["#/import", "navImport"],
  ["#/org", "navOrg"],
  ["#/audit", "navAudit"],
  ["#/reactivate", "navReactivate"],
  ["#/password", "navPassword"],
];
const OPERATOR_NAV = [
  ["#/console", "navConsole"],
  ["#/password", "navPassword"],
];

function renderChrome() {
  document.documentElement.lang = lang;
  document.title = t("title");
  $("#lang-label").textContent = t("lang");
  $("#lang").value = lang;
  $("#logout").textContent = t("logout");
  const nav = $("#nav");
  nav.replaceChildren();
  const user = session?.user;
  $("#logout").hidden = !user;
  $("#who").textContent = user ? `${user.name} (${user.login})${user.org ? ` · ${user.org.name}` : ""}` : "";
  nav.hidden = !user || user.must_change_password;
  if (user && !user.must_change_password) {
    const items = user.role === "operator" ? OPERATOR_NAV : EMPLOYER_NAV;
    const current = location.hash.split("/").slice(0, 2).join("/");
    for (const [href, key] of items) {
      nav.append(
        el("a", { href, id: `nav-${href.slice(2)}`, text: t(key), "aria-current": current === href ? "page" : null }),
      );
    }
  }
}

// ---------------------------------------------------------------- screens

function screen(titleKey, ...children) {
  return [el("h1", { text: t(titleKey) }), ...children];
}

function loginScreen() {
  const error = errorBox("login-error");
  const form = el(
    "form",
    { id: "login-form", class: "card narrow", novalidate: true },
    field("login-login", t("login"), { autocomplete: "username", required: true, autocapitalize: "none" }),
    field("login-password", t("password"), { type: "password", autocomplete: "current-password", required: true }),
    error,
    el("button", { type: "submit", id: "login-submit", text: t("signIn") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const button = $("#login-submit");
    button.disabled = true;
    await guarded(error, async () => {
      // A throttled login's message says how long to wait (`retry_after`).
      const answer = await api("POST", "/portal/api/login", {
        login: $("#login-login").value.trim(),
        password: $("#login-password").value,
      });
      startSession(answer);
    });
    button.disabled = false;
  });
  return screen("loginTitle", form);
}

function startSession(answer) {
  session = { user: answer.user, csrf: answer.csrf };
  renderChrome();
  location.hash = home();
}

function home() {
  if (!session) return "#/login";
  if (session.user.must_change_password) return "#/password";
  return session.user.role === "operator" ? "#/console" : "#/employees";
}

function passwordScreen() {
  const error = errorBox("password-error");
  const form = el(
    "form",
    { id: "password-form", class: "card narrow", novalidate: true },
    session.user.must_change_password ? el("p", { class: "note", id: "must-change", text: t("mustChange") }) : null,
    field("password-old", t("oldPassword"), { type: "password", autocomplete: "current-password", required: true }),
    field("password-new", t("newPassword"), { type: "password", autocomplete: "new-password", minlength: 10, required: true }),
    field("password-repeat", t("repeatPassword"), { type: "password", autocomplete: "new-password", required: true }),
    error,
    el("button", { type: "submit", id: "password-submit", text: t("save") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const next = $("#password-new").value;
    if (next.length < 10) return showError(error, t("tooShort"));
    if (next !== $("#password-repeat").value) return showError(error, t("mismatch"));
    await guarded(error, async () => {
      await api("POST", "/portal/api/password", { old: $("#password-old").value, new: next });
      // The server may rotate the session after a password change: ask it again.
      try {
        const answer = await api("GET", "/portal/api/session");
        session = { user: answer.user, csrf: answer.csrf ?? session.csrf };
      } catch {
        session.user.must_change_password = false;
      }
      if (session) session.user.must_change_password = false;
      flashNext(t("passwordChanged"));
      renderChrome();
      location.hash = home();
    });
  });
  return screen("changeTitle", form);
}

// --- Employees.

function statusText(status) {
  return status === "active" ? t("statusActive") : status === "deactivated" ? t("statusDeactivated") : status;
}

async function employeesScreen(params) {
  const q = params.get("q") ?? "";
  const status = params.get("status") ?? "";
  const after = params.get("after") ?? "";
  const error = errorBox("employees-error");
  const search = el(
    "form",
    { id: "employees-search", class: "inline", role: "search" },
    field("employees-q", t("search"), { type: "search", value: q }),
    el(
      "div",
      { class: "field" },
      el("label", { for: "employees-status", text: t("status") }),
      el(
        "select",
        { id: "employees-status" },
        el("option", { value: "", text: t("statusAll") }),
        el("option", { value: "active", text: t("statusActive") }),
        el("option", { value: "deactivated", text: t("statusDeactivated") }),
      ),
    ),
    el("button", { type: "submit", id: "employees-search-submit", text: t("searchButton") }),
  );
  search.querySelector("#employees-status").value = status;
  search.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    const qv = $("#employees-q").value.trim();
    const sv = $("#employees-status").value;
    if (qv) p.set("q", qv);
    if (sv) p.set("status", sv);
    if (params.get("limit")) p.set("limit", params.get("limit"));
    location.hash = `#/employees${p.size ? `?${p}` : ""}`;
  });
  const body = el("div", { id: "employees-body" }, el("p", { class: "loading", text: t("loading") }));
  const view = screen(
    "employeesTitle",
    el("p", {}, el("a", { href: "#/employees/new", id: "employees-new", class: "button", text: t("register") })),
    search,
    error,
    body,
  );
  queueMicrotask(() =>
    guarded(error, async () => {
      await zones();
      // The page size can be set in the address (`#/employees?limit=20`); 50 by default.
      const limit = /^\d{1,4}$/.test(params.get("limit") ?? "") ? params.get("limit") : "50";
      const p = new URLSearchParams({ limit });
      if (q) p.set("q", q);
      if (status) p.set("status", status);
      if (after) p.set("after", after);
      const data = await api("GET", `/portal/api/employees?${p}`);
      const list = data?.employees ?? [];
      const rows = list.map((e) =>
        el(
          "tr",
          { "data-id": e.id, "data-document": e.document },
          el("td", {}, el("a", { href: `#/employees/${e.id}`, text: e.document })),
          el("td", { text: e.name }),
          el("td", { text: e.position }),
          el("td", { text: zoneList(e.zones) }),
          el("td", { text: `${day(e.valid_from)} – ${day(e.valid_until)}` }),
          el("td", { text: statusText(e.status) }),
          el("td", { class: "serial", text: e.permit?.serial ?? "—" }),
        ),
      );
      const nav = el("p", { class: "paging" });
      if (after) {
        const first = new URLSearchParams(params);
        first.delete("after");
        nav.append(el("a", { href: `#/employees${first.size ? `?${first}` : ""}`, id: "employees-first", text: t("firstPage") }));
      }
      if (data?.next !== null && data?.next !== undefined) {
        const next = new URLSearchParams(params);
        next.set("after", String(data.next));
        nav.append(" ", el("a", { href: `#/employees?${next}`, id: "employees-next", text: t("nextPage") }));
      }
      fill(
        body,
        list.length
          ? table(
              "employees-table",
              [t("document"), t("name"), t("position"), t("zones"), t("validity"), t("status"), t("serial")],
              rows,
            )
          : el("p", { id: "employees-empty", text: t("noEmployees") }),
        nav,
      );
    }),
  );
  return view;
}

async function employeeForm(id) {
  const error = errorBox("employee-error");
  let employee = null;
  if (id) employee = await api("GET", `/portal/api/employees/${encodeURIComponent(id)}`).catch((e) => e);
  if (employee instanceof Error) {
    showError(error, errorText(employee));
    return screen("editTitle", error);
  }
  const list = await zones();
  const picker = zonePicker("employee-zones", list, employee?.zones ?? []);
  const form = el(
    "form",
    { id: "employee-form", class: "card", novalidate: true },
    field("employee-document", t("document"), {
      value: employee?.document ?? "",
      required: true,
      autocapitalize: "characters",
    }),
    field("employee-name", t("name"), { value: employee?.name ?? "", required: true }),
    field("employee-position", t("position"), { value: employee?.position ?? "" }),
    picker.node,
    el(
      "div",
      { class: "row" },
      field("employee-from", t("validFrom"), { type: "date", value: employee?.valid_from ?? bakuDay(), required: true }),
      field("employee-until", t("validUntil"), { type: "date", value: employee?.valid_until ?? bakuDay(14), required: true }),
    ),
    field("employee-plate", t("plate"), { value: employee?.plate ?? "" }),
    error,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", id: "employee-submit", text: t("save") }),
      el("a", { href: id ? `#/employees/${id}` : "#/employees", class: "button secondary", text: t("cancel") }),
    ),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const chosen = picker.value();
    if (!chosen.length) return showError(error, t("pickZone"));
    const plate = $("#employee-plate").value.trim();
    const body = {
      document: $("#employee-document").value.trim().toUpperCase(),
      name: $("#employee-name").value.trim(),
      position: $("#employee-position").value.trim(),
      zones: chosen,
      valid_from: $("#employee-from").value,
      valid_until: $("#employee-until").value,
      plate: plate || null,
    };
    $("#employee-submit").disabled = true;
    await guarded(error, async () => {
      const saved = id
        ? await api("PUT", `/portal/api/employees/${encodeURIComponent(id)}`, body)
        : await api("POST", "/portal/api/employees", body);
      flashNext(t(id ? "updated" : "registered", saved?.permit?.serial ?? "—"));
      location.hash = `#/employees/${saved.id}`;
    });
    const submit = $("#employee-submit");
    if (submit) submit.disabled = false;
  });
  return screen(id ? "editTitle" : "registerTitle", form);
}

/** The permit block of an employee or a trip: serial, validity, token, QR, documents. */
function permitBlock(prefix, base, permit) {
  if (!permit) return el("p", { id: `${prefix}-no-permit`, text: t("noPermit") });
  const q = `?serial=${encodeURIComponent(permit.serial)}`;
  return el(
    "div",
    { class: "permit", id: `${prefix}-permit` },
    el(
      "img",
      {
        id: `${prefix}-qr`,
        class: "qr",
        src: `${base}/qr.svg${q}`,
        alt: t("qrAlt"),
        width: 200,
        height: 200,
      },
    ),
    el(
      "dl",
      {},
      el("dt", { text: t("serial") }),
      el("dd", { id: `${prefix}-serial`, text: permit.serial }),
      el("dt", { text: t("validity") }),
      el("dd", { id: `${prefix}-validity`, text: `${bakuTime(permit.valid_from)} – ${bakuTime(permit.valid_until)}` }),
      el("dt", { text: t("token") }),
      el("dd", {}, el("code", { id: `${prefix}-token`, class: "token", text: permit.token })),
    ),
    el(
      "p",
      { class: "links" },
      el("a", { href: `${base}/certificate.pdf${q}&lang=${lang}`, id: `${prefix}-pdf`, download: `icaze-${permit.serial}.pdf`, text: t("certificate") }),
      " ",
      el("a", { href: `${base}/qr.png${q}`, id: `${prefix}-png`, download: `icaze-${permit.serial}.png`, text: t("qrPng") }),
      " ",
      el("a", { href: `${base}/qr.svg${q}`, id: `${prefix}-svg`, download: `icaze-${permit.serial}.svg`, text: t("qrSvg") }),
    ),
  );
}

async function employeeScreen(id) {
  const error = errorBox("employee-detail-error");
  await zones();
  let e;
  try {
    e = await api("GET", `/portal/api/employees/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err.code === "session_expired" || err.code === "no_session") return [];
    showError(error, errorText(err));
    return [el("p", {}, el("a", { href: "#/employees", text: t("back") })), error];
  }
  const base = `/portal/api/employees/${encodeURIComponent(e.id)}`;
  const del = el("button", { type: "button", id: "employee-delete", class: "danger", text: t("delete") });
  del.addEventListener("click", async () => {
    if (!window.confirm(t("confirmDelete", `${e.name} (${e.document})`))) return;
    await guarded(error, async () => {
      const r = await api("DELETE", base);
      flashNext(t("deleted", (r?.revoked ?? []).join(", ") || "—"));
      location.hash = "#/employees";
    });
  });
  const tripError = errorBox("trip-error");
  const picker = zonePicker("trip-zones", zonesCache, []);
  const tripForm = el(
    "form",
    { id: "trip-form", class: "card", novalidate: true },
    el("h3", { text: t("addTrip") }),
    picker.node,
    el(
      "div",
      { class: "row" },
      field("trip-from", t("validFrom"), { type: "date", value: bakuDay(), required: true }),
      field("trip-until", t("validUntil"), { type: "date", value: bakuDay(3), required: true }),
    ),
    tripError,
    el("button", { type: "submit", id: "trip-submit", text: t("addTrip") }),
  );
  tripForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const chosen = picker.value();
    if (!chosen.length) return showError(tripError, t("pickZone"));
    await guarded(tripError, async () => {
      const trip = await api("POST", `${base}/trips`, {
        zones: chosen,
        valid_from: $("#trip-from").value,
        valid_until: $("#trip-until").value,
      });
      flashNext(t("tripAdded", trip?.permit?.serial ?? "—"));
      route();
    });
  });
  const trips = e.trips ?? [];
  return [
    el("p", {}, el("a", { href: "#/employees", id: "employee-back", text: t("back") })),
    el("h1", { id: "employee-title", text: `${e.name} — ${e.document}` }),
    error,
    el(
      "dl",
      { class: "card facts" },
      el("dt", { text: t("document") }),
      el("dd", { id: "employee-document-value", text: e.document }),
      el("dt", { text: t("position") }),
      el("dd", { text: e.position }),
      el("dt", { text: t("zones") }),
      el("dd", { id: "employee-zones-value", text: zoneList(e.zones) }),
      el("dt", { text: t("validity") }),
      el("dd", { id: "employee-dates", text: `${day(e.valid_from)} – ${day(e.valid_until)}` }),
      el("dt", { text: t("plateShort") }),
      el("dd", { text: e.plate ?? "—" }),
      el("dt", { text: t("status") }),
      el("dd", { id: "employee-status", text: statusText(e.status) }),
    ),
    el("h2", { text: t("permit") }),
    permitBlock("employee", base, e.permit),
    el(
      "div",
      { class: "actions" },
      el("a", { href: `#/employees/${e.id}/edit`, id: "employee-edit", class: "button", text: t("edit") }),
      del,
    ),
    el("h2", { text: t("trips") }),
    trips.length
      ? el(
          "div",
          { id: "trips" },
          trips.map((trip) =>
            el(
              "section",
              { class: "card trip", "data-trip": trip.id },
              el("p", { text: `${zoneList(trip.zones)} · ${day(trip.valid_from)} – ${day(trip.valid_until)}` }),
              permitBlock(`trip-${trip.id}`, `/portal/api/trips/${encodeURIComponent(trip.id)}`, trip.permit),
            ),
          ),
        )
      : el("p", { id: "trips-empty", text: t("noTrips") }),
    tripForm,
  ];
}

// --- Import.

const IMPORT_STATES = { checking: "stateChecking", issuing: "stateIssuing", done: "stateDone", failed: "stateFailed" };

function importScreen(importId) {
  const error = errorBox("import-error");
  const progress = el("progress", { id: "import-progress", max: 1, value: 0, "aria-labelledby": "import-progress-text" });
  const state = el("p", { id: "import-state" });
  const counts = el("p", { id: "import-progress-text" });
  const result = el("div", { id: "import-result" });
  const status = el("div", { id: "import-status", hidden: !importId }, state, progress, counts, result);
  const form = el(
    "form",
    { id: "import-form", class: "card", novalidate: true },
    el("p", { class: "note", text: t("importHelp") }),
    field("import-file", t("csvFile"), { type: "file", accept: ".csv,text/csv" }),
    error,
    el("button", { type: "submit", id: "import-submit", text: t("upload") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = $("#import-file").files?.[0];
    if (!file) return showError(error, t("pickFile"));
    $("#import-submit").disabled = true;
    await guarded(error, async () => {
      const answer = await api("POST", "/portal/api/imports", file, { contentType: "text/csv" });
      // The import's id goes into the address, so a reload keeps following it.
      history.replaceState(null, "", `#/import/${encodeURIComponent(answer.id)}`);
      status.hidden = false;
      await follow(answer.id);
    });
    const submit = $("#import-submit");
    if (submit) submit.disabled = false;
  });

  const view = route.token;
  async function follow(id) {
    for (;;) {
      if (route.token !== view) return; // The user went elsewhere.
      const r = await api("GET", `/portal/api/imports/${encodeURIComponent(id)}`);
      const total = Math.max(1, Number(r.total) || 0);
      progress.max = total;
      progress.value = Math.min(total, Number(r.processed) || 0);
      state.textContent = t("importState", t(IMPORT_STATES[r.state] ?? r.state));
      state.dataset.state = r.state;
      counts.textContent = t("progress", r.processed ?? 0, r.total ?? 0);
      if (r.state === "done" || r.state === "failed") {
        if (r.state === "done") progress.value = total;
        const problems = r.problems ?? [];
        fill(
          result,
          el("p", { id: "import-imported", text: t("imported", r.imported ?? 0) }),
          problems.length
            ? [
                el("h2", { text: t("problems", r.problems_total ?? problems.length) }),
                table(
                  "import-problems",
                  [t("line"), t("message")],
                  problems.map((p) => el("tr", { "data-line": p.line }, el("td", { text: p.line }), el("td", { text: p.message }))),
                ),
                (r.problems_total ?? 0) > problems.length
                  ? el("p", { text: t("problemsCut", problems.length, r.problems_total) })
                  : null,
              ]
            : null,
        );
        document.body.dataset.importDone = r.state;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }
  if (importId) queueMicrotask(() => guarded(error, () => follow(importId)));
  return screen("importTitle", form, status);
}

// --- Organisation.

async function orgScreen() {
  const error = errorBox("org-error");
  const org = await api("GET", "/portal/api/org");
  const me = session.user.login;
  const rows = (org.persons ?? []).map((p) => {
    let action = null;
    if (p.active && p.login !== me) {
      action = el("button", { type: "button", class: "danger small", "data-login": p.login, text: t("deactivate") });
      action.addEventListener("click", async () => {
        if (!window.confirm(t("confirmDeactivate", p.login))) return;
        await guarded(error, async () => {
          await api("DELETE", `/portal/api/org/persons/${encodeURIComponent(p.login)}`);
          route();
        });
      });
    }
    return el(
      "tr",
      { "data-login": p.login },
      el("td", { text: p.login }),
      el("td", { text: p.name }),
      el("td", { text: p.active ? t("yes") : t("no") }),
      el("td", { text: p.created_by ?? "—" }),
      el("td", { text: p.created_at ? bakuTime(p.created_at) : "—" }),
      el("td", {}, action),
    );
  });
  const result = el("p", { id: "delegate-result", class: "secret", hidden: true });
  const delegateError = errorBox("delegate-error");
  const form = el(
    "form",
    { id: "delegate-form", class: "card", novalidate: true },
    el("h2", { text: t("delegateTitle") }),
    field("delegate-login", t("login"), { required: true, autocapitalize: "none" }),
    field("delegate-name", t("name"), { required: true }),
    delegateError,
    el("button", { type: "submit", id: "delegate-submit", text: t("delegate") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    await guarded(delegateError, async () => {
      const r = await api("POST", "/portal/api/org/persons", {
        login: $("#delegate-login").value.trim(),
        name: $("#delegate-name").value.trim(),
      });
      // Shown once: the person's first login asks for a new password.
      const shown = el("p", { id: "delegate-result", class: "secret" }, t("oneTimePassword", r.login), el("code", { id: "delegate-password", text: r.password }));
      await refreshPersons();
      $("#delegate-result")?.replaceWith(shown);
    });
  });
  async function refreshPersons() {
    const view = await orgScreen();
    fill($("#view"), view);
  }
  return [
    el("h1", { text: t("orgTitle") }),
    el(
      "dl",
      { class: "card facts" },
      el("dt", { text: t("orgName") }),
      el("dd", { id: "org-name", text: org.name }),
      el("dt", { text: t("taxId") }),
      el("dd", { id: "org-tax-id", text: org.tax_id }),
    ),
    el("h2", { text: t("persons") }),
    error,
    table("persons", [t("login"), t("name"), t("active"), t("createdBy"), t("createdAt"), ""], rows),
    result,
    form,
  ];
}

// --- Audit log.

function auditScreen() {
  const error = errorBox("audit-error");
  const tbody = el("tbody");
  const more = el("button", { type: "button", id: "audit-more", class: "secondary", text: t("more"), hidden: true });
  let after = null;
  async function load() {
    await guarded(error, async () => {
      const data = await api("GET", `/portal/api/audit${after !== null ? `?after=${encodeURIComponent(after)}` : ""}`);
      for (const entry of data?.entries ?? []) {
        tbody.append(
          el(
            "tr",
            { "data-action": entry.action },
            el("td", { text: bakuTime(entry.at) }),
            el("td", { text: entry.by }),
            el("td", { text: entry.action }),
            el("td", { text: typeof entry.details === "string" ? entry.details : JSON.stringify(entry.details ?? "") }),
          ),
        );
      }
      after = data?.next ?? null;
      more.hidden = after === null;
      if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colspan: 4, text: t("noEntries") })));
    });
  }
  more.addEventListener("click", load);
  queueMicrotask(load);
  return screen(
    "auditTitle",
    error,
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { id: "audit" },
        el("thead", {}, el("tr", {}, [t("at"), t("by"), t("action"), t("details")].map((h) => el("th", { scope: "col", text: h })))),
        tbody,
      ),
    ),
    more,
  );
}

// --- Reactivate.

async function reactivateScreen() {
  const error = errorBox("reactivate-error");
  const data = await api("GET", "/portal/api/employees?status=deactivated&limit=500");
  const list = data?.employees ?? [];
  const all = el("input", { type: "checkbox", id: "reactivate-all", checked: true });
  const boxes = list.map((e) => el("input", { type: "checkbox", id: `reactivate-${e.id}`, value: String(e.id) }));
  const picks = el(
    "fieldset",
    { id: "reactivate-list", disabled: true },
    el("legend", { text: t("employeesTitle") }),
    list.length
      ? list.map((e, i) => el("label", { class: "check", for: `reactivate-${e.id}` }, boxes[i], ` ${e.document} — ${e.name}`))
      : el("p", { id: "reactivate-empty", text: t("noDeactivated") }),
  );
  all.addEventListener("change", () => {
    picks.disabled = all.checked;
  });
  const result = el("div", { id: "reactivate-result" });
  const form = el(
    "form",
    { id: "reactivate-form", class: "card", novalidate: true },
    el("p", { class: "note", text: t("reactivateHelp") }),
    el("label", { class: "check", for: "reactivate-all" }, all, ` ${t("reactivateAll")}`),
    picks,
    el(
      "div",
      { class: "row" },
      field("reactivate-from", t("validFrom"), { type: "date", value: bakuDay(), required: true }),
      field("reactivate-until", t("validUntil"), { type: "date", value: bakuDay(14), required: true }),
    ),
    error,
    el("button", { type: "submit", id: "reactivate-submit", text: t("reactivate") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ids = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    if (!all.checked && !ids.length) return showError(error, t("pickEmployee"));
    await guarded(error, async () => {
      const r = await api("POST", "/portal/api/employees/reactivate", {
        ...(all.checked ? { all: true } : { ids }),
        valid_from: $("#reactivate-from").value,
        valid_until: $("#reactivate-until").value,
      });
      const problems = r?.problems ?? [];
      fill(
        result,
        el("p", { id: "reactivate-count", text: t("reactivated", r?.reactivated ?? 0) }),
        problems.length
          ? el(
              "ul",
              { id: "reactivate-problems" },
              problems.map((p) =>
                el("li", { text: typeof p === "string" ? p : [p.document ?? p.id ?? p.line, p.message].filter(Boolean).join(": ") }),
              ),
            )
          : null,
      );
    });
  });
  return screen("reactivateTitle", form, result);
}

// --- The 102 console.

async function consoleScreen() {
  const error = errorBox("funeral-error");
  const list = await zones();
  const zoneField = list?.length
    ? el(
        "div",
        { class: "field" },
        el("label", { for: "funeral-zone", text: t("zone") }),
        el("select", { id: "funeral-zone", required: true }, list.map((z) => el("option", { value: String(z.id), text: zoneName(z.id) }))),
      )
    : field("funeral-zone", t("zone"), { type: "number", min: 0, step: 1, required: true, inputmode: "numeric" });
  const result = el("div", { id: "funeral-result", "aria-live": "polite" });
  const form = el(
    "form",
    { id: "funeral-form", class: "card", novalidate: true },
    field("funeral-document", t("document"), { required: true, autocapitalize: "characters" }),
    zoneField,
    el(
      "div",
      { class: "row" },
      field("funeral-from", t("from"), { type: "datetime-local", value: funeralDefaults().from, required: true, step: 900 }),
      field("funeral-until", t("until"), { type: "datetime-local", value: funeralDefaults().until, required: true }),
    ),
    field("funeral-note", t("note"), { rows: 2 }, "textarea"),
    error,
    el("button", { type: "submit", id: "funeral-submit", text: t("issue") }),
  );
  const tbody = el("tbody");
  const more = el("button", { type: "button", id: "funeral-more", class: "secondary", text: t("more"), hidden: true });
  let after = null;
  const row = (p) =>
    el(
      "tr",
      { "data-serial": p.serial },
      el("td", { class: "serial", text: p.serial }),
      el("td", { text: p.document }),
      el("td", { text: zoneList(p.zones) }),
      el("td", { text: `${bakuTime(p.valid_from)} – ${bakuTime(p.valid_until)}` }),
      el("td", {}, p.token ? el("a", { href: `/p#${p.token}`, target: "_blank", rel: "noopener", text: t("openCitizenPage") }) : null),
      el("td", {}, revokeCell(p)),
    );
  // A revoked permit says so; a live one has a button that asks why, then revokes it.
  function revokeCell(p) {
    if (p.revoked) return el("span", { class: "status revoked", text: t("revokedLabel") });
    const button = el("button", { type: "button", class: "secondary revoke", "data-serial": p.serial, text: t("revoke") });
    button.addEventListener("click", async () => {
      const reason = window.prompt(t("revokeReason", p.serial));
      if (!reason || !reason.trim()) return;
      await guarded(error, async () => {
        const done = await api("POST", `/portal/api/funeral/${encodeURIComponent(p.serial)}/revoke`, { reason: reason.trim() });
        button.replaceWith(revokeCell(done));
        // The permit card above, if it shows this permit, says so too.
        const card = $("#funeral-permit");
        if (card && card.dataset.serial === String(p.serial) && !card.querySelector(".status.revoked")) {
          card.classList.add("revoked");
          card.prepend(el("p", { class: "status revoked", id: "funeral-permit-revoked", text: t("revokedLabel") }));
        }
      });
    });
    return button;
  }
  async function load() {
    await guarded(error, async () => {
      const data = await api("GET", `/portal/api/funeral${after !== null ? `?after=${encodeURIComponent(after)}` : ""}`);
      const permits = Array.isArray(data) ? data : data?.permits ?? data?.entries ?? [];
      for (const p of permits) tbody.append(row(p));
      after = Array.isArray(data) ? null : data?.next ?? null;
      more.hidden = after === null;
    });
  }
  more.addEventListener("click", load);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const note = $("#funeral-note").value.trim();
    $("#funeral-submit").disabled = true;
    await guarded(error, async () => {
      const p = await api("POST", "/portal/api/funeral", {
        document: $("#funeral-document").value.trim().toUpperCase(),
        zone: Number($("#funeral-zone").value),
        valid_from: $("#funeral-from").value,
        valid_until: $("#funeral-until").value,
        ...(note ? { note } : {}),
      });
      fill(
        result,
        el("h2", { text: t("issued", p.serial) }),
        el(
          "div",
          { class: "permit card", id: "funeral-permit", "data-serial": String(p.serial) },
          await funeralQr(p),
          el(
            "dl",
            {},
            el("dt", { text: t("serial") }),
            el("dd", { id: "funeral-serial", text: p.serial }),
            el("dt", { text: t("document") }),
            el("dd", { text: p.document }),
            el("dt", { text: t("zones") }),
            el("dd", { text: zoneList(p.zones) }),
            el("dt", { text: t("validity") }),
            el("dd", { id: "funeral-validity", text: `${bakuTime(p.valid_from)} – ${bakuTime(p.valid_until)}` }),
            p.note ? [el("dt", { text: t("note") }), el("dd", { id: "funeral-note-value", text: p.note })] : null,
            el("dt", { text: t("operator") }),
            el("dd", { text: typeof p.operator === "string" ? p.operator : p.operator?.login ?? "" }),
            el("dt", { text: t("token") }),
            el("dd", {}, el("code", { id: "funeral-token", class: "token", text: p.token })),
          ),
          el("p", {}, el("a", { href: `/p#${p.token}`, id: "funeral-citizen", target: "_blank", rel: "noopener", text: t("openCitizenPage") })),
        ),
      );
      tbody.prepend(row(p));
      // Ready for the next call: the caller's details cleared, the times as they start.
      form.reset();
      const defaults = funeralDefaults();
      $("#funeral-from").value = defaults.from;
      $("#funeral-until").value = defaults.until;
    });
    const submit = $("#funeral-submit");
    if (submit) submit.disabled = false;
  });
  queueMicrotask(load);
  return screen(
    "consoleTitle",
    form,
    result,
    el("h2", { text: t("myPermits") }),
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { id: "funeral-list" },
        el(
          "thead",
          {},
          el("tr", {}, [t("serial"), t("document"), t("zones"), t("validity"), "", ""].map((h) => el("th", { scope: "col", text: h }))),
        ),
        tbody,
      ),
    ),
    more,
  );
}

/**
 * The QR of a funeral permit. The contract has no QR route for funeral
 * permits, so the page tries the server's (`/portal/api/funeral/{serial}/qr.svg`)
 * and otherwise draws the token's QR form in the browser with the citizen
 * page's reader and encoder (`/p/p.js`, `/p/qr.js`), which follow
 * docs/token-format.md §2.2 as the server's encoder does.
 */
async function funeralQr(p) {
  const img = el("img", { id: "funeral-qr", class: "qr", alt: t("qrAlt"), width: 200, height: 200 });
  const serverSvg = `/portal/api/funeral/${encodeURIComponent(p.serial)}/qr.svg`;
  try {
    const r = await fetch(serverSvg, { method: "HEAD", credentials: "same-origin" });
    if (r.ok && (r.headers.get("content-type") ?? "").startsWith("image/")) {
      img.src = serverSvg;
      return img;
    }
  } catch {
    // Fall through to the browser's encoder.
  }
  try {
    const [{ readToken }, { encodeDigits, drawQr }] = await Promise.all([import("/p/p.js"), import("/p/qr.js")]);
    const canvas = document.createElement("canvas");
    drawQr(canvas, encodeDigits(readToken(p.token).digits), 6);
    img.src = canvas.toDataURL("image/png");
    return img;
  } catch {
    // No encoder: the link to the citizen page still shows the QR.
  }
  return el(
    "p",
    { id: "funeral-qr-missing", class: "note" },
    el("a", { href: `/p#${p.token}`, target: "_blank", rel: "noopener", text: t("openCitizenPage") }),
  );
}

// ---------------------------------------------------------------- routing

/** Parses the hash into [path segments, query]. */
function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  return [path.split("/").filter(Boolean), new URLSearchParams(query)];
}

async function route() {
  route.token = (route.token ?? 0) + 1;
  const token = route.token;
  const [parts, params] = parseHash();
  const view = $("#view");
  if (pendingFlash) {
    flash(pendingFlash.text, pendingFlash.kind);
    pendingFlash = null;
  } else {
    flash("");
  }
  renderChrome();
  // Guards: who is signed in, and a forced password change.
  if (!session && parts[0] !== "login") {
    location.hash = "#/login";
    return;
  }
  if (session && (parts[0] === "login" || !parts.length)) {
    location.hash = home();
    return;
  }
  if (session?.user.must_change_password && parts[0] !== "password") {
    location.hash = "#/password";
    return;
  }
  const role = session?.user.role;
  const employerOnly = ["employees", "import", "org", "audit", "reactivate"];
  if ((role === "operator" && employerOnly.includes(parts[0])) || (role === "employer" && parts[0] === "console")) {
    location.hash = home();
    return;
  }
  let nodes;
  try {
    switch (parts[0]) {
      case "login":
        nodes = loginScreen();
        break;
      case "password":
        nodes = passwordScreen();
        break;
      case "employees":
        if (parts[1] === "new") nodes = await employeeForm(null);
        else if (parts[1] && parts[2] === "edit") nodes = await employeeForm(parts[1]);
        else if (parts[1]) nodes = await employeeScreen(parts[1]);
        else nodes = await employeesScreen(params);
        break;
      case "import":
        nodes = importScreen(parts[1] ?? null);
        break;
      case "org":
        nodes = await orgScreen();
        break;
      case "audit":
        nodes = auditScreen();
        break;
      case "reactivate":
        nodes = await reactivateScreen();
        break;
      case "console":
        nodes = await consoleScreen();
        break;
      default:
        location.hash = home();
        return;
    }
  } catch (e) {
    if (e instanceof ApiError && (e.code === "session_expired" || e.code === "no_session")) return; // sessionLost() took over.
    const box = errorBox("view-error");
    showError(box, errorText(e));
    nodes = [box];
  }
  if (token !== route.token) return; // A newer route won the race.
  fill(view, nodes);
  document.body.dataset.route = parts.join("/") || "home";
}

// ---------------------------------------------------------------- start

async function boot() {
  $("#lang").addEventListener("change", () => {
    lang = $("#lang").value;
    localStorage.setItem("icaze-lang", lang);
    zonesCache = zonesCache === null ? undefined : zonesCache;
    route();
  });
  $("#logout").addEventListener("click", async () => {
    try {
      await api("POST", "/portal/api/logout", {});
    } catch {
      // Signed out on this side in any case.
    }
    session = null;
    zonesCache = undefined;
    location.hash = "#/login";
    renderChrome();
  });
  window.addEventListener("hashchange", route);
  try {
    const answer = await api("GET", "/portal/api/session");
    session = { user: answer.user, csrf: answer.csrf };
  } catch {
    session = null;
  }
  await route();
  document.body.dataset.ready = "true";
}

boot();
