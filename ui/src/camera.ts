// The live camera of the Scan screen, and of the Manual screen's "Scan card".
// A screen talks to a `Scanner`: it opens a camera with a preview, reads QR
// codes, and hands back the first text it accepts (by default one that looks
// like a permit token; a service card's tax id on the Manual screen,
// `ScanOptions.accept`), after releasing the camera.
// `webScanner` is the webview's camera (getUserMedia) with frames decoded by
// jsQR (pure JavaScript: no eval, no WebAssembly, so the window's CSP stays
// as it is). On Android/iOS a second `Scanner` over
// tauri-plugin-barcode-scanner can stand behind the same interface.
//
// What is NOT checked here: whether the text is a well-formed or valid
// token. The filter only keeps random QR codes (web addresses, Wi-Fi codes)
// from being logged as inspections; the device core judges the rest.
import jsQR from "jsqr";

/** Why the camera could not be used. The UI shows `error.camera_<problem>`. */
export type CameraProblem = "none" | "denied" | "busy" | "failed";

export const CAMERA_PROBLEMS: readonly CameraProblem[] = ["none", "denied", "busy", "failed"];

/** The camera could not be opened; `problem` says why in a stable code. */
export class CameraFailure extends Error {
  constructor(readonly problem: CameraProblem) {
    super(`the camera could not be opened (${problem})`);
    this.name = "CameraFailure";
  }

  /** The app's `{code, message}` for this failure, as the error banner shows it. */
  appError(): { code: string; message: string } {
    return { code: `camera_${this.problem}`, message: this.message };
  }
}

/**
 * The problem behind a getUserMedia rejection, from the DOMException's name.
 * The legacy names (`DevicesNotFoundError`, `PermissionDeniedError`,
 * `TrackStartError`) are older Chromium's and WebKit's spellings.
 */
export function cameraProblem(error: unknown): CameraProblem {
  const name = error && typeof error === "object" && "name" in error ? String(error.name) : "";
  switch (name) {
    case "NotFoundError":
    case "DevicesNotFoundError":
    case "OverconstrainedError":
      return "none";
    case "NotAllowedError":
    case "PermissionDeniedError":
    case "SecurityError":
      return "denied";
    case "NotReadableError":
    case "TrackStartError":
    case "AbortError":
      return "busy";
    default:
      return "failed";
  }
}

/** The longest text passed on; the same bound as a paste (the core refuses more than 4 KiB). */
export const MAX_CANDIDATE_CHARS = 4000;

// docs/token-format.md §2.3: a QR candidate is 100 or more ASCII digits; an
// SMS candidate starts with `IZ` and a digit and is one base64url word.
const QR_DIGITS = /^[0-9]{100,}$/;
const SMS_FORM = /^IZ[0-9][A-Za-z0-9_-]*$/;

/**
 * Whether a decoded QR text is worth a check: the QR digits form or an
 * `IZ…` token, alone (surrounding white space aside), at most
 * `MAX_CANDIDATE_CHARS` long. Another version digit after `IZ` is kept so
 * that the core can say "unsupported version" rather than nothing happening.
 */
export function isTokenCandidate(text: string): boolean {
  const t = text.trim();
  return t.length <= MAX_CANDIDATE_CHARS && (QR_DIGITS.test(t) || SMS_FORM.test(t));
}

