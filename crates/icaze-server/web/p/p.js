// The citizen's permit page, /p#<token>.
//
// The token comes from the URL fragment, which browsers never send to a server, and this
// script never sends it anywhere either: it has no fetch, no form, no beacon. It reads the
// token in either text form of docs/token-format.md (the SMS form `IZ1…` or the QR form,
// digits only), converts it to the QR form (§2.2), draws the QR code with qr.js, and reads
// the claims from the bit-packed payload (§3) to show the validity and a countdown.
//
// What is NOT checked here: the signature and the issuer key (§4–6). A forged permit
// with well-formed bytes is shown like a real one; the page says so, because the
// officer's device is what verifies. Text taken from the token only ever reaches the
// page through textContent.

import { drawQr, encodeDigits, QUIET_ZONE } from "./qr.js";

// ---------------------------------------------------------------------------------------
// Reading a token (docs/token-format.md §2–3).

/** A token that cannot be read; `code` is the reason of docs/token-format.md §6. */
export class TokenError extends Error {
  constructor(code) {
    super(code);
    this.code = code;
  }
}

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Digits of a QR form group of n bytes (index n), §2.2. */
const GROUP_DIGITS = [0, 3, 5, 8, 10, 13, 15, 17];
const MAX_SMS_CHARS = 215;
const MAX_QR_DIGITS = 405;
const MAX_TOKEN_BYTES = 160;
const SIGNATURE_BYTES = 64;
/** 2020-01-01T00:00Z, the epoch of `issued_at`, in milliseconds. */
const EPOCH_MS = Date.UTC(2020, 0, 1);
const MINUTE_MS = 60_000;

/** Base64url without padding, refusing non-canonical text (§2.1). */
function fromBase64url(text) {
  if (text.length % 4 === 1) throw new TokenError("bad_encoding");
  const bytes = [];
  let bits = 0;
  let count = 0;
  for (const ch of text) {
    const value = BASE64URL.indexOf(ch);
    if (value < 0 || ch.length !== 1) throw new TokenError("bad_encoding");
    bits = (bits << 6) | value;
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push((bits >>> count) & 0xff);
      bits &= (1 << count) - 1;
    }
  }
  // The unused low bits of the last character must be zero.
  if (bits !== 0) throw new TokenError("bad_encoding");
  return Uint8Array.from(bytes);
}

/** The digit groups of the QR form back to bytes (§2.2). */
function fromDigits(text) {
  const tail = text.length % 17;
  const tailBytes = GROUP_DIGITS.indexOf(tail);
  if (tail !== 0 && tailBytes < 0) throw new TokenError("bad_encoding");
  const bytes = [];
  for (let at = 0; at < text.length; ) {
    const n = text.length - at >= 17 ? 7 : tailBytes;
    let value = BigInt(text.slice(at, at + GROUP_DIGITS[n]));
    at += GROUP_DIGITS[n];
    if (value >= 1n << BigInt(8 * n)) throw new TokenError("bad_encoding");
    const group = [];
    for (let i = 0; i < n; i++) {
      group.unshift(Number(value & 0xffn));
      value >>= 8n;
    }
    bytes.push(...group);
  }
  return Uint8Array.from(bytes);
}

/** Token bytes to the QR form: 7-byte groups in decimal, zero-padded (§2.2). */
export function toQrDigits(bytes) {
  let text = "";
  for (let at = 0; at < bytes.length; at += 7) {
    const group = bytes.subarray(at, at + 7);
    let value = 0n;
    for (const byte of group) value = (value << 8n) | BigInt(byte);
    text += value.toString().padStart(GROUP_DIGITS[group.length], "0");
  }
  return text;
}

/** Reads bit fields most significant bit first (§3). */
class BitReader {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }

  /** The next `n` bits (n ≤ 50, so the value stays an exact Number). */
  read(n) {
    let value = 0;
    for (let i = 0; i < n; i++) {
      const byte = this.bytes[this.at >>> 3];
      if (byte === undefined) throw new TokenError("truncated");
      value = value * 2 + ((byte >>> (7 - (this.at & 7))) & 1);
      this.at++;
    }
    return value;
  }

  get left() {
    return this.bytes.length * 8 - this.at;
  }
}

/** W(n): bits of a document number of n digits (§3). */
const DIGIT_BITS = [0, 4, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40, 44, 47, 50];
const IMPLIED_SERIES = { 2: "AZE", 3: "AA", 4: "MYİ", 5: "DYİ", 6: "MOM" };
/** Type-1 series refused once the digits are read (they belong to types 4 to 6). */
const LATE_RESERVED_SERIES = ["MYI", "DYI", "MOM"];

/**
 * The claims of a payload, with the field checks of §3 in its order, so that a bad
 * payload gets the reason code a verifier gives (tests/vectors/permit-v1*.{json,txt}).
 */
