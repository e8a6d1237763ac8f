// The camera button and its preview panel, as the Scan screen (permits) and
// the Manual screen ("Scan card": a service card's tax id) show them. One
// camera implementation for both (`useScanner`), one camera at a time, and
// one decode loop (camera.ts): a panel differs only in which texts it
// accepts and what it says of the others.
import type { Rescan } from "./app";
import { type Accept, CameraFailure, type Scanner, type ScanSession, webScanner } from "./camera";
import { h } from "./dom";
import { t } from "./i18n";

// The camera of both screens: the webview's by default. A phone build can
// choose another implementation (tauri-plugin-barcode-scanner) with
// `useScanner` before the app starts.
let scanner: Scanner = webScanner;

/** Chooses the camera implementation of the Scan screen and of "Scan card". */
export function useScanner(next: Scanner): void {
  scanner = next;
}

// Invariant: at most one camera runs, and only while a screen shows its
// panel. Every render of the Scan or Manual screen stops the previous one;
// leaving the screen or hiding the page stops it from inside the scanner.
let active: ScanSession | null = null;

/** Stops the camera of any panel; the screens call it as they render. */
export function stopCamera(): void {
  active?.stop();
  active = null;
}

/** What a panel is for. */
export interface PanelConfig {
  /** The ids' stem: `scan` gives `scan-camera` (the button), `scan-camera-view`, `scan-camera-status`, `scan-torch`, `scan-camera-cancel`. */
  id: string;
  /** The button's words. */
  open: string;
  /** The button's class. */
  openClass: string;
  /** What the status says while the camera looks. */
  aim: string;
  /** What it says of a code read and not accepted (scanning goes on). */
  other(text: string): string;
  /** What it says of the skipped text (`Rescan.skip`). */
  same?: string;
  /** The texts that end the scan (camera.ts's token candidates when absent). */
  accept?: Accept;
  /** Shows a camera that could not be opened, when the officer asked for it. */
  fail(error: { code: string; message: string }): void;
  /** The accepted text, trimmed, with whether the torch was on; the camera is already released. */
  check(text: string, torch: boolean): void;
}

/**
 * The camera button and its preview panel. With `resume` (the camera read
 * the check whose result was just shown) the camera opens again by itself,
 * the torch as it was, and does not take that text again.
 */
export function cameraPanel(config: PanelConfig, resume: Rescan | null = null): HTMLElement[] {
  const id = config.id;
  const status = h("p", { class: "hint", id: `${id}-camera-status`, role: "status", "aria-live": "polite" });
  const torch: HTMLButtonElement = h(
    "button",
    { type: "button", id: `${id}-torch`, "aria-pressed": "false", hidden: true, onclick: () => void switchTorch(!lit) },
    t("scan.torch_on"),
  );
  const cancel = h(
    "button",
    { type: "button", id: `${id}-camera-cancel`, onclick: () => (stopCamera(), close()) },
    t("scan.camera_cancel"),
  );
  const view = h(
    "div",
    { class: "camera", id: `${id}-camera-view`, hidden: true, "aria-label": t("scan.camera_view") },
    status,
    h("div", { class: "camera-actions" }, torch, cancel),
  );
  const open: HTMLButtonElement = h(
    "button",
    { type: "button", class: config.openClass, id: `${id}-camera`, onclick: () => void start(null) },
    config.open,
  );

  // Each opening gets a number; Cancel moves it on, so a camera that opens
  // after Cancel (the permission prompt was slow) is closed at once.
  let attempt = 0;
  // Whether the officer has the torch on. Not reset when the camera closes
  // for a check, so that the check can hand it on to the reopened camera.
  let lit = false;

  const showTorch = (on: boolean) => {
    torch.setAttribute("aria-pressed", String(on));
    torch.textContent = t(on ? "scan.torch_off" : "scan.torch_on");
  };

  const close = () => {
    attempt++;
    view.hidden = true;
    torch.hidden = true;
    showTorch(false);
    open.disabled = false;
  };

  const start = async (again: Rescan | null) => {
    stopCamera();
    const mine = ++attempt;
    lit = false;
    open.disabled = true;
    view.hidden = false;
    status.textContent = t("scan.camera_starting");
    let session: ScanSession;
    try {
      session = await scanner.start(
        view,
        {
          onToken: (text) => config.check(text, lit),
          onOther: (text) => {
            status.textContent = config.other(text);
          },
          onSkip: () => {
            if (config.same) status.textContent = config.same;
          },
          // However the camera stopped (a text taken, Cancel, the page hidden),
          // the panel closes and the button can open it again.
          onStop: () => {
            if (mine === attempt) close();
          },
        },
        { skip: again?.skip ?? null, accept: config.accept },
      );
    } catch (e) {
      if (mine !== attempt) return;
      close();
      // Opened by itself after a result, a camera that will not open (gone,
      // refused, busy) leaves the screen as it is, without a message: the
      // officer did not ask for it, and the button still explains.
      if (!again) config.fail((e instanceof CameraFailure ? e : new CameraFailure("failed")).appError());
      return;
    }
    if (mine !== attempt || !view.isConnected) {
      session.stop();
      return;
    }
    active = session;
    status.textContent = config.aim;
    torch.hidden = !session.torch;
    if (again?.torch && session.torch) await switchTorch(true);
  };

  const switchTorch = async (on: boolean) => {
    const session = active;
    if (session && (await session.setTorch(on)) && session === active) {
      lit = on;
      showTorch(on);
    }
  };

  // After the render has put the panel on the page (the scanner checks that its view is there).
  if (resume) queueMicrotask(() => view.isConnected && void start(resume));
  return [open, view];
}
