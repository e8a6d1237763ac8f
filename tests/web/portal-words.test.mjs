// What employers and 102 operators read on the portal (issue 22, items 6 and
// 10), in headless Chromium against the real `icaze serve`:
// - every message in the page's language: the server's refusals by their code
//   and, where one code covers several cases, by their case, with the values
//   they give (never by the English message, which a test changes on its
//   way); beside the field they name; an empty form checked in the page, with
//   no request sent; a wrong current password; an import's problems line by line;
// - dates in the page's language, in Baku time;
// - the audit log in sentences, not codes and JSON, an unknown action too;
// - phone-sized screens (360 and 320 px wide) that never scroll sideways.
// The tests run in order and share one server. Screenshots:
// target/web-tests/portal-words-*.png and portal-phone-{360,320}-*.png.
//
// Run: bash tests/web/run.sh portal-words
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import {
  apiRequestsDuring,
  fillPasswords,
  login,
  openPortalPage,
  pickZones,
  refusedInPage,
  serverAndBrowserForTheFile,
  waitRoute,
} from "./portal-page.mjs";
import { DEMO, bakuDate, bakuDateTime, shotsDir } from "./server.mjs";

/** The server and Chromium the file's tests share. */
const shared = serverAndBrowserForTheFile();
/** Page problems (uncaught errors, CSP violations) seen in any page. */
const pageProblems = [];

const ORG = { tax_id: "2206202001", name: "Şəki İpək Fabriki ASC", login: "ipek", person_name: "Gülşən Əhmədova" };
const OPERATOR = { login: "op102w", name: "Zaur Qasımov" };
const NEW_PASSWORD = "Təzə-şifrə-2020!";

/** Month names as the page writes a date in each language (ICU's: Azerbaijani nominative, Russian genitive). */
const MONTHS = {
  az: ["yanvar", "fevral", "mart", "aprel", "may", "iyun", "iyul", "avqust", "sentyabr", "oktyabr", "noyabr", "dekabr"],
  ru: ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"],
  en: ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
};

/** A day "yyyy-mm-dd" as the page writes it in `lang`: "6 dekabr 2026", "6 декабря 2026 г.", "6 December 2026". */
function writtenDay(text, lang) {
  const [y, m, d] = text.split("-").map(Number);
  return `${d} ${MONTHS[lang][m - 1]} ${y}${lang === "ru" ? " г." : ""}`;
}

/** The employer's page (phone-sized, 360 px), the operator's, and what the tests below leave for the next. */
let employer;
let operator;
const state = { serial: 0, editedSerial: 0, employeeId: null, tripSerial: 0, importId: null, delegated: null };

async function shot(page, name) {
  await page.screenshot({ path: join(shotsDir, `${name}.png`), fullPage: true });
}

async function openPortal({ width = 360, height = 780 } = {}) {
  return openPortalPage(shared, {
    contextOptions: { viewport: { width, height } },
    problems: pageProblems,
    onDialog: (d) => d.accept(d.type() === "prompt" ? "dəfn təxirə salındı" : undefined),
  });
}

