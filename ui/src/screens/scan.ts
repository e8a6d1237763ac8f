// Scan: paste or type an SMS or a token, or open a photo of a QR code.
import { api } from "../api";
import type { Ctx } from "../app";
import { fileBytes, h } from "../dom";
import { t } from "../i18n";

/** The longest paste sent to the device; the core refuses more (MAX_TEXT_BYTES). */
export const MAX_PASTE_CHARS = 4000;

export function scanScreen(ctx: Ctx): HTMLElement {
  const zone = ctx.state.settings.zone;
  const input = h("textarea", {
    id: "scan-text",
    rows: 4,
    maxlength: MAX_PASTE_CHARS,
    placeholder: t("scan.placeholder"),
    autocomplete: "off",
    autocapitalize: "off",
    spellcheck: "false",
    "aria-label": t("scan.text_label"),
  });

  const check = async () => {
    const text = input.value.trim();
    if (!zone) return ctx.go("settings");
    if (!text) return ctx.fail({ code: "empty_text", message: "" });
    const verdict = await ctx.run(() => api.checkText(text, zone));
    if (verdict) ctx.showVerdict(verdict);
  };

  // A real file input, transparent over its label: the platform's picker
  // opens on a tap, and WebDriver tests can send a path to it.
  const file = h("input", {
    type: "file",
    id: "scan-image",
    accept: "image/png,image/jpeg",
    disabled: !zone,
    "aria-label": t("scan.open_image"),
    onchange: async () => {
      const chosen = file.files?.[0];
      file.value = "";
      if (!chosen || !zone) return;
      const verdict = await ctx.run(async () => api.checkImage(await fileBytes(chosen), zone));
      if (verdict) ctx.showVerdict(verdict);
    },
  });

  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void check();
    }
  });

  return h(
    "section",
    { class: "scan" },
    h("h1", {}, t("scan.title")),
    zone
      ? null
      : h(
          "p",
          { class: "warning", id: "scan-no-zone" },
          t("scan.no_zone"),
          " ",
          h("button", { class: "link", onclick: () => ctx.go("settings") }, t("nav.settings")),
        ),
    h("label", { class: "file-button big", "aria-disabled": zone ? null : "true" }, t("scan.open_image"), file),
    h("p", { class: "or" }, t("scan.or")),
    input,
    h("button", { class: "primary big", id: "scan-check", onclick: check, disabled: !zone }, t("scan.check")),
    h("p", { class: "hint" }, t("scan.hint")),
  );
}
