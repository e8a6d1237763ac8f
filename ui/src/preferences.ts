// What the officer chooses for this phone alone and the app core does not
// keep: the result's sound, and a theme that follows the system's light or
// dark. Kept in the webview's localStorage (in the app's data directory, so it
// survives a restart), not in app-settings.json, whose theme the core accepts
// only as light, dark or high contrast. No trust rests on either.
import type { Theme } from "./api";

/** The part of `Storage` used here; a test passes a Map-backed one. */
export interface PreferenceStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const SOUND = "icaze.sound";
const THEME = "icaze.theme";

/** The webview's localStorage, or null where it is unavailable (then every preference has its default). */
function localStore(): PreferenceStore | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** Whether the result plays its sound: on unless the officer turned it off. */
export function soundOn(store: PreferenceStore | null = localStore()): boolean {
  return store?.getItem(SOUND) !== "off";
}

export function setSoundOn(on: boolean, store: PreferenceStore | null = localStore()): void {
  try {
    store?.setItem(SOUND, on ? "on" : "off");
  } catch {
    // A full or refused storage: the choice lasts until the app closes.
  }
}

/** Whether the theme follows the system's light or dark (`prefers-color-scheme`). */
export function followsSystem(store: PreferenceStore | null = localStore()): boolean {
  return store?.getItem(THEME) === "system";
}

export function setFollowsSystem(on: boolean, store: PreferenceStore | null = localStore()): void {
  try {
    if (on) store?.setItem(THEME, "system");
    else store?.removeItem(THEME);
  } catch {
    // As for the sound.
  }
}

/** The theme to draw: the system's light or dark when followed, else the one saved in Settings. */
export function shownTheme(saved: Theme, follow: boolean, systemDark: boolean): Theme {
  if (!follow) return saved;
  return systemDark ? "dark" : "light";
}
