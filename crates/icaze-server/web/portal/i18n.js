// The portal's strings: web/portal/i18n/{az,ru,en}.json, in the officer app's
// catalogue format (flat keys, `{name}` placeholders). The server writes the
// three into the page itself, as the JSON data block `<script
// type="application/json" id="i18n">` (crates/icaze-server/src/web.rs), so
// that t() needs no request and stays synchronous; tests/web/i18n.test.mjs
// keeps the three catalogues alike (same keys, same placeholders, no empty text).

/** The catalogues in the page, `{az, ru, en}`; none in a page the server did not fill (t() then gives keys). */
function embeddedCatalogues() {
  try {
    return JSON.parse(document.getElementById("i18n")?.textContent || "{}");
  } catch {
    return {};
  }
}

const CATALOGUES = embeddedCatalogues();

export const LANGS = ["az", "ru", "en"];
const STORAGE_KEY = "icaze-lang";

let current = LANGS.includes(localStorage.getItem(STORAGE_KEY)) ? localStorage.getItem(STORAGE_KEY) : "az";

/** The page's language: "az" (the default), "ru" or "en". */
export function language() {
  return current;
}

/** Switches the page's language and remembers it for the next visit. */
export function setLanguage(lang) {
  current = LANGS.includes(lang) ? lang : "az";
  localStorage.setItem(STORAGE_KEY, current);
}

/** Fills `{name}` placeholders; a missing value leaves the placeholder visible. */
export function format(text, params = {}) {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The string `key` in the current language (else English, else the key), with `params` filled in. */
export function t(key, params) {
  return format(CATALOGUES[current]?.[key] ?? CATALOGUES.en?.[key] ?? key, params);
}

/** A key known only at run time (an API error code), in the current language only, or undefined. */
export function tMaybe(key, params) {
  const text = CATALOGUES[current]?.[key];
  return text === undefined ? undefined : format(text, params);
}
