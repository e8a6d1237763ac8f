// The citizen's permit page, /p#<token>.
//
// The token comes from the URL fragment, which browsers never send to a server, and this
// script never sends it anywhere either: it has no fetch, no form, no beacon. It reads the
// token in either text form of docs/token-format.md (the SMS form `IZ1…` or `IZ2…`, or the
// QR form, digits only), converts it to the QR form (§2.2), draws the QR code with qr.js,
// and reads the claims from the bit-packed payload (§3 for format v1, §10 for v2) to show
// the validity and a countdown.
//
// Without a readable token in the address (/p opened by hand or from a bookmark, or a
// token a phone cut short), the page offers a paste box for the whole SMS as it arrived: `findToken` picks
// the token out of the reply's words (§2.3), and the token goes into the fragment, as if
// the citizen had opened /p#<token>. The pasted text is read in the page and never sent.
//
// What is NOT checked here: the signature and the issuer key (§4–6). A forged permit
// with well-formed bytes is shown like a real one; the page says so, because the
// officer's device is what verifies. Text taken from the token only ever reaches the
// page through textContent.

import { drawQr, encodeDigits, QUIET_ZONE } from "./qr.js";

// ---------------------------------------------------------------------------------------
// Reading a token (docs/token-format.md §2–3 and §10).

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
/** In v1, the type-1 series refused once the digits are read (they belong to types 4 to 6). */
const LATE_RESERVED_SERIES = ["MYI", "DYI", "MOM"];
/** In v2, the series of types 8 and 9 too (§10): AZE and AA with another digit count. */
const IMPLIED_SERIES_V2 = { ...IMPLIED_SERIES, 8: "AZE", 9: "AA" };
/** In v2, the digit counts that types 2 to 6 imply (§10); the other types carry theirs. */
const IMPLIED_DIGITS_V2 = { 2: 8, 3: 7, 4: 7, 5: 7, 6: 7 };
/** In v2, the type-1 series refused as soon as the last letter is read (§10). */
const RESERVED_SERIES_V2 = ["AZE", "AA", "MYI", "DYI", "MOM"];

const invalid = () => new TokenError("invalid_field");

/** The zones of §3 fields 9 and 10, each `width` bits, checked as each one is read. */
function readZones(bits, width) {
  const zones = [];
  for (;;) {
    const zone = bits.read(width);
    if (zone === 0 || (zones.length > 0 && zone <= zones[zones.length - 1]) || zones.length === 16) throw invalid();
    zones.push(zone);
    if (bits.read(1) === 0) return zones;
  }
}

/** The plate of §3 field 11, or null when the vehicle flag is 0. */
function readVehicle(bits) {
  if (bits.read(1) === 0) return null;
  const length = bits.read(4);
  if (length === 0) throw invalid();
  let vehicle = "";
  for (let i = 0; i < length; i++) {
    const code = bits.read(6);
    if (code >= 36) throw invalid();
    vehicle += code < 10 ? String(code) : String.fromCharCode(55 + code);
  }
  return vehicle;
}

/** The literal series letters of §3 fields 12a and 12b, `length` of them. */
function readSeriesLetters(bits, length) {
  let series = "";
  for (let i = 0; i < length; i++) {
    const code = bits.read(5);
    if (code === 0 || code > 26) throw invalid();
    series += String.fromCharCode(64 + code);
  }
  return series;
}

/** The value of a document number of `digitCount` digits, below 10^n (§3 field 14). */
function readDigits(bits, digitCount) {
  const number = bits.read(DIGIT_BITS[digitCount]);
  if (number >= 10 ** digitCount) throw invalid();
  return number;
}

/** After the last field: fewer than 8 bits of padding, all zero (§3). */
function readPadding(bits) {
  if (bits.left >= 8) throw new TokenError("trailing_bytes");
  if (bits.left > 0 && bits.read(bits.left) !== 0) throw invalid();
}

