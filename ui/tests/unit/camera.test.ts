import { describe, expect, it } from "vitest";
import {
  CAMERA_PROBLEMS,
  CameraFailure,
  cameraProblem,
  frameSize,
  isTokenCandidate,
  MAX_CANDIDATE_CHARS,
  ScanLoop,
  type ScanLoopConfig,
  type Timers,
} from "../../src/camera";
import { hasTaxId } from "../../src/cards";
import { CATALOGUES, LANGUAGES } from "../../src/i18n";

// The QR digits form of tests/vectors/permit-v1.json case 1 ("sms permit, SMS form"),
// as `icaze qr --decode` reads it from `icaze qr --png` of that token.
const QR_DIGITS =
  "05067680697357569661840089621548164772186126800232747933072212780158073784601490326781941556454020751021671933280623659601032297501990001393413537298265516602017987729846163869741020163172498649098";
const SMS_FORM =
  "IZ1EgEHW80VAesiAWgAIUCpises5lYXqkrgDjxkfho2q6AsJuZE-lpjiGGWTP6CLMmcK9WHkasdQtgxgQW1KKl_OvtyiLaZtjo33bpLUT2U7lwK";

describe("token candidates", () => {
  it("accept the QR digits form and the SMS form, alone", () => {
    expect(isTokenCandidate(QR_DIGITS)).toBe(true);
    expect(isTokenCandidate(SMS_FORM)).toBe(true);
    expect(isTokenCandidate(` ${QR_DIGITS}\n`)).toBe(true);
    // Another version is passed on, so that the core can say which.
    expect(isTokenCandidate("IZ2AAAA")).toBe(true);
  });

  it("refuse what no permit QR code holds", () => {
    expect(isTokenCandidate("https://example.org/IZ1")).toBe(false);
    expect(isTokenCandidate("WIFI:S:precinct;T:WPA;P:secret;;")).toBe(false);
    expect(isTokenCandidate("")).toBe(false);
    expect(isTokenCandidate("IZ")).toBe(false);
    expect(isTokenCandidate("IZx1AAAA")).toBe(false);
    expect(isTokenCandidate("xIZ1AAAA")).toBe(false);
    expect(isTokenCandidate(`Icaze AZE11111111 15.12 10:00-13:00 ${SMS_FORM}`)).toBe(false);
    expect(isTokenCandidate(`${SMS_FORM}=`)).toBe(false);
    expect(isTokenCandidate(`${QR_DIGITS.slice(0, 100)} ${QR_DIGITS.slice(100)}`)).toBe(false);
    expect(isTokenCandidate(`${QR_DIGITS}A`)).toBe(false);
    // Full-width digits are not ASCII digits.
    expect(isTokenCandidate("１".repeat(120))).toBe(false);
  });

  it("need 100 digits (token-format §2.3) and stop at the paste limit", () => {
    expect(isTokenCandidate("1".repeat(99))).toBe(false);
    expect(isTokenCandidate("1".repeat(100))).toBe(true);
    expect(isTokenCandidate("1".repeat(MAX_CANDIDATE_CHARS))).toBe(true);
    expect(isTokenCandidate("1".repeat(MAX_CANDIDATE_CHARS + 1))).toBe(false);
    expect(isTokenCandidate(`IZ1${"A".repeat(MAX_CANDIDATE_CHARS)}`)).toBe(false);
  });
});

describe("camera problems", () => {
  const named = (name: string) => Object.assign(new Error(name), { name });

  it("map getUserMedia's errors to what the officer can do", () => {
    expect(cameraProblem(named("NotFoundError"))).toBe("none");
    expect(cameraProblem(named("DevicesNotFoundError"))).toBe("none");
    expect(cameraProblem(named("OverconstrainedError"))).toBe("none");
    expect(cameraProblem(named("NotAllowedError"))).toBe("denied");
    expect(cameraProblem(named("PermissionDeniedError"))).toBe("denied");
    expect(cameraProblem(named("SecurityError"))).toBe("denied");
    expect(cameraProblem(named("NotReadableError"))).toBe("busy");
    expect(cameraProblem(named("TrackStartError"))).toBe("busy");
    expect(cameraProblem(named("AbortError"))).toBe("busy");
    expect(cameraProblem(named("TypeError"))).toBe("failed");
    expect(cameraProblem("camera exploded")).toBe("failed");
    expect(cameraProblem(null)).toBe("failed");
  });

  it("reach the UI as error codes every catalogue translates", () => {
    for (const problem of CAMERA_PROBLEMS) {
      const { code } = new CameraFailure(problem).appError();
      expect(code).toBe(`camera_${problem}`);
      for (const lang of LANGUAGES) expect(CATALOGUES[lang], `${lang} ${code}`).toHaveProperty([`error.${code}`]);
    }
  });
});

describe("frame size", () => {
  it("shrinks the longer side to the maximum and keeps the aspect", () => {
    expect(frameSize(1280, 720, 640)).toEqual({ width: 640, height: 360 });
    expect(frameSize(720, 1280, 640)).toEqual({ width: 360, height: 640 });
    expect(frameSize(1920, 1080, 640)).toEqual({ width: 640, height: 360 });
  });

  it("never enlarges, and gives nothing for a video without frames", () => {
    expect(frameSize(320, 240, 640)).toEqual({ width: 320, height: 240 });
    expect(frameSize(0, 0, 640)).toEqual({ width: 0, height: 0 });
    expect(frameSize(Number.NaN, 480, 640)).toEqual({ width: 0, height: 0 });
    expect(frameSize(4000, 1, 640)).toEqual({ width: 640, height: 1 });
  });
});