/** The size a frame is decoded at: the longer side at most `max`, never enlarged, aspect kept. */
export function frameSize(width: number, height: number, max: number): { width: number; height: number } {
  if (!(width > 0 && height > 0)) return { width: 0, height: 0 };
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Timers, passed in so that the loop can be tested with fake ones. */
export interface Timers {
  set(callback: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

const realTimers: Timers = {
  set: (callback, ms) => setTimeout(callback, ms),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Which decoded texts end a scan: true for one the screen wants. */
export type Accept = (text: string) => boolean;

export interface ScanLoopConfig {
  /** The pause between the end of one read and the start of the next. */
  intervalMs: number;
  /** The texts that end the scan; `isTokenCandidate` when absent. */
  accept?: Accept;
  /** Reads one frame: the decoded text, or null (no code, no frame yet, or a frame that failed). */
  read(): string | null;
  /** Whether scanning should go on (false once the preview has left the page). */
  alive(): boolean;
  /** The first accepted text (a token candidate), trimmed; the loop has stopped before this is called. */
  onToken(text: string): void;
  /** A code that is not accepted (not a permit); called again only when a different one is read. */
  onOther(text: string): void;
  /**
   * A token candidate that does not end the scan: the text checked just
   * before, still in front of a camera reopened after its result. Null (or
   * absent) takes every candidate.
   */
  skip?: string | null;
  /** The skipped token, trimmed; like `onOther`, called again only after a different read. */
  onSkip?(text: string): void;
  /** Called once when the loop stops for any reason (token, `stop`, or not alive). */
  onStop(): void;
}

/**
 * The throttled read loop: one read, then a pause of `intervalMs`, so a slow
 * decode never piles up reads; the first token candidate stops it.
 */
export class ScanLoop {
  private handle: unknown = null;
  private stopped = false;
  // The last text passed to onOther or onSkip, so that a code held still is reported once.
  private lastSeen: string | null = null;

  constructor(
    private readonly config: ScanLoopConfig,
    private readonly timers: Timers = realTimers,
  ) {}

  get running(): boolean {
    return !this.stopped;
  }

  /** Schedules the first read after one interval (the preview needs a frame first). */
  start(): void {
    if (!this.stopped && this.handle === null) this.schedule();
  }

  /** Stops reading; idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.handle !== null) this.timers.clear(this.handle);
    this.handle = null;
    this.config.onStop();
  }

  /** One read; public so that tests can drive it, but the timer calls it. */
  tick(): void {
    this.handle = null;
    if (this.stopped) return;
    if (!this.config.alive()) return this.stop();
    let text: string | null;
    try {
      text = this.config.read();
    } catch {
      // A frame that cannot be drawn or decoded (the video is between
      // states) is skipped like a frame with no code.
      text = null;
    }
    if (this.stopped) return;
    if (text === null) return this.schedule();
    const candidate = (this.config.accept ?? isTokenCandidate)(text);
    if (candidate && text.trim() !== this.config.skip) {
      this.stop();
      this.config.onToken(text.trim());
      return;
    }
    if (text !== this.lastSeen) {
      this.lastSeen = text;
      if (candidate) this.config.onSkip?.(text.trim());
      else this.config.onOther(text);
    }
    if (!this.stopped) this.schedule();
  }

  private schedule(): void {
    this.handle = this.timers.set(() => this.tick(), this.config.intervalMs);
  }
}

/** What the Scan screen hears from a scanner. */
export interface ScanHandlers {
  /** The first accepted text (a token candidate by default), trimmed; the camera is already released. */
  onToken(text: string): void;
  /** A QR code was read that is not accepted (not a permit); scanning goes on. */
  onOther(text: string): void;
  /**
   * The camera was released, for whatever reason (a token, `stop`, the page
   * hidden, the preview gone); called once, before `onToken`.
   */
  onStop(): void;
  /** The skipped token (see `ScanOptions.skip`); scanning goes on. */
  onSkip?(text: string): void;
}

/** How a scan starts. */
export interface ScanOptions {
  /**
   * A token candidate that must not end this scan: the text just checked.
   * A camera reopened after a result would otherwise check again, and log
   * again, the permit still in front of it.
   */
  skip?: string | null;
  /**
   * The texts that end the scan: `isTokenCandidate` when absent (the Scan
   * screen), `hasTaxId` for a service card. Any other text read goes to
   * `onOther`, and scanning goes on.
   */
  accept?: Accept;
}

/** A running camera. */
export interface ScanSession {
  /** Whether the camera has a torch that `setTorch` can switch. */
  readonly torch: boolean;
  /** Switches the torch; resolves false if the camera refused. */
  setTorch(on: boolean): Promise<boolean>;
  /** Stops reading and releases the camera; idempotent. */
  stop(): void;
}

/** A way to read QR codes with a camera: the webview's here, a native plugin's on phones. */
export interface Scanner {
  /**
   * Opens the camera with its preview in `view` and reads codes until the
   * first accepted text (`ScanOptions.accept`), `stop`, the page being hidden, or `view` leaving
   * the page. Rejects with a `CameraFailure` when the camera cannot be opened.
   */
  start(view: HTMLElement, handlers: ScanHandlers, options?: ScanOptions): Promise<ScanSession>;
}

/** Frames are decoded at most this large (longer side, in pixels): enough for a permit's version 5–6 code. */
export const MAX_FRAME = 640;
/** The pause between two decodes: about five a second keeps a phone cool and still feels instant. */
export const SCAN_INTERVAL_MS = 200;

type TorchCapabilities = MediaTrackCapabilities & { torch?: boolean };

/** The webview's camera: getUserMedia, a <video> preview, jsQR on a downscaled canvas. */
export const webScanner: Scanner = {
  async start(view, handlers, options = {}) {
    const media = typeof navigator === "undefined" ? undefined : navigator.mediaDevices;
    if (!media || typeof media.getUserMedia !== "function") throw new CameraFailure("none");
    let stream: MediaStream;
    try {
      stream = await media.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (e) {
      throw new CameraFailure(cameraProblem(e));
    }
    const release = () => {
      for (const track of stream.getTracks()) track.stop();
    };
    if (!view.isConnected) {
      // The officer left the screen while the camera was being opened.
      release();
      return { torch: false, setTorch: async () => false, stop: () => {} };
    }

    const video = document.createElement("video");
    video.id = "scan-video";
    video.muted = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
    video.srcObject = stream;
    view.prepend(video);
    // Muted inline video may always play; if play() is refused anyway the
    // readyState check below simply finds no frame, and Cancel still works.
    video.play().catch(() => undefined);

    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    const read = (): string | null => {
      if (!context || video.readyState < HTMLMediaElement.HAVE_CURRENT_DATA) return null;
      const { width, height } = frameSize(video.videoWidth, video.videoHeight, MAX_FRAME);
      if (width === 0) return null;
      if (canvas.width !== width || canvas.height !== height) {
        canvas.width = width;
        canvas.height = height;
      }
      context.drawImage(video, 0, 0, width, height);
      const pixels = context.getImageData(0, 0, width, height);
      // Permit codes are dark on light: skipping the inverted pass halves the work.
      return jsQR(pixels.data, width, height, { inversionAttempts: "dontInvert" })?.data ?? null;
    };

    const onVisibility = () => {
      if (document.visibilityState === "hidden") loop.stop();
    };
    const loop = new ScanLoop({
      intervalMs: SCAN_INTERVAL_MS,
      read,
      accept: options.accept,
      alive: () => view.isConnected && document.visibilityState !== "hidden",
      onToken: handlers.onToken,
      onOther: handlers.onOther,
      skip: options.skip ?? null,
      onSkip: handlers.onSkip,
      onStop: () => {
        document.removeEventListener("visibilitychange", onVisibility);
        release();
        video.pause();
        video.srcObject = null;
        video.remove();
        handlers.onStop();
      },
    });
    document.addEventListener("visibilitychange", onVisibility);
    loop.start();

    const track = stream.getVideoTracks()[0];
    const capabilities = (track?.getCapabilities?.() ?? {}) as TorchCapabilities;
    return {
      torch: capabilities.torch === true,
      async setTorch(on) {
        if (!track || track.readyState !== "live") return false;
        try {
          await track.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
          return true;
        } catch {
          return false;
        }
      },
      stop: () => loop.stop(),
    };
  },
};