/**
 * The claims of a payload, with the field checks of §3 (v1) or §10 (v2) in their order,
 * so that a bad payload gets the reason code a verifier gives
 * (tests/vectors/permit-v1*.{json,txt} and permit-v2*.{json,txt}). `textVersion` is the
 * digit after `IZ` for the SMS form, and undefined for the QR form, which has no prefix.
 */
function readClaims(payload, textVersion) {
  const bits = new BitReader(payload);
  // An empty payload (a token of just a signature) ends inside the version: truncated.
  const version = bits.read(4);
  // The SMS form's prefix must name the payload's own version (§2.4 step 5).
  if (textVersion !== undefined && version !== textVersion) throw invalid();
  if (version === 1) return readFieldsV1(bits);
  if (version === 2) return readFieldsV2(bits);
  throw new TokenError("unsupported_version");
}

/** The fields of a v1 payload after its version (§3). */
function readFieldsV1(bits) {
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
  const zones = readZones(bits, 12);
  const vehicle = readVehicle(bits);
  const docType = bits.read(4);
  if (docType === 0 || docType > 7) throw invalid();
  let series = IMPLIED_SERIES[docType] ?? "";
  if (docType === 1 || docType === 7) {
    series += readSeriesLetters(bits, bits.read(3));
    // AZE and AA have their own types: refused as soon as the series is read (§3).
    if (docType === 1 && (series === "AZE" || series === "AA")) throw invalid();
  }
  const digitCount = bits.read(4);
  if (digitCount === 0) throw invalid();
  const number = readDigits(bits, digitCount);
  // The document's kind rules come after its digits are read (§3).
  if (docType >= 4 && docType <= 6 && digitCount !== 7) throw invalid();
  if (docType === 1 && (series === "" || LATE_RESERVED_SERIES.includes(series))) throw invalid();
  readPadding(bits);
  return toClaims({ purpose, keyId, serial, series, number, digitCount, zones, vehicle, validFrom, duration });
}

/**
 * The first form of v2's `valid_from` that holds the value `from` for an issue time
 * `issuedAt` (§10): 0 for the issue time itself, 1 for the 64 minutes after it, 2 for a
 * quarter hour within 4096 quarters of the issue time's own quarter, 3 for the rest.
 */
function firstFromForm(from, issuedAt) {
  if (from === issuedAt) return 0;
  if (from > issuedAt && from <= issuedAt + 64) return 1;
  const q = from / 15 - Math.floor(issuedAt / 15);
  if (from % 15 === 0 && q >= -4096 && q <= 4095) return 2;
  return 3;
}

/**
 * The first form of v2's duration that holds `minutes` (§10): 0 for whole days up to
 * 256, 1 for the other whole hours up to 1024, 2 for the rest up to 2048 minutes, 3 for
 * the rest.
 */
function firstDurationForm(minutes) {
  if (minutes % 1440 === 0 && minutes <= 256 * 1440) return 0;
  if (minutes % 60 === 0 && minutes <= 1024 * 60) return 1;
  if (minutes <= 2048) return 2;
  return 3;
}

