// The catalogues, one JSON file a language. Azerbaijani is the default;
// English is the reference the others are checked against (tests/unit).
import type { Language } from "../api";
import type { Units } from "../time";
import az from "./az.json";
import en from "./en.json";
import ru from "./ru.json";

export type Key = keyof typeof en;
export type Catalogue = Record<Key, string>;

export const LANGUAGES: readonly Language[] = ["az", "ru", "en"];
export const CATALOGUES: Record<Language, Catalogue> = { az, ru, en };

let current: Language = "az";

export function setLanguage(language: Language): void {
  current = LANGUAGES.includes(language) ? language : "az";
  document.documentElement.lang = current;
}

export function language(): Language {
  return current;
}

/** `{name}` placeholders in a catalogue string. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort();
}

/** Fills `{name}` placeholders; a missing value leaves the placeholder visible. */
export function format(text: string, params: Record<string, string | number> = {}): string {
  return text.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** The string for `key` in `lang` (default: the current language). */
export function t(key: Key, params?: Record<string, string | number>, lang: Language = current): string {
  return format(CATALOGUES[lang][key] ?? CATALOGUES.en[key] ?? key, params);
}

/** A key that is only known at run time (a reason or error code), or undefined. */
export function tMaybe(key: string, params?: Record<string, string | number>): string | undefined {
  const text = (CATALOGUES[current] as Record<string, string>)[key];
  return text === undefined ? undefined : format(text, params);
}

export function units(lang: Language = current): Units {
  return { min: t("unit.min", {}, lang), h: t("unit.h", {}, lang), d: t("unit.d", {}, lang) };
}
