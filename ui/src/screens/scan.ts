// Scan: read a QR code with the camera, open a photo of one, or paste or
// type an SMS or a token. Until a zone is chosen, a first-run step asks for
// it instead. After a check the camera read, the camera opens again by itself.
import { api } from "../api";
import type { Ctx } from "../app";
import { cameraPanel, stopCamera } from "../camera-panel";
import { fileInput, h } from "../dom";
import { t } from "../i18n";
import { parseZoneNumber, zoneName } from "../zones";

/** The longest paste sent to the device; the core refuses more (MAX_TEXT_BYTES). */
export const MAX_PASTE_CHARS = 4000;

// The camera (its implementation, `useScanner`, and the one-camera invariant) is camera-panel.ts's.
export { useScanner } from "../camera-panel";

/** The text of a check that failed to read, put back when the screen is drawn again. */
let kept = "";

export function scanScreen(ctx: Ctx): HTMLElement {
  stopCamera();
  const zone = ctx.state.settings.zone;
  // Taken here, once: a later render of this screen (an error banner) does not reopen the camera.
  const resume = ctx.state.rescan;
  ctx.state.rescan = null;
  if (!zone) return zoneStep(ctx);
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
  // Text that did not read stays in the box, so that a typo can be mended.
  input.value = kept;
  kept = "";

  /** Checks a text; `torch` is the torch's state when the camera read it, null for a paste. */
  const checkText = async (text: string, torch: boolean | null) => {
    kept = text;
    const verdict = await ctx.run(() => api.checkText(text, zone));
    kept = "";
    if (!verdict) return;
    // The camera read this one: the next Scan screen, after the result, opens it again.
    if (torch !== null) ctx.state.rescan = { torch, skip: text };
    ctx.showVerdict(verdict);
  };

  const check = async () => {
    const text = input.value.trim();
    if (!text) return ctx.fail({ code: "empty_text", message: "" });
    await checkText(text, null);
  };

  // A real file input, transparent over its label: the platform's picker
  // opens on a tap, and WebDriver tests can send a path to it.
  const file = fileInput(
    { id: "scan-image", accept: "image/png,image/jpeg", label: t("scan.open_image") },
    async (bytes) => {
      const verdict = await ctx.run(async () => api.checkImage(await bytes(), zone));
      if (verdict) ctx.showVerdict(verdict);
    },
  );

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
    cameraPanel(
      {
        id: "scan",
        open: t("scan.camera"),
        openClass: "primary big",
        aim: t("scan.camera_aim"),
        other: () => t("scan.camera_not_permit"),
        same: t("scan.camera_same"),
        fail: (e) => ctx.fail(e),
        check: (text, torch) => void checkText(text, torch),
      },
      resume,
    ),
    h("label", { class: "file-button big" }, t("scan.open_image"), file),
    h("p", { class: "or" }, t("scan.or")),
    input,
    h("button", { class: "primary big", id: "scan-check", onclick: check }, t("scan.check")),
    h("p", { class: "hint" }, t("scan.hint")),
  );
}

/** The zone number typed in the first-run step, put back when a refusal draws the step again (null: not typed). */
let typedZone: string | null = null;

/**
 * The first-run step, shown in place of the Scan screen until a zone is
 * chosen: "Where are you checking?" with a big button for each zone the
 * bundle names (in the app's language, its number small under it), and
 * "Another zone (by number)" for one it does not name. Before the first
 * bundle there are no names, and the number field shows alone. Choosing
 * saves the setting, as Settings does, and the Scan screen follows.
 */
function zoneStep(ctx: Ctx): HTMLElement {
  const zones = ctx.state.zones;
  const typed = typedZone;
  typedZone = null;
  const choose = async (zone: number) => {
    const saved = await ctx.run(() => api.saveSettings({ ...ctx.state.settings, zone }));
    if (saved) {
      typedZone = null;
      ctx.applySettings(saved);
      await ctx.refresh();
    }
  };
  const number = h("input", {
    id: "scan-zone-number",
    type: "number",
    inputmode: "numeric",
    autocomplete: "off",
    value: typed ?? "",
  });
  const byNumber = h(
    "form",
    {
      id: "scan-zone-form",
      hidden: zones.length > 0 && typed === null,
      onsubmit: (e: Event) => {
        e.preventDefault();
        // Kept for the render that shows a refusal, so that the number can be mended.
        typedZone = number.value;
        const zone = parseZoneNumber(number.value);
        if (zone === null) return ctx.fail({ code: "zone_number", message: "" });
        void choose(zone);
      },
    },
    h(
      "label",
      { class: "field" },
      h("span", {}, t("settings.zone_number")),
      number,
      zones.length > 0 ? h("small", {}, t("settings.zone_other_hint")) : null,
    ),
    h("button", { class: "primary big", type: "submit", id: "scan-zone-save" }, t("scan.zone_save")),
  );
  const other: HTMLButtonElement = h(
    "button",
    {
      type: "button",
      class: "link",
      id: "scan-zone-other",
      hidden: !byNumber.hidden,
      onclick: () => {
        other.hidden = true;
        byNumber.hidden = false;
        number.focus();
      },
    },
    t("settings.zone_other"),
  );
  return h(
    "section",
    { class: "scan zone-step", id: "scan-zone-step" },
    h("h1", {}, t("scan.zone_title")),
    h("p", { class: "hint" }, t("scan.zone_hint")),
    zones.length > 0
      ? [
          h(
            "div",
            { class: "zone-list", id: "scan-zone-list" },
            zones.map((z) =>
              h(
                "button",
                {
                  type: "button",
                  class: "zone-choice",
                  id: `scan-zone-${z.id}`,
                  "data-zone": z.id,
                  onclick: () => void choose(z.id),
                },
                h("span", { class: "name" }, zoneName(zones, z.id)),
                h("small", { class: "zone-id" }, t("settings.zone_id", { zone: z.id })),
              ),
            ),
          ),
          other,
        ]
      : h("p", { class: "hint", id: "scan-zone-no-names" }, t("settings.zone_no_names")),
    byNumber,
  );
}
