// The page's frame around every screen: the title, the language picker's
// label, who is signed in, the sign-out button and the menu of the user's role.
import { $, el } from "./dom.js";
import { language, t } from "./i18n.js";
import { session } from "./session.js";

const EMPLOYER_NAV = [
  ["#/employees", "nav.employees"],
  ["#/import", "nav.import"],
  ["#/org", "nav.org"],
  ["#/audit", "nav.audit"],
  ["#/reactivate", "nav.reactivate"],
  ["#/password", "nav.password"],
];
const OPERATOR_NAV = [
  ["#/console", "nav.console"],
  ["#/password", "nav.password"],
];

export function renderChrome() {
  document.documentElement.lang = language();
  document.title = t("page.title");
  $("#lang-label").textContent = t("page.language");
  $("#lang").value = language();
  $("#logout").textContent = t("page.logout");
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
