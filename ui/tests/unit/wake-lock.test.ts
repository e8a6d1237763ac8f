import { describe, expect, it } from "vitest";
import { ScreenAwake, type Sentinel, type Visibility, type WakeLockApi } from "../../src/wake-lock";

/** A fake `navigator.wakeLock`: counts requests, hands out sentinels the test can release as the system would. */
function fakeWakeLock({ refuse = false } = {}) {
  const sentinels: (Sentinel & { released: boolean; systemRelease(): void })[] = [];
  let requests = 0;
  let answer: (() => void) | null = null;
  let hold = false;
  const api: WakeLockApi = {
    async request(type) {
      expect(type).toBe("screen");
      requests += 1;
      if (hold) await new Promise<void>((resolve) => (answer = resolve));
      if (refuse) throw new DOMException("battery saver", "NotAllowedError");
      const listeners: (() => void)[] = [];
      const sentinel = {
        released: false,
        async release() {
          if (sentinel.released) return;
          sentinel.released = true;
          listeners.forEach((l) => l());
        },
        addEventListener(_: "release", l: () => void) {
          listeners.push(l);
        },
        systemRelease() {
          void sentinel.release();
        },
      };
      sentinels.push(sentinel);
      return sentinel;
    },
  };
  return {
    api,
    sentinels,
    requests: () => requests,
    holdAnswers: () => (hold = true),
    answer: () => answer?.(),
  };
}

function fakePage() {
  let listener: (() => void) | null = null;
  const page = {
    visibilityState: "visible",
    addEventListener(_: "visibilitychange", l: () => void) {
      listener = l;
    },
  };
  return {
    page: page as Visibility,
    show(state: "visible" | "hidden") {
      page.visibilityState = state;
      listener?.();
    },
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("keeping the screen awake while scanning", () => {
  it("asks for a screen lock once while Scan shows and lets it go when Scan is left", async () => {
    const lock = fakeWakeLock();
    const awake = new ScreenAwake(lock.api, fakePage().page);
    awake.hold();
    awake.hold();
    await settle();
    expect(lock.requests()).toBe(1);
    expect(awake.held).toBe(true);
    awake.release();
    await settle();
    expect(awake.held).toBe(false);
    expect(lock.sentinels.map((s) => s.released)).toEqual([true]);
  });

  it("asks again when the page shows after the system let the lock go", async () => {
    const lock = fakeWakeLock();
    const visibility = fakePage();
    const awake = new ScreenAwake(lock.api, visibility.page);
    awake.hold();
    await settle();
    visibility.show("hidden");
    lock.sentinels[0].systemRelease();
    expect(awake.held).toBe(false);
    visibility.show("visible");
    await settle();
    expect(lock.requests()).toBe(2);
    expect(awake.held).toBe(true);
    // Once Scan is left, showing the page again asks for nothing.
    awake.release();
    visibility.show("hidden");
    visibility.show("visible");
    await settle();
    expect(lock.requests()).toBe(2);
  });

  it("lets go of a lock that arrives after Scan was left", async () => {
    const lock = fakeWakeLock();
    lock.holdAnswers();
    const awake = new ScreenAwake(lock.api);
    awake.hold();
    awake.release();
    lock.answer();
    await settle();
    expect(awake.held).toBe(false);
    expect(lock.sentinels.map((s) => s.released)).toEqual([true]);
  });

  it("is harmless without the API or when the lock is refused", async () => {
    const none = new ScreenAwake(undefined);
    expect(() => none.hold()).not.toThrow();
    expect(() => none.release()).not.toThrow();
    expect(none.held).toBe(false);
    const lock = fakeWakeLock({ refuse: true });
    const refused = new ScreenAwake(lock.api);
    refused.hold();
    await settle();
    expect(lock.requests()).toBe(1);
    expect(refused.held).toBe(false);
    expect(() => refused.release()).not.toThrow();
  });
});