/** Timers that run only when the test says so, and remember the delays asked for. */
class ManualTimers implements Timers {
  pending = new Map<number, () => void>();
  delays: number[] = [];
  private next = 1;
  set(callback: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, callback);
    this.delays.push(ms);
    return id;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs the one pending timer; fails the test if there is not exactly one. */
  fire(): void {
    expect(this.pending.size).toBe(1);
    const [[id, callback]] = [...this.pending];
    this.pending.delete(id);
    callback();
  }
}

function loopWith(frames: (string | null | Error)[], overrides: Partial<ScanLoopConfig> = {}) {
  const events: string[] = [];
  let reads = 0;
  const timers = new ManualTimers();
  const loop = new ScanLoop(
    {
      intervalMs: 200,
      read: () => {
        const frame = frames[reads++] ?? null;
        events.push("read");
        if (frame instanceof Error) throw frame;
        return frame;
      },
      alive: () => true,
      onToken: (text) => events.push(`token ${text}`),
      onOther: (text) => events.push(`other ${text}`),
      onStop: () => events.push("stop"),
      onSkip: (text) => events.push(`skip ${text}`),
      ...overrides,
    },
    timers,
  );
  return { loop, timers, events };
}

describe("scan loop", () => {
  it("reads once per interval and stops at the first token, camera released before the check", () => {
    const { loop, timers, events } = loopWith([null, "https://x", "https://x", "WIFI:", ` ${QR_DIGITS} `, SMS_FORM]);
    loop.start();
    loop.start(); // A second start schedules nothing more: `fire` checks that one read is pending.
    for (let i = 0; i < 5; i++) timers.fire();
    expect(events).toEqual([
      "read",
      "read",
      "other https://x",
      "read",
      "read",
      "other WIFI:",
      "read",
      "stop",
      `token ${QR_DIGITS}`,
    ]);
    expect(timers.delays).toEqual([200, 200, 200, 200, 200]);
    expect(timers.pending.size).toBe(0);
    expect(loop.running).toBe(false);
  });

  it("stops on request, once, and reads no more", () => {
    const { loop, timers, events } = loopWith([null, null]);
    loop.start();
    timers.fire();
    loop.stop();
    loop.stop();
    expect(timers.pending.size).toBe(0);
    loop.tick();
    expect(events).toEqual(["read", "stop"]);
    loop.start();
    expect(timers.pending.size).toBe(0);
  });

  it("stops without reading once the preview has left the page", () => {
    let alive = true;
    const { loop, timers, events } = loopWith([null, QR_DIGITS], { alive: () => alive });
    loop.start();
    timers.fire();
    alive = false;
    timers.fire();
    expect(events).toEqual(["read", "stop"]);
    expect(timers.pending.size).toBe(0);
  });

  it("skips a frame that fails to decode and goes on", () => {
    const { loop, timers, events } = loopWith([new Error("frame not ready"), SMS_FORM]);
    loop.start();
    timers.fire();
    timers.fire();
    expect(events).toEqual(["read", "read", "stop", `token ${SMS_FORM}`]);
  });

  it("does not go on when stopped from inside a read (page hidden meanwhile)", () => {
    const timers = new ManualTimers();
    const events: string[] = [];
    const loop: ScanLoop = new ScanLoop(
      {
        intervalMs: 150,
        read: () => (loop.stop(), QR_DIGITS),
        alive: () => true,
        onToken: (text) => events.push(`token ${text}`),
        onOther: (text) => events.push(`other ${text}`),
        onStop: () => events.push("stop"),
      },
      timers,
    );
    loop.start();
    timers.fire();
    expect(events).toEqual(["stop"]);
    expect(timers.pending.size).toBe(0);
  });

  it("does not check again the code just checked, reports it once, and takes any other token", () => {
    // A camera reopened after a result: the permit just checked is still in front of it.
    const { loop, timers, events } = loopWith([` ${QR_DIGITS}`, ` ${QR_DIGITS}`, null, ` ${QR_DIGITS}`, "https://x", SMS_FORM], {
      skip: QR_DIGITS,
    });
    loop.start();
    for (let i = 0; i < 6; i++) timers.fire();
    expect(events).toEqual([
      "read",
      `skip ${QR_DIGITS}`,
      "read",
      "read",
      "read",
      "read",
      "other https://x",
      "read",
      "stop",
      `token ${SMS_FORM}`,
    ]);
    expect(timers.pending.size).toBe(0);
  });

  it("with an accept function, ends on what it accepts and passes permits on as other codes (Scan card)", () => {
    const { loop, timers, events } = loopWith([QR_DIGITS, "VÖEN: 17", " VÖEN: 1700000001\n"], { accept: hasTaxId });
    loop.start();
    for (let i = 0; i < 3; i++) timers.fire();
    expect(events).toEqual(["read", `other ${QR_DIGITS}`, "read", "other VÖEN: 17", "read", "stop", "token VÖEN: 1700000001"]);
    expect(timers.pending.size).toBe(0);
  });

  it("takes every token when nothing is to be skipped", () => {
    const { loop, timers, events } = loopWith([QR_DIGITS], { skip: null });
    loop.start();
    timers.fire();
    expect(events).toEqual(["read", "stop", `token ${QR_DIGITS}`]);
  });
});
