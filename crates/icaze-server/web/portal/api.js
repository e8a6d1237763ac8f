// The portal's JSON API (docs/portal-api.md). Every request other than GET
// sends the session's X-CSRF-Token; every error is shown in the page's
// language: the API's `message` is read for the case of its code it names
// (messages.js: `invalid_dates` covers several), else its `code` is looked up
// as `error.<code>` in the catalogue, and only a code the catalogue does not
// know shows the API's own `message`. An error about a field of the form is
// shown beside that field as well as in the form's banner.
import { formErrors } from "./dom.js";
import { language, t, tMaybe } from "./i18n.js";
import { explain } from "./messages.js";
import { session } from "./session.js";
import { bakuLocalTime } from "./time.js";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** Whether `e` is the end of the session (lost or expired), which sends the user to the login screen. */
export function isSessionEnd(e) {
  return e instanceof ApiError && (e.code === "session_expired" || e.code === "no_session");
}

let sessionLost = () => {};

/** Set once by app.js: what to do when the server says the session is gone (`code`). */
export function onSessionLost(fn) {
  sessionLost = fn;
}

/**
 * Calls the API. Non-GET requests carry the CSRF token. A lost or expired
 * session (`401 no_session` / `session_expired`) goes back to the login screen.
 */
export async function api(method, path, body, { contentType = "application/json", raw = false } = {}) {
  // The server may answer in the user's language; its message is shown as it comes.
  const headers = { accept: "application/json", "accept-language": language() };
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
    throw new ApiError(0, "network", t("error.network"));
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

/**
 * The field an error code is about when its message names none more exactly
 * (messages.js), by the API's field names; the form maps them to its inputs.
 */
const CODE_FIELDS = {
  unknown_document: "document",
  refused: "document",
  invalid_document: "document",
  duplicate_employee: "document",
  invalid_plate: "plate",
  invalid_zone: "zones",
  wrong_password: "old",
  weak_password: "new",
  invalid_login: "login",
  duplicate_login: "login",
  bad_encoding: "file",
  too_large: "file",
};

/** A sentence messages.js explained, in the page's language (a date in the page's way, a reason explained in turn). */
export function sayExplained({ key, params = {} }) {
  const p = { ...params };
  if (p.date) p.date = bakuLocalTime(p.date);
  if (p.reason && typeof p.reason === "object") p.reason = sayExplained(p.reason);
  return t(key, p);
}

/** A sentence of the server's with no code (an import's line), in the page's language when it is a known one. */
export function problemText(message) {
  const explained = explain(message);
  return explained ? sayExplained(explained) : String(message ?? "");
}

/** An API error in the page's language and the field it is about: `{text, field}` (field null when none). */
export function errorInfo(e) {
  if (!(e instanceof ApiError)) return { text: e?.message || String(e), field: null };
  const explained = explain(e.message, e.code);
  if (explained) return { text: sayExplained(explained), field: explained.field ?? CODE_FIELDS[e.code] ?? null };
  // `{minutes}`: how long a throttled login waits (`retry_after`, in seconds).
  const minutes = Math.max(1, Math.ceil(Number(e.body?.retry_after ?? 0) / 60));
  const text = tMaybe(`error.${e.code}`, { minutes }) || e.message || String(e);
  return { text, field: CODE_FIELDS[e.code] ?? null };
}

/** An API error in the page's language (the server's message for a code the catalogue lacks). */
export function errorText(e) {
  return errorInfo(e).text;
}

/**
 * Runs `fn`; shows an API error in the page's language instead of throwing:
 * in `target`, a form's errors (dom.js formErrors(): the banner and the
 * field it names) or a banner alone.
 */
export async function guarded(target, fn) {
  const errors = typeof target?.show === "function" ? target : formErrors(target);
  errors.clear();
  try {
    return await fn();
  } catch (e) {
    if (isSessionEnd(e)) return undefined;
    const { text, field } = errorInfo(e);
    errors.show(text, field);
    return undefined;
  }
}