function readClaims(payload) {
  const bits = new BitReader(payload);
  const invalid = () => new TokenError("invalid_field");
  if (bits.read(4) !== 1) throw new TokenError("unsupported_version");
  const purpose = bits.read(4);
  if (purpose === 0) throw invalid();
  const keyId = bits.read(8);
  const serial = bits.read(32);
  const issuedAt = bits.read(26);
  let validFrom = issuedAt;
  if (bits.read(1) === 1) {
    const before = bits.read(1) === 1;
    const delta = bits.read(20);
    validFrom = before ? issuedAt - delta : issuedAt + delta;
    if (delta === 0 || validFrom < 0) throw invalid();
  }
  const long = bits.read(1) === 1;
  const duration = bits.read(long ? 20 : 11);
  if (duration === 0 || (long && duration < 2048)) throw invalid();
  const zones = [];
  for (;;) {
    const zone = bits.read(12);
    if (zone === 0 || (zones.length > 0 && zone <= zones[zones.length - 1]) || zones.length === 16) throw invalid();
    zones.push(zone);
    if (bits.read(1) === 0) break;
  }
  let vehicle = null;
  if (bits.read(1) === 1) {
    const length = bits.read(4);
    if (length === 0) throw invalid();
    vehicle = "";
    for (let i = 0; i < length; i++) {
      const code = bits.read(6);
      if (code >= 36) throw invalid();
      vehicle += code < 10 ? String(code) : String.fromCharCode(55 + code);
    }
  }
  const docType = bits.read(4);
  if (docType === 0 || docType > 7) throw invalid();
  let series = IMPLIED_SERIES[docType] ?? "";
  if (docType === 1 || docType === 7) {
    const length = bits.read(3);
    for (let i = 0; i < length; i++) {
      const code = bits.read(5);
      if (code === 0 || code > 26) throw invalid();
      series += String.fromCharCode(64 + code);
    }
    // AZE and AA have their own types: refused as soon as the series is read (§3).
    if (docType === 1 && (series === "AZE" || series === "AA")) throw invalid();
  }
  const digitCount = bits.read(4);
  if (digitCount === 0) throw invalid();
  const number = bits.read(DIGIT_BITS[digitCount]);
  if (number >= 10 ** digitCount) throw invalid();
  // The document's kind rules come after its digits are read (§3).
  if (docType >= 4 && docType <= 6 && digitCount !== 7) throw invalid();
  if (docType === 1 && (series === "" || LATE_RESERVED_SERIES.includes(series))) throw invalid();
  if (bits.left >= 8) throw new TokenError("trailing_bytes");
  if (bits.left > 0 && bits.read(bits.left) !== 0) throw invalid();
  return {
    purpose,
    keyId,
    serial,
    document: series + String(number).padStart(digitCount, "0"),
    zones,
    vehicle,
    validFrom: EPOCH_MS + validFrom * MINUTE_MS,
    validUntil: EPOCH_MS + (validFrom + duration) * MINUTE_MS,
  };
}

/**
 * Reads a token in its SMS form (`IZ1…`) or QR form (digits), with the limits and checks
 * of §2.4 and §3. Returns its bytes, its QR form and its (unverified) claims.
 * @throws {TokenError}
 */
export function readToken(text) {
  let bytes;
  if (text === "") throw new TokenError("no_token");
  if (/^IZ[0-9]/.test(text)) {
    if (text[2] !== "1") throw new TokenError("unsupported_version");
    const body = text.slice(3);
    if (body.length > MAX_SMS_CHARS) throw new TokenError("too_long");
    bytes = fromBase64url(body);
  } else if (/^[0-9]+$/.test(text)) {
    if (text.length > MAX_QR_DIGITS) throw new TokenError("too_long");
    bytes = fromDigits(text);
  } else {
    throw new TokenError("bad_encoding");
  }
  if (bytes.length > MAX_TOKEN_BYTES) throw new TokenError("too_long");
  if (bytes.length < SIGNATURE_BYTES) throw new TokenError("truncated");
  const claims = readClaims(bytes.subarray(0, bytes.length - SIGNATURE_BYTES));
  return { bytes, digits: toQrDigits(bytes), claims };
}

