import { describe, expect, it } from "vitest";
import { signal, type SignalPlatform } from "../../src/screens/result";

/** A platform that records vibrations and the tones started. */
function fakePlatform() {
  const vibrations: (number | number[])[] = [];
  const tones: number[] = [];
  class FakeAudio {
    currentTime = 0;
    destination = {};
    createOscillator() {
      const tone = {
        frequency: { value: 0 },
        onended: null as (() => void) | null,
        connect: (next: unknown) => next,
        start: () => void tones.push(tone.frequency.value),
        stop: () => undefined,
      };
      return tone;
    }
    createGain() {
      return { gain: { value: 0 }, connect: (next: unknown) => next };
    }
    close() {
      return Promise.resolve();
    }
  }
  const platform: SignalPlatform = {
    vibrate: (p) => (vibrations.push(p), true),
    AudioContext: FakeAudio as unknown as SignalPlatform["AudioContext"],
  };
  return { platform, vibrations, tones };
}

describe("the result's signal", () => {
  it("plays its tone only when the sound is on", () => {
    const on = fakePlatform();
    signal("green", true, on.platform);
    signal("red", true, on.platform);
    expect(on.tones).toEqual([880, 220]);
    const off = fakePlatform();
    signal("green", false, off.platform);
    signal("red", false, off.platform);
    expect(off.tones).toEqual([]);
  });

  it("vibrates either way, and is silent without audio or vibration", () => {
    const off = fakePlatform();
    signal("red", false, off.platform);
    expect(off.vibrations).toEqual([[200, 100, 200]]);
    expect(() => signal("green", true, {})).not.toThrow();
  });
});
