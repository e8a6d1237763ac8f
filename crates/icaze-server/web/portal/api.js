// The portal's JSON API (docs/portal-api.md). Every request other than GET
// sends the session's X-CSRF-Token; every error is shown in the page's
// language from its code, case, field and values (messages.js), never from
// the English `message`, which only a code the catalogue does not know shows.
// An error about a field of the form is shown beside that field as well as in
// the form's banner.
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
 * A refusal `{code, case, field, params}` (an API error's body, an import's
 * or a reactivation's problem) said in the page's language: `{text, field}`,
 * the field being the request's it is about (null when none). A Baku time
 * (`date`) is written the page's way. A code the catalogue does not know
 * shows `fallback`, the server's own message.
 */
export function sayRefusal(refusal, fallback = "") {
  const explained = explain(refusal, (key) => tMaybe(key) !== undefined);
  if (!explained) return { text: String(fallback ?? ""), field: null };
  const params = { ...explained.params };
  if (params.date) params.date = bakuLocalTime(params.date);
  // `{minutes}`: how long a throttled login waits (`retry_after`, in seconds).
  const wait = Number(refusal?.retry_after ?? params.retry_after ?? 0);
  params.minutes = String(Math.max(1, Math.ceil(wait / 60)));
  return { text: t(explained.key, params), field: explained.field };
}

/**
 * An import's problem in the page's language: a line's problem as its
 * refusal, and one of line 0 (what stopped the whole import) as "nothing was
 * imported" with its reason.
 */
export function problemText(problem) {
  const { text } = sayRefusal(problem, problem?.message);
  // A problem kept before problems had codes is its message as it came, which says it all.
  return problem?.line === 0 && problem?.code ? t("error.csv_nothing", { reason: text }) : text;
}

/** An API error in the page's language and the field it is about: `{text, field}` (field null when none). */
export function errorInfo(e) {
  if (!(e instanceof ApiError)) return { text: e?.message || String(e), field: null };
  return sayRefusal({ ...(e.body && typeof e.body === "object" ? e.body : {}), code: e.code }, e.message || String(e));
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