/** The token text in the address: the fragment, percent-decoded if it was encoded. */
function tokenFromAddress() {
  const raw = location.hash.replace(/^#/, "");
  let text = raw;
  try {
    text = decodeURIComponent(raw);
  } catch {
    // Not valid percent-encoding: read it as it is, and let readToken refuse it.
  }
  return text.trim();
}

// ---------------------------------------------------------------------------------------
// Text in three languages.

const TEXT = {
  az: {
    title: "İcazə",
    brightness: "Ekranın parlaqlığını artırın",
    purpose: "Məqsəd",
    document: "Sənəd",
    zones: "Zonalar",
    vehicle: "Nəqliyyat vasitəsi",
    validFrom: "Başlayır",
    validUntil: "Bitir",
    serial: "İcazə nömrəsi",
    bakuTime: "Bakı vaxtı",
    signatureNote:
      "Bu səhifə icazənin imzasını yoxlamır: onu polis əməkdaşının cihazı yoxlayır. İcazə yalnız bu cihazda saxlanılır, heç yerə göndərilmir.",
    problemTitle: "İcazəni göstərmək mümkün deyil",
    left: "Bitməsinə qalıb",
    startsIn: "Başlamasına qalıb",
    expired: "İcazənin müddəti bitib",
    days: "gün",
    purposes: { 1: "Tibbi yardım", 2: "Zəruri ehtiyaclar", 3: "Dəfn mərasimi", 4: "İş", 5: "Ezamiyyət" },
    purposeN: "Məqsəd",
    no_token:
      "Ünvanda icazə yoxdur. SMS ilə aldığınız icazəni bu səhifənin ünvanına # işarəsindən sonra əlavə edin.",
    unsupported_version: "Bu icazə daha yeni formatdadır. İnternetə qoşulub səhifəni yeniləyin.",
    bad: "Bu icazə oxunmur: mətn zədələnib və ya natamamdır. SMS-dəki icazəni yenidən tam köçürün.",
  },
  ru: {
    title: "Пропуск",
    brightness: "Увеличьте яркость экрана",
    purpose: "Цель",
    document: "Документ",
    zones: "Зоны",
    vehicle: "Автомобиль",
    validFrom: "Начало",
    validUntil: "Окончание",
    serial: "Номер пропуска",
    bakuTime: "время Баку",
    signatureNote:
      "Эта страница не проверяет подпись пропуска: её проверяет устройство сотрудника полиции. Пропуск хранится только на этом устройстве и никуда не отправляется.",
    problemTitle: "Пропуск не удаётся показать",
    left: "До окончания",
    startsIn: "До начала",
    expired: "Срок пропуска истёк",
    days: "д",
    purposes: { 1: "Медицинская помощь", 2: "Первая необходимость", 3: "Похороны", 4: "Работа", 5: "Командировка" },
    purposeN: "Цель",
    no_token: "В адресе нет пропуска. Добавьте пропуск из SMS в адрес этой страницы после знака #.",
    unsupported_version: "Пропуск более нового формата. Подключитесь к интернету и обновите страницу.",
    bad: "Пропуск не читается: текст повреждён или неполон. Скопируйте пропуск из SMS ещё раз полностью.",
  },
  en: {
    title: "Permit",
    brightness: "Turn the screen brightness up",
    purpose: "Purpose",
    document: "Document",
    zones: "Zones",
    vehicle: "Vehicle",
    validFrom: "Valid from",
    validUntil: "Valid until",
    serial: "Permit number",
    bakuTime: "Baku time",
    signatureNote:
      "This page does not check the permit's signature: the officer's device checks it. The permit stays on this device and is sent nowhere.",
    problemTitle: "The permit cannot be shown",
    left: "Time left",
    startsIn: "Starts in",
    expired: "This permit has expired",
    days: "d",
    purposes: { 1: "Medical", 2: "Necessities", 3: "Funeral", 4: "Work", 5: "Business trip" },
    purposeN: "Purpose",
    no_token: "There is no permit in the address. Add the permit from your SMS to this page's address, after the # sign.",
    unsupported_version: "This permit is in a newer format. Go online and reload the page.",
    bad: "This permit cannot be read: the text is damaged or incomplete. Copy the permit from the SMS again, in full.",
  },
};

const LANG_KEY = "icaze-p-lang";

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    // Storage may be disabled; fall back to the browser's language.
  }
  if (saved && TEXT[saved]) return saved;
  const browser = (navigator.language || "").slice(0, 2).toLowerCase();
  return browser === "ru" || browser === "en" ? browser : "az";
}

// ---------------------------------------------------------------------------------------
// Times in Baku (UTC+04:00, no daylight saving time since 2016: docs/token-format.md).

const BAKU_OFFSET_MS = 4 * 3600_000;
const two = (n) => String(n).padStart(2, "0");

/** `YYYY-MM-DD HH:MM` in Baku time; a midnight end is written as 24:00 of the day before. */
export function bakuTime(ms, { end = false } = {}) {
  let local = new Date(ms + BAKU_OFFSET_MS);
  let clock = `${two(local.getUTCHours())}:${two(local.getUTCMinutes())}`;
  if (end && clock === "00:00") {
    local = new Date(ms + BAKU_OFFSET_MS - 1);
    clock = "24:00";
  }
  return `${local.getUTCFullYear()}-${two(local.getUTCMonth() + 1)}-${two(local.getUTCDate())} ${clock}`;
}