async function setLanguage(page, lang) {
  await page.selectOption("#lang", lang);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

/** The error shown beside input `id`: its text, whether it lies in the input's own field below it, and the input's marks. */
async function fieldError(page, id) {
  await page.waitForSelector(`#${id}-error:not([hidden])`);
  return page.evaluate((inputId) => {
    const input = document.getElementById(inputId);
    const line = document.getElementById(`${inputId}-error`);
    const inputBox = input.getBoundingClientRect();
    const lineBox = line.getBoundingClientRect();
    const container = input.closest(".field, fieldset");
    return {
      text: line.textContent,
      besideItsField: Boolean(container && container.contains(line)) && lineBox.top >= inputBox.top,
      invalid: input.getAttribute("aria-invalid"),
      describedBy: input.getAttribute("aria-describedby"),
    };
  }, id);
}

/** Submits a form and waits for the API's answer to `path`; gives its JSON. */
async function submitForAnswer(page, button, path) {
  const answer = page.waitForResponse((r) => new URL(r.url()).pathname === path && r.request().method() !== "GET");
  await page.click(button);
  const response = await answer;
  return { status: response.status(), body: await response.json() };
}

test("an empty form is checked in the page: each empty field says so beside it, and nothing is sent", async () => {
  const created = await shared.server.adminPost("/v1/organisations", ORG);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  employer = await openPortal();
  await waitRoute(employer, "login");

  // Azerbaijani, the login form.
  await refusedInPage(employer, "login", "an empty login form sends nothing");
  assert.equal(await employer.textContent("#login-error"), "Qeyd olunmuş sahələri doldurun.");
  for (const id of ["login-login", "login-password"]) {
    const e = await fieldError(employer, id);
    assert.equal(e.text, "Bu sahəni doldurun.", id);
    assert.ok(e.besideItsField, `${id}: the error is in the field, under the input`);
    assert.equal(e.invalid, "true", id);
    assert.equal(e.describedBy, `${id}-error`, id);
  }
  assert.equal(await employer.evaluate(() => document.activeElement?.id), "login-login", "the first empty field gets the focus");
  await shot(employer, "portal-words-login-empty");
  // Filling one field clears its mark on the next try; the other still says so.
  await employer.fill("#login-login", ORG.login);
  const sentAgain = await apiRequestsDuring(employer, () => employer.click("#login-submit"));
  assert.deepEqual(sentAgain, []);
  assert.ok(await employer.isHidden("#login-login-error"));
  assert.equal(await employer.textContent("#login-error"), "Qeyd olunmuş sahəni doldurun.");
  assert.equal((await fieldError(employer, "login-password")).text, "Bu sahəni doldurun.");

  // Signing in with the one-time password; the password form, empty, in Russian.
  await login(employer, ORG.login, created.body.password);
  await waitRoute(employer, "password");
  await setLanguage(employer, "ru");
  await refusedInPage(employer, "password");
  assert.equal(await employer.textContent("#password-error"), "Заполните отмеченные поля.");
  for (const id of ["password-old", "password-new", "password-repeat"]) {
    assert.equal((await fieldError(employer, id)).text, "Заполните это поле.", id);
  }
  // A wrong current password: the server's `wrong_password`, said in Russian beside the current password.
  await fillPasswords(employer, "не-тот-пароль", NEW_PASSWORD);
  const answer = await submitForAnswer(employer, "#password-submit", "/portal/api/password");
  assert.deepEqual([answer.status, answer.body.code, answer.body.field], [400, "wrong_password", "old"]);
  await employer.waitForFunction(() => document.querySelector("#password-old-error")?.textContent);
  const wrong = await fieldError(employer, "password-old");
  assert.equal(wrong.text, "Текущий пароль неверен.");
  assert.ok(wrong.besideItsField);
  assert.equal(await employer.textContent("#password-error"), "Текущий пароль неверен.");
  assert.ok(await employer.isHidden("#password-new-error"), "only the field it is about is marked");
  await shot(employer, "portal-words-wrong-password-ru");
  // Different new passwords: said beside the repeat, before anything is sent.
  await fillPasswords(employer, created.body.password, NEW_PASSWORD, `${NEW_PASSWORD}x`);
  const sentMismatch = await apiRequestsDuring(employer, () => employer.click("#password-submit"));
  assert.deepEqual(sentMismatch, []);
  assert.equal((await fieldError(employer, "password-repeat")).text, "Новые пароли не совпадают.");
  await employer.fill("#password-repeat", NEW_PASSWORD);
  await employer.click("#password-submit");
  await waitRoute(employer, "employees");

  // The employee form, empty, in Russian: the zones too are marked, in their own words.
  await employer.click("#employees-new");
  await employer.waitForSelector("#employee-form");
  await employer.fill("#employee-from", "");
  await refusedInPage(employer, "employee", "an empty employee form sends nothing");
  assert.equal(await employer.textContent("#employee-error"), "Заполните отмеченные поля.");
  for (const id of ["employee-document", "employee-name", "employee-from"]) {
    const e = await fieldError(employer, id);
    assert.equal(e.text, "Заполните это поле.", id);
    assert.ok(e.besideItsField, id);
  }
  const zonesId = (await employer.$("#employee-zones-typed")) ? "employee-zones-typed" : "employee-zones";
  assert.equal((await fieldError(employer, zonesId)).text, "Выберите хотя бы одну зону.");
  assert.ok(await employer.isHidden("#employee-position-error"), "an optional field is not marked");
  assert.ok(await employer.isHidden("#employee-until-error"), "a filled field is not marked");
  await shot(employer, "portal-words-employee-empty-ru");

  // The delegation form, empty, in Azerbaijani.
  await setLanguage(employer, "az");
  await employer.click("#nav-org");
  await waitRoute(employer, "org");
  await refusedInPage(employer, "delegate");
  // The first person was added by the administrator, said in words.
  assert.equal(await employer.textContent(`#persons tr[data-login="${ORG.login}"] td:nth-child(4)`), "Administrator");
  assert.equal((await fieldError(employer, "delegate-login")).text, "Bu sahəni doldurun.");
  assert.equal((await fieldError(employer, "delegate-name")).text, "Bu sahəni doldurun.");
});

test("the server's refusals are said in the page's language, beside the field they name", async () => {
  const page = employer;
  await page.goto(`${shared.server.url}/portal/#/employees/new`);
  await page.waitForSelector("#employee-form");
  await setLanguage(page, "az");
  await page.waitForSelector("#employee-form");
  const fill = async ({ document = DEMO.baku, from = bakuDate(0), until = bakuDate(13), plate = "" } = {}) => {
    await page.fill("#employee-document", document);
    await page.fill("#employee-name", "Fuad Rzayev");
    await page.fill("#employee-position", "Toxucu");
    await pickZones(page, "employee-zones", [1]);
    await page.fill("#employee-from", from);
    await page.fill("#employee-until", until);
    await page.fill("#employee-plate", plate);
  };

  // A document the registry does not know: its number, said in Azerbaijani, beside the document,
  // from the refusal's code and values alone: the English message, changed on its way, is not read.
  await page.route("**/portal/api/employees", async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    await route.fulfill({ response, json: { ...body, message: "tampered English" } });
  });
  await fill({ document: DEMO.unknown });
  let r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  await page.unroute("**/portal/api/employees");
  assert.deepEqual([r.body.code, r.body.field, r.body.params], ["unknown_document", "document", { document: DEMO.unknown }]);
  assert.equal(r.body.message, "tampered English");
  const unknown = `${DEMO.unknown} sənədi əhali reyestrində yoxdur: nömrəni yoxlayın.`;
  await page.waitForFunction((t) => document.querySelector("#employee-error")?.textContent === t, unknown);
  let e = await fieldError(page, "employee-document");
  assert.equal(e.text, unknown);
  assert.ok(e.besideItsField);
  assert.equal(e.invalid, "true");

  // `invalid_dates`, whose cases its `case` tells apart: the end before the start, beside the end.
  await fill({ from: bakuDate(5), until: bakuDate(2) });
  r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  assert.equal(r.body.code, "invalid_dates");
  assert.equal(r.body.message, "valid_until is before valid_from");
  await page.waitForFunction(() => document.querySelector("#employee-until-error")?.textContent);
  assert.equal((await fieldError(page, "employee-until")).text, "Son gün başlanğıc günündən əvvəldir.");
  assert.ok(await page.isHidden("#employee-document-error"), "the document's earlier error is cleared");
  await shot(page, "portal-words-employee-dates-az");
  // A window that has ended already.
  await fill({ from: bakuDate(-10), until: bakuDate(-5) });
  r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  assert.equal(r.body.message, "the permit would end in the past");
  await page.waitForFunction(() => /keçmişdə/.test(document.querySelector("#employee-until-error")?.textContent ?? ""));
  assert.equal((await fieldError(page, "employee-until")).text, "İcazə keçmişdə bitərdi: sonrakı tarixləri seçin.");

  // Russian: a document that is no series and digits, then a wrong plate, each with the value the server names.
  await setLanguage(page, "ru");
  await page.waitForSelector("#employee-form");
  await fill({ document: "12ab" });
  r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  assert.equal(r.body.code, "invalid_document");
  await page.waitForFunction(() => document.querySelector("#employee-document-error")?.textContent);
  e = await fieldError(page, "employee-document");
  assert.equal(e.text, "«12AB» — не серия с цифрами после неё, например AZE11111111 или MYI1234567.");
  assert.equal(await page.textContent("#employee-error"), e.text, "the banner says it too");
  await fill({ plate: "10@AA" });
  r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  assert.equal(r.body.code, "invalid_plate");
  await page.waitForFunction(() => document.querySelector("#employee-plate-error")?.textContent);
  assert.equal(
    (await fieldError(page, "employee-plate")).text,
    "Номер автомобиля «10@AA» должен состоять из 1–15 латинских букв A–Z и цифр (дефисы и пробелы не учитываются).",
  );
  await shot(page, "portal-words-employee-plate-ru");
  // Outside the regime (it runs 35 days from today): the dates the server names, written the page's way.
  await setLanguage(page, "az");
  await page.waitForSelector("#employee-form");
  await fill({ from: bakuDate(40), until: bakuDate(42) });
  r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  assert.equal(r.body.code, "outside_regime");
  assert.match(r.body.message, /^no regime is in force on \d{4}-\d\d-\d\d 00:00/);
  await page.waitForFunction(() => document.querySelector("#employee-from-error")?.textContent);
  assert.equal(
    (await fieldError(page, "employee-from")).text,
    `${writtenDay(bakuDate(40), "az")}, 00:00 tarixində heç bir rejim qüvvədə deyil: o vaxt icazə nə lazımdır, nə də mümkündür.`,
  );
  await fill({ from: bakuDate(30), until: bakuDate(40) });
  r = await submitForAnswer(page, "#employee-submit", "/portal/api/employees");
  assert.match(r.body.message, /^the regime \S+ ends on/);
  await page.waitForFunction(() => document.querySelector("#employee-until-error")?.textContent);
  assert.match(
    (await fieldError(page, "employee-until")).text,
    /^\S+ rejimi \d{1,2} (yanvar|fevral|mart|aprel|may|iyun|iyul|avqust|sentyabr|oktyabr|noyabr|dekabr) \d{4}, 00:00 tarixində bitir: icazə o vaxta qədər bitməlidir\.$/,
  );
  assert.ok(await page.isHidden("#employee-from-error"), "the start's earlier error is cleared");

  // The 102 console: a funeral permit's own limits, in Azerbaijani and Russian, beside the time they are about.
  const created = await shared.server.adminPost("/v1/operators", OPERATOR);
  assert.equal(created.status, 201, JSON.stringify(created.body));
  operator = await openPortal();
  await waitRoute(operator, "login");
  await login(operator, OPERATOR.login, created.body.password);
  await waitRoute(operator, "password");
  await fillPasswords(operator, created.body.password, NEW_PASSWORD, NEW_PASSWORD, { submit: true });
  await waitRoute(operator, "console");
  // An empty document: nothing is sent.
  await refusedInPage(operator, "funeral");
  assert.equal((await fieldError(operator, "funeral-document")).text, "Bu sahəni doldurun.");
  assert.equal(await operator.textContent("#funeral-error"), "Qeyd olunmuş sahəni doldurun.");
  await operator.fill("#funeral-document", DEMO.baku);
  // Over 24 hours.
  await operator.fill("#funeral-from", bakuDateTime(60));
  await operator.fill("#funeral-until", bakuDateTime(60 + 30 * 60));
  r = await submitForAnswer(operator, "#funeral-submit", "/portal/api/funeral");
  assert.deepEqual([r.body.code, r.body.case, r.body.field, r.body.params], ["invalid_dates", "funeral_length", "valid_until", { hours: "24" }]);
  await operator.waitForFunction(() => document.querySelector("#funeral-until-error")?.textContent);
  e = await fieldError(operator, "funeral-until");
  assert.equal(e.text, "Dəfn icazəsi başladıqdan sonra bitir və ən çoxu 24 saat qüvvədə olur.");
  assert.ok(e.besideItsField);
  await shot(operator, "portal-words-funeral-length-az");
  // Not on a quarter hour, in Russian.
  await setLanguage(operator, "ru");
  await operator.waitForSelector("#funeral-form");
  await operator.fill("#funeral-document", DEMO.baku);
  const start = bakuDateTime(60);
  await operator.fill("#funeral-from", `${start.slice(0, 14)}07`);
  await operator.fill("#funeral-until", bakuDateTime(60 + 4 * 60));
  r = await submitForAnswer(operator, "#funeral-submit", "/portal/api/funeral");
  assert.match(r.body.message, /quarter hour/);
  await operator.waitForFunction(() => document.querySelector("#funeral-from-error")?.textContent);
  assert.equal((await fieldError(operator, "funeral-from")).text, "Разрешение на похороны начинается ровно в :00, :15, :30 или :45.");
  // More than 3 days ahead.
  await operator.fill("#funeral-from", bakuDateTime(5 * 24 * 60));
  await operator.fill("#funeral-until", bakuDateTime(5 * 24 * 60 + 60));
  r = await submitForAnswer(operator, "#funeral-submit", "/portal/api/funeral");
  assert.match(r.body.message, /3 days ahead/);
  await operator.waitForFunction(() => /сут/.test(document.querySelector("#funeral-from-error")?.textContent ?? ""));
  assert.equal(
    (await fieldError(operator, "funeral-from")).text,
    "Разрешение на похороны может начинаться не позднее чем через 3 сут.",
  );
  assert.ok(await operator.isHidden("#funeral-until-error"));
  // None of the server's English reached the page.
  assert.doesNotMatch(await operator.textContent("#view"), /funeral permit|quarter hour|days ahead/);
  await shot(operator, "portal-words-funeral-ahead-ru");
});

