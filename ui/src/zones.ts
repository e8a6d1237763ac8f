// Zones by name. The bundle's regimes name each zone in the three languages
// (the `zones` command); people read and pick zones by those names, while the
// number stays what permits, checks and the log carry.
import type { Language, Zone } from "./api";
import { language, t } from "./i18n";

/** The zone's name in `lang`; "Zone 17" for a zone the bundle does not name. */
export function zoneName(zones: readonly Zone[], id: number, lang: Language = language()): string {
  const zone = zones.find((z) => z.id === id);
  const name = zone ? { az: zone.name_az, ru: zone.name_ru, en: zone.name_en }[lang]?.trim() : "";
  return name || t("zone.number", { zone: id }, lang);
}

/** Several zones by name, in the order given: "Bakı, Sumqayıt". */
export function zoneNames(zones: readonly Zone[], ids: readonly number[], lang: Language = language()): string {
  return ids.map((id) => zoneName(zones, id, lang)).join(", ");
}

/** Whether the bundle names this zone (the picker shows it by name, not as "another zone"). */
export function isNamed(zones: readonly Zone[], id: number | null): boolean {
  return id !== null && zones.some((z) => z.id === id);
}

/**
 * A zone number as typed: digits only (white space around them aside), not
 * zero; null for anything else. The range is the core's to judge (`bad_zone`).
 */
export function parseZoneNumber(text: string): number | null {
  const digits = text.trim();
  if (!/^[0-9]{1,6}$/.test(digits)) return null;
  const zone = Number(digits);
  return zone > 0 ? zone : null;
}