/** The fields of a v2 payload after its version (§10). */
function readFieldsV2(bits) {
  const purpose = bits.read(4);
  if (purpose === 0) throw invalid();
  const keyId = bits.read(8);
  const serial = bits.read(32);
  const issuedAt = bits.read(26);

  // valid_from: a form, then its field; a value that an earlier form holds is refused.
  const fromForm = bits.read(2);
  let validFrom = issuedAt;
  if (fromForm === 1) {
    validFrom = issuedAt + bits.read(6) + 1;
  } else if (fromForm === 2) {
    const raw = bits.read(13);
    const q = raw >= 4096 ? raw - 8192 : raw;
    validFrom = 15 * (Math.floor(issuedAt / 15) + q);
  } else if (fromForm === 3) {
    const before = bits.read(1) === 1;
    const delta = bits.read(20);
    validFrom = before ? issuedAt - delta : issuedAt + delta;
  }
  if (validFrom < 0 || firstFromForm(validFrom, issuedAt) !== fromForm) throw invalid();

  // The duration: a form, then its field; likewise only in the first form that holds it.
  const durationForm = bits.read(2);
  let duration;
  if (durationForm === 0) duration = (bits.read(8) + 1) * 1440;
  else if (durationForm === 1) duration = (bits.read(10) + 1) * 60;
  else if (durationForm === 2) duration = bits.read(11) + 1;
  else duration = bits.read(20);
  if (duration === 0 || firstDurationForm(duration) !== durationForm) throw invalid();

  // Zones of 5 bits, or of 12 bits only when a zone needs them (checked after the last).
  const zoneWide = bits.read(1) === 1;
  const zones = readZones(bits, zoneWide ? 12 : 5);
  if (zoneWide && zones.every((zone) => zone < 32)) throw invalid();

  const vehicle = readVehicle(bits);
  const docType = bits.read(4);
  if (docType === 0 || docType > 9) throw invalid();
  let series = IMPLIED_SERIES_V2[docType] ?? "";
  if (docType === 1 || docType === 7) {
    const length = bits.read(3);
    if (docType === 1 && length === 0) throw invalid();
    series += readSeriesLetters(bits, length);
    // In v2 every reserved series is refused as soon as its last letter is read (§10).
    if (docType === 1 && RESERVED_SERIES_V2.includes(series)) throw invalid();
  }
  let digitCount = IMPLIED_DIGITS_V2[docType];
  if (digitCount === undefined) {
    digitCount = bits.read(4);
    // Types 8 and 9 never hold the count that types 2 and 3 imply.
    if (digitCount === 0 || (docType === 8 && digitCount === 8) || (docType === 9 && digitCount === 7)) {
      throw invalid();
    }
  }
  const number = readDigits(bits, digitCount);
  readPadding(bits);
  return toClaims({ purpose, keyId, serial, series, number, digitCount, zones, vehicle, validFrom, duration });
}