test("an import's problems are said line by line in the page's language", async () => {
  const page = employer;
  const good = DEMO.synthetic(10).document;
  const csv = [
    "document,name,position,zones,valid_from,valid_until,plate",
    `${good},Nərmin Əsgərova,Toxucu,1,${bakuDate(0)},${bakuDate(10)},`,
    `${DEMO.unknown},Naməlum Şəxs,Fəhlə,1,${bakuDate(0)},${bakuDate(10)},`,
    `${DEMO.synthetic(11).document},Orxan Səfərov,Satıcı,1,not-a-date,${bakuDate(10)},`,
    `${good},Nərmin Əsgərova,Toxucu,1,${bakuDate(0)},${bakuDate(10)},`,
    `${DEMO.synthetic(12).document},Üç Sütun,Fəhlə`,
    `${DEMO.synthetic(13).document},İlqar Çələbi,Fəhlə,x,${bakuDate(0)},${bakuDate(10)},`,
    `${DEMO.denied},Qadağan Şəxs,Fəhlə,1,${bakuDate(0)},${bakuDate(10)},`,
    `${DEMO.synthetic(14).document},Ayan Şirinova,Fəhlə,999,${bakuDate(0)},${bakuDate(10)},`,
    `${DEMO.synthetic(15).document},"Açıq dırnaq,Fəhlə,1,${bakuDate(0)},${bakuDate(10)},`,
  ].join("\n");
  await setLanguage(page, "ru");
  await page.click("#nav-import");
  await waitRoute(page, "import");
  // No file chosen: said beside the file input, nothing sent.
  await refusedInPage(page, "import");
  assert.equal((await fieldError(page, "import-file")).text, "Выберите файл.");
  await page.setInputFiles("#import-file", { name: "employees.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.click("#import-submit");
  await page.waitForSelector("body[data-import-done]", { timeout: 30_000 });
  state.importId = /#\/import\/([^/?]+)/.exec(page.url())?.[1];
  assert.ok(state.importId, page.url());
  const problems = async () =>
    page.$$eval("#import-problems tbody tr", (rows) => rows.map((r) => [Number(r.dataset.line), r.children[1].textContent]));
  const ru = await problems();
  const regime = /режим (\S+)\.$/.exec(ru.find(([line]) => line === 9)?.[1] ?? "")?.[1];
  assert.deepEqual(ru, [
    [3, `Документа ${DEMO.unknown} нет в реестре населения: проверьте номер.`],
    [4, "«not-a-date» — не дата: укажите её в виде ГГГГ-ММ-ДД."],
    [5, `Документ ${good} уже есть в строке 2 файла.`],
    [6, "Ожидалось столбцов: 7, найдено: 3."],
    [7, "Зона «x» — не число."],
    [8, "По этому документу пропуск выдать нельзя: владелец может позвонить в 9108."],
    [9, `Зона 999 не входит в режим ${regime}.`],
    [10, "Поле в кавычках не закрыто в пределах строки."],
  ]);
  assert.ok(regime, "the regime the server names is kept");
  assert.match(await page.textContent("#import-imported"), /\b1\b/);
  await shot(page, "portal-words-import-ru");
  // The same report in Azerbaijani: the page says it again in the new language.
  await setLanguage(page, "az");
  await page.waitForFunction(() => document.querySelector("#import-problems td:nth-child(2)")?.dataset.label === "Səbəb");
  const az = await problems();
  assert.deepEqual(az, [
    [3, `${DEMO.unknown} sənədi əhali reyestrində yoxdur: nömrəni yoxlayın.`],
    [4, "“not-a-date” tarix deyil: İİİİ-AA-GG şəklində yazın."],
    [5, `${good} sənədi artıq faylın 2 nömrəli sətrindədir.`],
    [6, "7 sütun olmalıdır, 3 sütun var."],
    [7, "“x” zonası rəqəm deyil."],
    [8, "Bu sənədə icazə verilə bilməz: sahibi 9108-ə zəng edə bilər."],
    [9, `999 nömrəli zona ${regime} rejiminin zonası deyil.`],
    [10, "Dırnaq içindəki sahə öz sətrində bağlanmayıb."],
  ]);
  await shot(page, "portal-words-import-az");
});

test("dates are written in the page's language, in Baku time", async () => {
  const page = employer;
  await setLanguage(page, "az");
  await page.goto(`${shared.server.url}/portal/#/employees/new`);
  await page.waitForSelector("#employee-form");
  await page.fill("#employee-document", DEMO.baku);
  await page.fill("#employee-name", "Fuad Rzayev");
  await pickZones(page, "employee-zones", [1]);
  await page.fill("#employee-from", bakuDate(0));
  await page.fill("#employee-until", bakuDate(13));
  await page.click("#employee-submit");
  await page.waitForSelector("#employee-serial", { timeout: 10_000 });
  state.serial = Number(await page.textContent("#employee-serial"));
  state.employeeId = /#\/employees\/(\d+)/.exec(page.url())?.[1];
  const range = (lang) => `${writtenDay(bakuDate(0), lang)} – ${writtenDay(bakuDate(13), lang)}`;
  // The permit runs from 00:00 Baku time on the first day to 00:00 after the last.
  const validity = (lang) => `${writtenDay(bakuDate(0), lang)}, 00:00 – ${writtenDay(bakuDate(14), lang)}, 00:00`;
  for (const lang of ["az", "ru", "en"]) {
    if (lang !== "az") {
      await setLanguage(page, lang);
      await page.waitForSelector("#employee-dates");
    }
    assert.equal(await page.textContent("#employee-dates"), range(lang));
    if (lang !== "en") assert.equal(await page.textContent("#employee-validity"), validity(lang));
  }
  await setLanguage(page, "az");
  await page.waitForSelector("#employee-dates");
  await shot(page, "portal-words-employee-az");

  // More changes for the audit log: an edit (of the plate, a signed field: a new serial,
  // confirmed), a business trip, a delegated person.
  await page.click("#employee-edit");
  await page.waitForSelector("#employee-form");
  await page.fill("#employee-position", "Baş toxucu");
  await page.fill("#employee-plate", "10-AA-123");
  await page.click("#employee-submit");
  await page.waitForFunction((old) => {
    const s = document.querySelector("#employee-serial");
    return s && s.textContent !== String(old);
  }, state.serial);
  state.editedSerial = Number(await page.textContent("#employee-serial"));
  await pickZones(page, "trip-zones", [3]);
  await page.fill("#trip-from", bakuDate(1));
  await page.fill("#trip-until", bakuDate(3));
  await page.click("#trip-submit");
  await page.waitForSelector("#trips section[data-trip]");
  const tripId = await page.getAttribute("#trips section[data-trip]", "data-trip");
  state.tripSerial = Number(await page.textContent(`#trip-${tripId}-serial`));
  await page.click("#nav-org");
  await waitRoute(page, "org");
  await page.fill("#delegate-login", "muavin");
  await page.fill("#delegate-name", "Elçin Məmmədli");
  await page.click("#delegate-submit");
  await page.waitForSelector("#delegate-password");
  state.delegated = `muavin@${ORG.tax_id}`;
});

test("the audit log says each change in words, in Azerbaijani and Russian, and an unknown action in words too", async () => {
  const page = employer;
  await setLanguage(page, "az");
  await page.click("#nav-audit");
  await waitRoute(page, "audit");
  await page.waitForSelector('#audit tr[data-action="person_added"]');
  const said = (action) => page.$$eval(`#audit tr[data-action="${action}"] td.what`, (cells) => cells.map((c) => c.textContent));
  const who = (action) => page.$$eval(`#audit tr[data-action="${action}"] td:nth-child(2)`, (cells) => cells.map((c) => c.textContent));
  assert.deepEqual(await said("organisation_created"), [
    `“${ORG.name}” təşkilatı (VÖEN ${ORG.tax_id}) yaradıldı; ilk səlahiyyətli şəxs: ${ORG.login}.`,
  ]);
  assert.deepEqual(await who("organisation_created"), ["Administrator"]);
  assert.deepEqual(await said("password_changed"), [`${ORG.login} şifrəsini dəyişdi.`]);
  assert.deepEqual(await said("employee_added"), [`${DEMO.baku} sənədli işçi qeydə alındı; ${state.serial} seriyalı icazə verildi.`]);
  assert.deepEqual(await said("employee_edited"), [
    `${DEMO.baku} sənədli işçinin məlumatları dəyişdirildi; yeni icazə: seriya ${state.editedSerial}, ləğv edilən: ${state.serial}.`,
  ]);
  const [trip] = await said("trip_added");
  assert.match(trip, new RegExp(`^${DEMO.baku} işçisi üçün ezamiyyət əlavə edildi \\(zonalar: .*\\(3\\)\\); ${state.tripSerial} seriyalı icazə verildi\\.$`));
  assert.deepEqual(await said("employees_imported"), ["CSV faylından idxal edilən işçilər: 1."]);
  assert.deepEqual(await said("person_added"), [`Səlahiyyətli şəxs əlavə edildi: Elçin Məmmədli (${state.delegated}).`]);
  // No code and no JSON in the log's words, and each cell named for the phone's cards.
  const text = await page.textContent("#audit tbody");
  assert.doesNotMatch(text, /employee_added|[{}"]|\bundefined\b/);
  assert.equal(await page.getAttribute('#audit tr[data-action="employee_added"] td.what', "data-label"), "Nə baş verib");
  await shot(page, "portal-words-audit-az");

  await setLanguage(page, "ru");
  await waitRoute(page, "audit");
  await page.waitForFunction(() => /Зарегистрирован/.test(document.querySelector('#audit tr[data-action="employee_added"]')?.textContent ?? ""));
  assert.deepEqual(await said("organisation_created"), [
    `Создана организация «${ORG.name}» (ВОЕН ${ORG.tax_id}); первое уполномоченное лицо: ${ORG.login}.`,
  ]);
  assert.deepEqual(await who("organisation_created"), ["Администратор"]);
  assert.deepEqual(await said("password_changed"), [`Изменён пароль пользователя ${ORG.login}.`]);
  assert.deepEqual(await said("employee_added"), [
    `Зарегистрирован сотрудник с документом ${DEMO.baku}; выдано разрешение серии ${state.serial}.`,
  ]);
  assert.deepEqual(await said("employee_edited"), [
    `Изменены данные сотрудника с документом ${DEMO.baku}; новое разрешение серии ${state.editedSerial}, отозваны: ${state.serial}.`,
  ]);
  const [tripRu] = await said("trip_added");
  assert.match(tripRu, new RegExp(`^Добавлена командировка сотрудника ${DEMO.baku} \\(зоны: .*\\(3\\)\\); выдано разрешение серии ${state.tripSerial}\\.$`));
  assert.deepEqual(await said("employees_imported"), ["Импортировано сотрудников из файла CSV: 1."]);
  assert.deepEqual(await said("person_added"), [`Добавлено уполномоченное лицо: Elçin Məmmədli (${state.delegated}).`]);
  await shot(page, "portal-words-audit-ru");

  // An action this page does not know (a newer server's) is said as such in words: no code, no JSON, not a blank.
  await page.route("**/portal/api/audit*", async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    body.entries.push({ id: 99_999, at: new Date().toISOString(), by: "admin", action: "zones_renamed", details: { zone: 3 } });
    await route.fulfill({ response, json: body });
  });
  await page.reload();
  await page.waitForSelector('#audit tr[data-action="zones_renamed"]');
  assert.equal(
    await page.textContent('#audit tr[data-action="zones_renamed"] td.what'),
    "Изменение, которое эта версия страницы не умеет описать; полностью его может прочитать администратор.",
  );
  assert.deepEqual(await who("zones_renamed"), ["Администратор"]);
  assert.doesNotMatch(await page.textContent("#audit tbody"), /zones_renamed|[{}"]|\bundefined\b/);
  await shot(page, "portal-words-audit-unknown-ru");
  await page.unroute("**/portal/api/audit*");
  await setLanguage(page, "az");
});

/** What does not fit a phone `width` px wide: sideways scrolling, and controls or cells that stick out. */
async function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const root = document.scrollingElement;
    if (root.scrollWidth > root.clientWidth) problems.push(`the page scrolls sideways: ${root.scrollWidth} > ${root.clientWidth}`);
    const width = root.clientWidth;
    const selector = "header *, button, a, input, select, textarea, label, h1, h2, td, dd, .card, .field-error, .error, .flash, img";
    for (const node of document.querySelectorAll(selector)) {
      const r = node.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue; // Not shown.
      if (node.closest("thead")) continue; // Read by screen readers only, on a phone.
      if (r.left < -0.5 || r.right > width + 0.5) {
        const name = `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ""}${node.className ? `.${String(node.className).split(" ")[0]}` : ""}`;
        problems.push(`${name} "${(node.textContent ?? "").trim().slice(0, 30)}" spans ${Math.round(r.left)}..${Math.round(r.right)} of ${width}`);
      }
    }
    return problems;
  });
}

/** Whether a table's rows are cards, each cell under its column's name. */
async function tableAsCards(page, tableId) {
  return page.$eval(`#${tableId}`, (table) => {
    const row = table.querySelector("tbody tr");
    const cell = row?.querySelector("td[data-label]");
    return {
      rowDisplay: row ? getComputedStyle(row).display : null,
      label: cell ? getComputedStyle(cell, "::before").content : null,
      header: cell?.dataset.label ?? null,
    };
  });
}

test("at 360 and 320 px wide every screen fits the phone: no sideways scrolling, tables as cards, buttons inside", async () => {
  const page = employer;
  await setLanguage(page, "az");
  // The operator's permit list needs a permit.
  await setLanguage(operator, "az");
  await operator.waitForSelector("#funeral-form");
  await operator.fill("#funeral-document", DEMO.baku);
  const [from, until] = [bakuDateTime(60), bakuDateTime(60 + 8 * 60)];
  await operator.fill("#funeral-from", from);
  await operator.fill("#funeral-until", until);
  await operator.click("#funeral-submit");
  await operator.waitForSelector("#funeral-serial", { timeout: 10_000 });
  // Its window in Azerbaijani, Baku time, the day written once when it ends on the day it starts.
  const at = (v) => `${writtenDay(v.slice(0, 10), "az")}, ${v.slice(11, 16)}`;
  const window = from.slice(0, 10) === until.slice(0, 10) ? `${at(from)} – ${until.slice(11, 16)}` : `${at(from)} – ${at(until)}`;
  assert.equal(await operator.textContent("#funeral-validity"), window);
  const screens = [
    [page, "employees", `#/employees`, "#employees-table", "employees-table"],
    [page, "employee", `#/employees/${state.employeeId}`, "#employee-serial", null],
    [page, "employee-form", `#/employees/${state.employeeId}/edit`, "#employee-form", null],
    [page, "import", `#/import/${state.importId}`, "#import-problems", "import-problems"],
    [page, "org", `#/org`, "#persons", "persons"],
    [page, "audit", `#/audit`, '#audit tr[data-action="person_added"]', "audit"],
    [page, "reactivate", `#/reactivate`, "#reactivate-form", null],
    [operator, "console", `#/console`, "#funeral-list tbody tr", "funeral-list"],
  ];
  const problems = [];
  for (const width of [360, 320]) {
    for (const p of [page, operator]) await p.setViewportSize({ width, height: 720 });
    for (const [p, name, hash, ready, tableId] of screens) {
      await p.goto(`${shared.server.url}/portal/${hash}`);
      await p.waitForSelector(ready, { timeout: 10_000 });
      if (name === "import") await p.waitForSelector("body[data-import-done]");
      if (name === "console") {
        // The form's own error beside a field, at this width too.
        await p.fill("#funeral-document", "");
        await p.click("#funeral-submit");
        await p.waitForSelector("#funeral-document-error:not([hidden])");
      }
      await p.evaluate(() => document.fonts.ready);
      problems.push(...(await layoutProblems(p)).map((x) => `${width} ${name}: ${x}`));
      if (tableId) {
        const cards = await tableAsCards(p, tableId);
        assert.equal(cards.rowDisplay, "block", `${width} ${name}: a row is a card`);
        assert.equal(cards.label, JSON.stringify(cards.header), `${width} ${name}: a cell shows its column's name`);
      }
      // The menu's links all show, inside the screen.
      const nav = await p.$$eval("#nav a", (links) =>
        links.map((a) => {
          const r = a.getBoundingClientRect();
          return r.width > 0 && r.left >= 0 && r.right <= document.documentElement.clientWidth;
        }),
      );
      assert.ok(nav.length >= 2 && nav.every(Boolean), `${width} ${name}: the menu fits (${nav})`);
      await shot(p, `portal-phone-${width}-${name}`);
    }
  }
  // The login screen, signed out, at 320 px.
  const signedOut = await openPortal({ width: 320, height: 640 });
  await waitRoute(signedOut, "login");
  problems.push(...(await layoutProblems(signedOut)).map((x) => `320 login: ${x}`));
  await shot(signedOut, "portal-phone-320-login");
  await signedOut.context().close();
  assert.deepEqual(problems, []);
});

test("no page error and no CSP violation happened", () => {
  assert.deepEqual(pageProblems, []);
});
