// The employer's organisation: its name and tax id, the persons who may act
// for it (deactivate one, or delegate to a new one with a one-time password).
import { api, guarded } from "./api.js";
import { $, checkRequired, el, errorBox, field, fill, formErrors, table } from "./dom.js";
import { t } from "./i18n.js";
import { route } from "./router.js";
import { session } from "./session.js";
import { bakuTime } from "./time.js";

export async function orgScreen() {
  const error = errorBox("org-error");
  const org = await api("GET", "/portal/api/org");
  const me = session.user.login;
  const rows = (org.persons ?? []).map((p) => {
    let action = null;
    if (p.active && p.login !== me) {
      action = el("button", { type: "button", class: "danger small", "data-login": p.login, text: t("org.deactivate") });
      action.addEventListener("click", async () => {
        if (!window.confirm(t("org.confirm_deactivate", { login: p.login }))) return;
        await guarded(error, async () => {
          await api("DELETE", `/portal/api/org/persons/${encodeURIComponent(p.login)}`);
          route();
        });
      });
    }
    return el(
      "tr",
      { "data-login": p.login },
      el("td", { text: p.login }),
      el("td", { text: p.name }),
      el("td", { text: p.active ? t("answer.yes") : t("answer.no") }),
      el("td", { text: p.created_by === "admin" ? t("audit.by_admin") : p.created_by ?? "—" }),
      el("td", { text: p.created_at ? bakuTime(p.created_at) : "—" }),
      el("td", {}, action),
    );
  });
  const result = el("p", { id: "delegate-result", class: "secret", hidden: true });
  const delegateError = errorBox("delegate-error");
  const delegateErrors = formErrors(delegateError, { login: "delegate-login", name: "delegate-name" });
  const form = el(
    "form",
    { id: "delegate-form", class: "card", novalidate: true },
    el("h2", { text: t("org.delegate_title") }),
    field("delegate-login", t("login.login"), { required: true, autocapitalize: "none" }),
    field("delegate-name", t("field.name"), { required: true }),
    delegateError,
    el("button", { type: "submit", id: "delegate-submit", text: t("org.delegate") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!checkRequired(delegateErrors, ["delegate-login", "delegate-name"])) return;
    await guarded(delegateErrors, async () => {
      const r = await api("POST", "/portal/api/org/persons", {
        login: $("#delegate-login").value.trim(),
        name: $("#delegate-name").value.trim(),
      });
      // Shown once: the person's first login asks for a new password.
      const shown = el(
        "p",
        { id: "delegate-result", class: "secret" },
        t("org.one_time_password", { login: r.login }),
        el("code", { id: "delegate-password", text: r.password }),
      );
      await refreshPersons();
      $("#delegate-result")?.replaceWith(shown);
    });
  });
  async function refreshPersons() {
    const view = await orgScreen();
    fill($("#view"), view);
  }
  return [
    el("h1", { text: t("org.title") }),
    el(
      "dl",
      { class: "card facts" },
      el("dt", { text: t("org.name") }),
      el("dd", { id: "org-name", text: org.name }),
      el("dt", { text: t("org.tax_id") }),
      el("dd", { id: "org-tax-id", text: org.tax_id }),
    ),
    el("h2", { text: t("org.persons") }),
    error,
    table(
      "persons",
      [t("login.login"), t("field.name"), t("org.active"), t("org.created_by"), t("org.created_at"), ""],
      rows,
    ),
    result,
    form,
  ];
}
