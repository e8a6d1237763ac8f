// Scan: read a QR code with the camera, open a photo of one, or paste or
// type an SMS or a token.
import { api } from "../api";
import type { Ctx } from "../app";
import { CameraFailure, type Scanner, type ScanSession, webScanner } from "../camera";
import { fileBytes, h } from "../dom";
import { t } from "../i18n";

/** The longest paste sent to the device; the core refuses more (MAX_TEXT_BYTES). */
export const MAX_PASTE_CHARS = 4000;

// The camera behind "Scan with camera": the webview's by default. A phone
// build can choose another implementation (tauri-plugin-barcode-scanner)
// with `useScanner` before the app starts.
let scanner: Scanner = webScanner;

/** Chooses the camera implementation of the Scan screen. */
export function useScanner(next: Scanner): void {
  scanner = next;
}

// Invariant: at most one camera runs, and only while a Scan screen shows it.
// Every render of the screen stops the previous one; leaving the screen or
// hiding the page stops it from inside the scanner.
let active: ScanSession | null = null;

function stopCamera(): void {
  active?.stop();
  active = null;
}

/** The camera button and its preview panel; `check` sends a read text to the core. */
function cameraPanel(zone: number | null, fail: (error: unknown) => void, check: (text: string) => void) {
  const status = h("p", { class: "hint", id: "scan-camera-status", role: "status", "aria-live": "polite" });
  const torch: HTMLButtonElement = h(
    "button",
    { type: "button", id: "scan-torch", "aria-pressed": "false", hidden: true, onclick: () => void switchTorch() },
    t("scan.torch_on"),
  );
  const cancel = h(
    "button",
    { type: "button", id: "scan-camera-cancel", onclick: () => (stopCamera(), close()) },
    t("scan.camera_cancel"),
  );
  const view = h(
    "div",
    { class: "camera", id: "scan-camera-view", hidden: true, "aria-label": t("scan.camera_view") },
    status,
    h("div", { class: "camera-actions" }, torch, cancel),
  );
  const open: HTMLButtonElement = h(
    "button",
    { type: "button", class: "primary big", id: "scan-camera", disabled: !zone, onclick: () => void start() },
    t("scan.camera"),
  );

  // Each opening gets a number; Cancel moves it on, so a camera that opens
  // after Cancel (the permission prompt was slow) is closed at once.
  let attempt = 0;

  const close = () => {
    attempt++;
    view.hidden = true;
    torch.hidden = true;
    torch.setAttribute("aria-pressed", "false");
    torch.textContent = t("scan.torch_on");
    open.disabled = !zone;
  };

  const start = async () => {
    if (!zone) return;
    stopCamera();
    const mine = ++attempt;
    open.disabled = true;
    view.hidden = false;
    status.textContent = t("scan.camera_starting");
    let session: ScanSession;
    try {
      session = await scanner.start(view, {
        onToken: check,
        onOther: () => {
          status.textContent = t("scan.camera_not_permit");
        },
        // However the camera stopped (a token, Cancel, the page hidden), the
        // panel closes and the button can open it again.
        onStop: () => {
          if (mine === attempt) close();
        },
      });
    } catch (e) {
      if (mine !== attempt) return;
      close();
      fail((e instanceof CameraFailure ? e : new CameraFailure("failed")).appError());
      return;
    }
    if (mine !== attempt || !view.isConnected) {
      session.stop();
      return;
    }
    active = session;
    status.textContent = t("scan.camera_aim");
    torch.hidden = !session.torch;
  };

  const switchTorch = async () => {
    const on = torch.getAttribute("aria-pressed") !== "true";
    if (await active?.setTorch(on)) {
      torch.setAttribute("aria-pressed", String(on));
      torch.textContent = t(on ? "scan.torch_off" : "scan.torch_on");
    }
  };

  return [open, view];
}

/** The text of a check that failed to read, put back when the screen is drawn again. */
let kept = "";

export function scanScreen(ctx: Ctx): HTMLElement {
  stopCamera();
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
  // Text that did not read stays in the box, so that a typo can be mended.
  input.value = kept;
  kept = "";

  const checkText = async (text: string) => {
    if (!zone) return ctx.go("settings");
    kept = text;
    const verdict = await ctx.run(() => api.checkText(text, zone));
    kept = "";
    if (verdict) ctx.showVerdict(verdict);
  };

  const check = async () => {
    const text = input.value.trim();
    if (!zone) return ctx.go("settings");
    if (!text) return ctx.fail({ code: "empty_text", message: "" });
    await checkText(text);
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
    cameraPanel(zone, (e) => ctx.fail(e), (text) => void checkText(text)),
    h("label", { class: "file-button big", "aria-disabled": zone ? null : "true" }, t("scan.open_image"), file),
    h("p", { class: "or" }, t("scan.or")),
    input,
    h("button", { class: "primary big", id: "scan-check", onclick: check, disabled: !zone }, t("scan.check")),
    h("p", { class: "hint" }, t("scan.hint")),
  );
}
