// Keeps the screen on while the officer scans, with the Screen Wake Lock API
// (`navigator.wakeLock`): a phone that dims and locks between two cars costs
// an unlock and a camera restart at every stop. Held while Scan or a result
// shows (the result returns to Scan by itself after up to 30 seconds, longer
// than many phones' screen timeout), let go on any other screen.
//
// Not everywhere: WebKitGTK and older Android WebViews have no wake lock, a
// phone on battery saver may refuse it, and the system lets it go when the
// page is hidden. In each case the screen dims as the system decides and
// nothing else changes; a lock let go while the page was hidden is asked for
// again when it shows.

/** The lock the API hands out (`WakeLockSentinel`). */
export interface Sentinel {
  release(): Promise<void>;
  addEventListener(type: "release", listener: () => void): void;
}

/** `navigator.wakeLock`, where the webview has it. */
export interface WakeLockApi {
  request(type: "screen"): Promise<Sentinel>;
}

/** The page's visibility (`document`). */
export interface Visibility {
  readonly visibilityState: string;
  addEventListener(type: "visibilitychange", listener: () => void): void;
}

export class ScreenAwake {
  // Invariant: `wanted` is whether a screen that keeps the phone awake shows;
  // `sentinel` is the lock held, only ever while `wanted`.
  private wanted = false;
  private sentinel: Sentinel | null = null;
  private asking = false;

  constructor(
    private readonly api: WakeLockApi | undefined,
    page?: Visibility,
  ) {
    page?.addEventListener("visibilitychange", () => {
      if (page.visibilityState === "visible" && this.wanted) void this.ask();
    });
  }

  /** Keeps the screen on from now until `release`; asking again while held does nothing. */
  hold(): void {
    this.wanted = true;
    void this.ask();
  }

  /** Lets the screen dim again. */
  release(): void {
    this.wanted = false;
    const held = this.sentinel;
    this.sentinel = null;
    held?.release().catch(() => undefined);
  }

  /** Whether a lock is held now. */
  get held(): boolean {
    return this.sentinel !== null;
  }

  private async ask(): Promise<void> {
    if (!this.api || this.sentinel || this.asking) return;
    this.asking = true;
    try {
      const sentinel = await this.api.request("screen");
      if (!this.wanted) {
        // Left Scan while the request was on its way.
        await sentinel.release().catch(() => undefined);
        return;
      }
      this.sentinel = sentinel;
      // The system lets it go when the page is hidden; asked for again when it shows.
      sentinel.addEventListener("release", () => {
        if (this.sentinel === sentinel) this.sentinel = null;
      });
    } catch {
      // Refused (battery saver, no user gesture yet) or absent: the screen dims as usual.
    } finally {
      this.asking = false;
    }
  }
}

/** The app's one lock, over the webview's API when it has one. */
export const screenAwake = new ScreenAwake(
  typeof navigator !== "undefined" && "wakeLock" in navigator ? (navigator.wakeLock as unknown as WakeLockApi) : undefined,
  typeof document !== "undefined" ? document : undefined,
);
