import { describe, expect, it } from "vitest";
import { followsSystem, type PreferenceStore, setFollowsSystem, setSoundOn, shownTheme, soundOn } from "../../src/preferences";

function memory(): PreferenceStore & { items: Map<string, string> } {
  const items = new Map<string, string>();
  return {
    items,
    getItem: (k) => items.get(k) ?? null,
    setItem: (k, v) => void items.set(k, v),
    removeItem: (k) => void items.delete(k),
  };
}

/**
 * A switch kept in a fresh store: `read` gives `initial`, then what `write` set last.
 * Returns the store.
 */
function expectKeptSwitch(
  read: (store: PreferenceStore) => boolean,
  write: (on: boolean, store: PreferenceStore) => void,
  initial: boolean,
) {
  const store = memory();
  expect(read(store)).toBe(initial);
  write(!initial, store);
  expect(read(store)).toBe(!initial);
  write(initial, store);
  expect(read(store)).toBe(initial);
  return store;
}

describe("the result's sound", () => {
  it("is on until turned off, and the choice is kept", () => {
    expectKeptSwitch(soundOn, setSoundOn, true);
  });

  it("is on without storage, and a storage that refuses writes does not throw", () => {
    expect(soundOn(null)).toBe(true);
    const full: PreferenceStore = {
      getItem: () => null,
      setItem: () => {
        throw new DOMException("full", "QuotaExceededError");
      },
      removeItem: () => undefined,
    };
    expect(() => setSoundOn(false, full)).not.toThrow();
    expect(() => setFollowsSystem(true, full)).not.toThrow();
  });
});

describe("the theme that follows the system", () => {
  it("is off until chosen, and choosing a theme of its own turns it off", () => {
    const store = expectKeptSwitch(followsSystem, setFollowsSystem, false);
    expect(store.items.size).toBe(0);
  });

  it("draws the system's light or dark when followed, else the saved theme", () => {
    expect(shownTheme("light", true, true)).toBe("dark");
    expect(shownTheme("dark", true, false)).toBe("light");
    expect(shownTheme("high_contrast", true, true)).toBe("dark");
    expect(shownTheme("high_contrast", false, true)).toBe("high_contrast");
    expect(shownTheme("light", false, true)).toBe("light");
  });
});