/** A duration as `N d HH:MM:SS` (days only when there are some). */
function span(ms, daysWord) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(total / 86400);
  const clock = `${two(Math.floor((total % 86400) / 3600))}:${two(Math.floor((total % 3600) / 60))}:${two(total % 60)}`;
  return days > 0 ? `${days} ${daysWord} ${clock}` : clock;
}

// ---------------------------------------------------------------------------------------
// The page.

const state = { lang: "az", permit: null, error: null, timer: 0, wakeLock: null };
const byId = (id) => document.getElementById(id);

function render() {
  const t = TEXT[state.lang];
  document.documentElement.lang = state.lang;
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = t[element.dataset.t] ?? "";
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
  if (state.permit) {
    const { claims } = state.permit;
    byId("purpose").textContent = t.purposes[claims.purpose] ?? `${t.purposeN} ${claims.purpose}`;
    byId("document").textContent = claims.document;
    byId("zones").textContent = claims.zones.join(", ");
    byId("vehicle-row").hidden = claims.vehicle === null;
    byId("vehicle").textContent = claims.vehicle ?? "";
    byId("valid-from").textContent = `${bakuTime(claims.validFrom)} (${t.bakuTime})`;
    byId("valid-until").textContent = `${bakuTime(claims.validUntil, { end: true })} (${t.bakuTime})`;
    byId("serial").textContent = String(claims.serial);
    tick();
  }
  if (state.error) {
    const code = state.error;
    byId("problem-text").textContent = t[code] ?? t.bad;
    byId("problem-code").textContent = `(${code})`;
  }
}

/** Redraws the countdown: before the start, while valid, or expired. */
function tick() {
  if (!state.permit) return;
  const t = TEXT[state.lang];
  const { validFrom, validUntil } = state.permit.claims;
  const now = Date.now();
  const countdown = byId("countdown");
  if (now < validFrom) {
    countdown.dataset.phase = "pending";
    countdown.textContent = `${t.startsIn}: ${span(validFrom - now, t.days)}`;
  } else if (now < validUntil) {
    countdown.dataset.phase = "valid";
    countdown.textContent = `${t.left}: ${span(validUntil - now, t.days)}`;
  } else {
    countdown.dataset.phase = "expired";
    countdown.textContent = t.expired;
  }
}

/** Draws the QR code as large as the screen allows, whole device pixels a module. */
function drawCode() {
  if (!state.permit) return;
  const canvas = byId("qr");
  const qr = state.permit.qr;
  const ratio = window.devicePixelRatio || 1;
  const cssWidth = Math.min(document.documentElement.clientWidth - 32, 480);
  const modulePx = Math.max(2, Math.floor((cssWidth * ratio) / (qr.size + 2 * QUIET_ZONE)));
  drawQr(canvas, qr, modulePx);
  canvas.style.width = `${canvas.width / ratio}px`;
  canvas.dataset.version = String(qr.version);
}

/** Keeps the screen on while the permit is shown, where the browser allows it. */
async function keepAwake() {
  if (!("wakeLock" in navigator) || state.wakeLock || document.visibilityState !== "visible") return;
  try {
    state.wakeLock = await navigator.wakeLock.request("screen");
    state.wakeLock.addEventListener("release", () => {
      state.wakeLock = null;
    });
  } catch {
    // Refused (battery saver, no user gesture yet): the brightness prompt still shows.
  }
}

function load() {
  state.permit = null;
  state.error = null;
  clearInterval(state.timer);
  try {
    const token = readToken(tokenFromAddress());
    state.permit = { ...token, qr: encodeDigits(token.digits) };
  } catch (error) {
    state.error = error instanceof TokenError ? error.code : "bad_encoding";
  }
  byId("permit").hidden = state.permit === null;
  byId("problem").hidden = state.permit !== null;
  document.body.dataset.state = state.permit ? "ok" : "error";
  render();
  if (state.permit) {
    drawCode();
    state.timer = setInterval(tick, 1000);
    keepAwake();
  }
}

function start() {
  state.lang = initialLanguage();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => {
      state.lang = button.dataset.lang;
      try {
        localStorage.setItem(LANG_KEY, state.lang);
      } catch {
        // Not saved: the choice holds until the page is closed.
      }
      render();
    });
  }
  window.addEventListener("hashchange", load);
  window.addEventListener("resize", drawCode);
  document.addEventListener("visibilitychange", () => {
    if (state.permit) keepAwake();
  });
  load();
  // The service worker keeps this page's files so that it opens offline next time.
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/p/sw.js", { scope: "/p" }).catch(() => {
      // No offline copy (private mode, or an insecure origin): the page still works now.
    });
  }
}

if (typeof document !== "undefined" && document.getElementById("permit")) start();
