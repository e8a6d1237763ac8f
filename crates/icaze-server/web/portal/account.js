// Signing in and changing one's password (forced after a one-time password).
import { api, guarded } from "./api.js";
import { $, checkRequired, el, errorBox, field, flashNext, formErrors, screen } from "./dom.js";
import { renderChrome } from "./chrome.js";
import { t } from "./i18n.js";
import { home, session, setSession } from "./session.js";

export function loginScreen() {
  const error = errorBox("login-error");
  const errors = formErrors(error, { login: "login-login", password: "login-password" });
  const form = el(
    "form",
    { id: "login-form", class: "card narrow", novalidate: true },
    field("login-login", t("login.login"), { autocomplete: "username", required: true, autocapitalize: "none" }),
    field("login-password", t("login.password"), { type: "password", autocomplete: "current-password", required: true }),
    error,
    el("button", { type: "submit", id: "login-submit", text: t("login.sign_in") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!checkRequired(errors, ["login-login", "login-password"])) return;
    const button = $("#login-submit");
    button.disabled = true;
    await guarded(errors, async () => {
      // A throttled login's message says how long to wait (`retry_after`).
      const answer = await api("POST", "/portal/api/login", {
        login: $("#login-login").value.trim(),
        password: $("#login-password").value,
      });
      startSession(answer);
    });
    button.disabled = false;
  });
  return screen("login.title", form);
}

function startSession(answer) {
  setSession({ user: answer.user, csrf: answer.csrf });
  renderChrome();
  location.hash = home();
}

export function passwordScreen() {
  const error = errorBox("password-error");
  const errors = formErrors(error, { old: "password-old", new: "password-new", repeat: "password-repeat" });
  const form = el(
    "form",
    { id: "password-form", class: "card narrow", novalidate: true },
    session.user.must_change_password ? el("p", { class: "note", id: "must-change", text: t("password.must_change") }) : null,
    field("password-old", t("password.old"), { type: "password", autocomplete: "current-password", required: true }),
    field("password-new", t("password.new"), { type: "password", autocomplete: "new-password", minlength: 10, required: true }),
    field("password-repeat", t("password.repeat"), { type: "password", autocomplete: "new-password", required: true }),
    error,
    el("button", { type: "submit", id: "password-submit", text: t("action.save") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!checkRequired(errors, ["password-old", "password-new", "password-repeat"])) return;
    const next = $("#password-new").value;
    if (next.length < 10) return errors.show(t("password.too_short"), "new");
    if (next !== $("#password-repeat").value) return errors.show(t("password.mismatch"), "repeat");
    await guarded(errors, async () => {
      await api("POST", "/portal/api/password", { old: $("#password-old").value, new: next });
      // The server may rotate the session after a password change: ask it again.
      try {
        const answer = await api("GET", "/portal/api/session");
        setSession({ user: answer.user, csrf: answer.csrf ?? session.csrf });
      } catch {
        session.user.must_change_password = false;
      }
      if (session) session.user.must_change_password = false;
      flashNext(t("password.changed"));
      renderChrome();
      location.hash = home();
    });
  });
  return screen("password.title", form);
}
