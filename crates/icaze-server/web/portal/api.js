// The portal's JSON API (docs/portal-api.md). Every request other than GET
// sends the session's X-CSRF-Token; every error is shown in the page's
// language: the API's `code` is looked up as `error.<code>` in the catalogue,
// and a code the catalogue does not know shows the API's own `message`.
import { showError } from "./dom.js";
import { language, t, tMaybe } from "./i18n.js";
import { session } from "./session.js";

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

/** An API error in the page's language (the server's message for a code the catalogue lacks). */
export function errorText(e) {
  if (!(e instanceof ApiError)) return e.message || String(e);
  // `{minutes}`: how long a throttled login waits (`retry_after`, in seconds).
  const minutes = Math.max(1, Math.ceil(Number(e.body?.retry_after ?? 0) / 60));
  return tMaybe(`error.${e.code}`, { minutes }) || e.message || String(e);
}

/** Runs `fn`; shows an API error's message in `box` instead of throwing. */
export async function guarded(box, fn) {
  showError(box, "");
  try {
    return await fn();
  } catch (e) {
    if (isSessionEnd(e)) return undefined;
    showError(box, errorText(e));
    return undefined;
  }
}
