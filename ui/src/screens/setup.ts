// First start: the device directory holds no device yet. The officer (or the
// precinct) pastes the authority's root public key and the badge number.
import { api } from "../api";
import type { Ctx } from "../app";
import { errorText } from "../app";
import { h } from "../dom";
import { t } from "../i18n";

export function setupScreen(ctx: Ctx): HTMLElement {
  const openError = ctx.state.status?.open_error;
  const root = h("textarea", { id: "setup-root", rows: 3, maxlength: 4000, placeholder: "icaze-public-key-v1 root …" });
  const officer = h("input", { id: "setup-officer", maxlength: 32, autocomplete: "off" });
  const submit = async (e: Event) => {
    e.preventDefault();
    const status = await ctx.run(() => api.initDevice(root.value, officer.value.trim() || null));
    if (status) {
      ctx.state.status = status;
      ctx.go("settings");
    }
  };
  return h(
    "section",
    { class: "setup" },
    h("h1", {}, t("setup.title")),
    openError
      ? h("p", { class: "warning", id: "setup-open-error" }, errorText(openError))
      : h("p", {}, t("setup.explain")),
    openError
      ? null
      : h(
          "form",
          { onsubmit: submit, id: "setup-form" },
          h("label", { class: "field" }, h("span", {}, t("setup.root")), root),
          h("label", { class: "field" }, h("span", {}, t("settings.officer")), officer),
          h("button", { class: "primary big", type: "submit", id: "setup-save" }, t("setup.save")),
        ),
    h("button", { class: "big", onclick: () => ctx.go("settings") }, t("nav.settings")),
  );
}
