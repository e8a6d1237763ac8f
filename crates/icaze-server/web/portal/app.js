// The employer portal and the 102 call-centre console: one page over the JSON
// API of docs/portal-api.md, with hash routing (#/employees, #/console, ...).
// This module is the entry: it routes an address to its screen and wires the
// frame's controls; each area is a module of its own:
//
//   account.js     signing in, changing the password     i18n.js   t(), the language
//   employees.js   the list, the form, one employee       api.js    requests, error codes
//   trips.js       an employee's business trips           dom.js    building nodes
//   permit.js      a permit's QR, token and documents     time.js   Baku time
//   import.js      the CSV import                         zones.js  the regime's zones
//   org.js         the organisation and its persons       chrome.js the frame and menu
//   audit.js       the audit log                          session.js, router.js
//   reactivate.js  reactivation after a regime change
//   funeral.js     the 102 console
//
// Rules every module keeps, because the page runs under a strict CSP and shows
// text that comes from users and the server:
// - no innerHTML, no inline handlers or styles, no eval: every node is made
//   with createElement and every text goes in with textContent (dom.js);
// - every request other than GET sends the session's X-CSRF-Token (api.js);
// - every text is in the page's language, from the catalogues
//   web/portal/i18n/{az,ru,en}.json (i18n.js); an API error's `code` is looked
//   up as `error.<code>`, and a code they do not know shows the API's `message`.
import { auditScreen } from "./audit.js";
import { loginScreen, passwordScreen } from "./account.js";
import { api, errorText, isSessionEnd, onSessionLost } from "./api.js";
import { renderChrome } from "./chrome.js";
import { $, errorBox, fill, flashNext, showError, showPendingFlash } from "./dom.js";
import { employeeForm, employeeScreen, employeesScreen } from "./employees.js";
import { consoleScreen } from "./funeral.js";
import { setLanguage, t } from "./i18n.js";
import { importScreen } from "./import.js";
import { orgScreen } from "./org.js";
import { reactivateScreen } from "./reactivate.js";
import { currentView, nextView, route, setShow } from "./router.js";
import { home, session, setSession } from "./session.js";
import { forgetZones, retryMissingZones } from "./zones.js";

/** Parses the hash into [path segments, query]. */
function parseHash() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query = ""] = hash.split("?");
  return [path.split("/").filter(Boolean), new URLSearchParams(query)];
}

/** Shows the screen of the current address (route() in router.js). */
async function show() {
  const token = nextView();
  const [parts, params] = parseHash();
  const view = $("#view");
  showPendingFlash();
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
    if (isSessionEnd(e)) return; // sessionLost() took over.
    const box = errorBox("view-error");
    showError(box, errorText(e));
    nodes = [box];
  }
  if (token !== currentView()) return; // A newer route won the race.
  fill(view, nodes);
  document.body.dataset.route = parts.join("/") || "home";
}

/** The server says the session is gone: back to the login screen, saying why. */
function sessionLost(code) {
  setSession(null);
  flashNext(code === "session_expired" ? t("session.expired") : t("session.none"), "error");
  renderChrome();
  if (location.hash !== "#/login") location.hash = "#/login";
  else route();
}

async function boot() {
  setShow(show);
  onSessionLost(sessionLost);
  $("#lang").addEventListener("change", () => {
    setLanguage($("#lang").value);
    retryMissingZones();
    route();
  });
  $("#logout").addEventListener("click", async () => {
    try {
      await api("POST", "/portal/api/logout", {});
    } catch {
      // Signed out on this side in any case.
    }
    setSession(null);
    forgetZones();
    location.hash = "#/login";
    renderChrome();
  });
  window.addEventListener("hashchange", route);
  try {
    const answer = await api("GET", "/portal/api/session");
    setSession({ user: answer.user, csrf: answer.csrf });
  } catch {
    setSession(null);
  }
  await route();
  document.body.dataset.ready = "true";
}

boot();
