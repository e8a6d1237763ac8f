// Who is signed in. The session itself is the server's cookie; the page keeps
// the user it names and the CSRF token that every request other than GET sends.

/** The signed-in user and the session's CSRF token (`{user, csrf}`), or null. */
export let session = null;

export function setSession(value) {
  session = value;
}

/** The address of the signed-in user's first screen (the login screen when nobody is). */
export function home() {
  if (!session) return "#/login";
  if (session.user.must_change_password) return "#/password";
  return session.user.role === "operator" ? "#/console" : "#/employees";
}