/** The claims the page shows, with times in milliseconds since 1970. */
function toClaims({ purpose, keyId, serial, series, number, digitCount, zones, vehicle, validFrom, duration }) {
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
 * Reads a token in its SMS form (`IZ1…` or `IZ2…`) or QR form (digits), with the limits
 * and checks of §2.4, then §3 for a v1 payload or §10 for a v2 one. Returns its bytes,
 * its QR form and its (unverified) claims.
 * @throws {TokenError}
 */
export function readToken(text) {
  let bytes;
  let textVersion;
  if (text === "") throw new TokenError("no_token");
  if (/^IZ[0-9]/.test(text)) {
    // Only the digits of the formats this page reads; any other is left unread (§2.1).
    if (text[2] !== "1" && text[2] !== "2") throw new TokenError("unsupported_version");
    textVersion = Number(text[2]);
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
  const claims = readClaims(bytes.subarray(0, bytes.length - SIGNATURE_BYTES), textVersion);
  return { bytes, digits: toQrDigits(bytes), claims };
}

/** A character that docs/token-format.md §2.3 counts as base64url, a word's character. */
const WORD = /[A-Za-z0-9_-]+/g;
/**
 * What a phone may put inside a token it shows or copies: line breaks and spaces, no-break
 * and zero-width spaces, soft hyphens, word joiners, byte-order marks.
 */
const BREAK = /^[\s\u00ad\u200b-\u200d\u2060\ufeff]+$/;
/** The most words a broken token is joined from: 216 characters in 8 pieces is plenty. */
const MAX_PIECES = 8;

const smsCandidate = (word) => /^IZ[0-9]/.test(word);

/**
 * The token in a longer text, such as a whole SMS pasted as the citizen received it, as
 * docs/token-format.md §2.3 finds it: the text cut into words of base64url characters,
 * candidates `IZ` + digit and runs of 100 or more digits, the first that reads as a
 * well-formed token. So the reply's words around the token, its line breaks and Cyrillic
 * or Azerbaijani letters are skipped, and a link `…/p#IZ2…` gives its token.
 *
 * Beyond §2.3, for an SMS form a phone broke apart (a line break or a space inserted
 * where the long word wrapped): when no candidate reads, each `IZ` + digit candidate is
 * tried again joined with the words after it, across nothing but such breaks, shortest
 * first. Where §2.3 finds a token, this finds the same one; only a text in which it
 * finds none, or a malformed one, can give a token here. A join that reads is as safe as
 * a whole word that does: this page checks no signature either way (§4 is the officer's
 * device's), and a wrong join almost never gives a well-formed payload, whose every
 * field, padding and length are checked.
 *
 * Returns `{ text, token }`: the token's own text, and `readToken`'s result.
 * @throws {TokenError} the first candidate's reason, or `no_token` without a candidate
 */
export function findToken(input) {
  const text = String(input);
  const words = [...text.matchAll(WORD)].map((m) => ({ word: m[0], at: m.index }));
  const isCandidate = (word) => smsCandidate(word) || /^[0-9]{100,}$/.test(word);
  let first = null;
  for (const { word } of words) {
    if (!isCandidate(word)) continue;
    try {
      return { text: word, token: readToken(word) };
    } catch (error) {
      first ??= error;
    }
  }
  for (let i = 0; i < words.length; i++) {
    if (!smsCandidate(words[i].word)) continue;
    let joined = words[i].word;
    for (let j = i + 1; j < words.length && j - i < MAX_PIECES; j++) {
      const gap = text.slice(words[j - 1].at + words[j - 1].word.length, words[j].at);
      if (!BREAK.test(gap)) break;
      joined += words[j].word;
      if (joined.length > MAX_SMS_CHARS + 3) break;
      try {
        return { text: joined, token: readToken(joined) };
      } catch (error) {
        first ??= error;
      }
    }
  }
  throw first ?? new TokenError("no_token");
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
// Text in three languages: web/p/i18n/{az,ru,en}.json, in the officer app's catalogue
// format (flat keys, `{name}` placeholders). The server writes them into the page itself,
// as the JSON data block `<script type="application/json" id="i18n">`, so that the text
// comes with the page (no request of its own, and offline with the page the service
// worker keeps); tests/web/i18n.test.mjs keeps the three alike.

const LANGS = ["az", "ru", "en"];

/** The catalogues in the page, `{az, ru, en}`; none in a page the server did not fill. */
let catalogues = {};

function readCatalogues() {
  try {
    return JSON.parse(document.getElementById("i18n")?.textContent || "{}");
  } catch {
    return {};
  }
}

/** The string `key` in `lang`, or undefined. */
function lookup(lang, key, params = {}) {
  const text = catalogues[lang]?.[key];
  if (typeof text !== "string") return undefined;
  return text.replace(/\{([a-z_]+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The string `key` in `lang` (else English, else the key itself), with `params` filled in. */
function translate(lang, key, params) {
  return lookup(lang, key, params) ?? lookup("en", key, params) ?? key;
}

const LANG_KEY = "icaze-p-lang";

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(LANG_KEY);
  } catch {
    // Storage may be disabled; fall back to the browser's language.
  }
  if (LANGS.includes(saved)) return saved;
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

const state = { lang: "az", permit: null, error: null, pasteError: null, timer: 0, wakeLock: null, zoneNames: {} };

/**
 * A zone by its name in `lang`, as the regimes name it (`/p/zones.js`, which the server
 * writes from the regimes it holds); "zone 17" for a zone it does not name, or before the
 * names have loaded. The number stays what the permit carries.
 */
export function zoneLabel(id, lang, names) {
  const name = names[id]?.[lang];
  return typeof name === "string" && name !== "" ? name : translate(lang, "zone.number", { zone: id });
}
const byId = (id) => document.getElementById(id);

function render() {
  const t = (key, params) => translate(state.lang, key, params);
  document.documentElement.lang = state.lang;
  for (const element of document.querySelectorAll("[data-t]")) {
    element.textContent = lookup(state.lang, element.dataset.t) ?? "";
  }
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === state.lang));
  }
  if (state.permit) {
    const { claims } = state.permit;
    byId("purpose").textContent =
      lookup(state.lang, `purpose.${claims.purpose}`) ?? t("purpose.other", { number: claims.purpose });
    byId("document").textContent = claims.document;
    byId("zones").textContent = claims.zones.map((id) => zoneLabel(id, state.lang, state.zoneNames)).join(", ");
    byId("vehicle-row").hidden = claims.vehicle === null;
    byId("vehicle").textContent = claims.vehicle ?? "";
    byId("valid-from").textContent = t("time.baku", { time: bakuTime(claims.validFrom) });
    byId("valid-until").textContent = t("time.baku", { time: bakuTime(claims.validUntil, { end: true }) });
    byId("serial").textContent = String(claims.serial);
    tick();
  }
  if (state.error) {
    const code = state.error;
    byId("problem-text").textContent = lookup(state.lang, `error.${code}`) ?? t("error.bad");
    byId("problem-code").textContent = `(${code})`;
    byId("problem").dataset.code = code;
  }
  const pasteProblem = byId("paste-problem");
  pasteProblem.hidden = state.pasteError === null;
  if (state.pasteError === "no_token") pasteProblem.textContent = t("paste.none");
  else if (state.pasteError) pasteProblem.textContent = lookup(state.lang, `error.${state.pasteError}`) ?? t("error.bad");
}

/** Redraws the countdown: before the start, while valid, or expired. */
function tick() {
  if (!state.permit) return;
  const t = (key, params) => translate(state.lang, key, params);
  const { validFrom, validUntil } = state.permit.claims;
  const now = Date.now();
  const countdown = byId("countdown");
  if (now < validFrom) {
    countdown.dataset.phase = "pending";
    countdown.textContent = t("countdown.starts_in", { time: span(validFrom - now, t("unit.d")) });
  } else if (now < validUntil) {
    countdown.dataset.phase = "valid";
    countdown.textContent = t("countdown.left", { time: span(validUntil - now, t("unit.d")) });
  } else {
    countdown.dataset.phase = "expired";
    countdown.textContent = t("countdown.expired");
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
  state.pasteError = null;
  clearInterval(state.timer);
  try {
    const token = readToken(tokenFromAddress());
    state.permit = { ...token, qr: encodeDigits(token.digits) };
  } catch (error) {
    state.error = error instanceof TokenError ? error.code : "bad_encoding";
  }
  byId("permit").hidden = state.permit === null;
  byId("problem").hidden = state.permit !== null;
  byId("paste").hidden = state.permit !== null;
  document.body.dataset.state = state.permit ? "ok" : "error";
  render();
  if (state.permit) {
    drawCode();
    state.timer = setInterval(tick, 1000);
    keepAwake();
  }
}

/**
 * Finds the permit in the text pasted into #paste and shows it as /p#<token> does, by
 * putting the token alone in the address (so the page opens it again, offline too, and
 * the browser's back button returns to the paste box). The text stays in this page:
 * nothing here makes a request. `quiet`: say nothing when no permit is found (the
 * citizen is still typing).
 */
function showPasted({ quiet = false } = {}) {
  const field = byId("sms");
  try {
    const found = findToken(field.value);
    state.pasteError = null;
    field.value = "";
    if (tokenFromAddress() === found.text) load();
    else location.hash = found.text;
  } catch (error) {
    if (quiet) return;
    state.pasteError = error instanceof TokenError ? error.code : "bad_encoding";
    render();
  }
}

function start() {
  catalogues = readCatalogues();
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
  byId("show").addEventListener("click", () => showPasted());
  // A paste (or a drop) is the whole SMS: shown at once, or said why not; typing is quiet
  // until the button is pressed.
  byId("sms").addEventListener("input", (event) => {
    const pasted = event.inputType === "insertFromPaste" || event.inputType === "insertFromDrop";
    showPasted({ quiet: !pasted });
  });
  window.addEventListener("resize", drawCode);
  // The zones' names: a module of the server's, loaded once (no token goes with it); the
  // service worker keeps it with the page's files for offline use.
  import("./zones.js")
    .then((module) => {
      state.zoneNames = module.ZONES ?? {};
      render();
    })
    .catch(() => {
      // Offline before the first visit, or an old server: zones stay numbered.
    });
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
