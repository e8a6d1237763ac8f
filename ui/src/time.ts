// Times on screen. The device core sends Baku times as RFC 3339 with their
// offset (`2020-12-15T10:00:00+04:00`); the clock text is read from the
// string itself so that the device's own time zone never shifts it.

/** Minutes and hours in the units of one language. */
export interface Units {
  min: string;
  h: string;
  d: string;
}

/**
 * A duration in whole minutes as the officer reads it: `45 min`,
 * `2 h 05 min`, `3 d 4 h`. Negative durations are shown as zero.
 */
export function formatDuration(minutes: number, units: Units): string {
  const m = Math.max(0, Math.floor(minutes));
  if (m < 60) return `${m} ${units.min}`;
  if (m < 48 * 60) {
    const h = Math.floor(m / 60);
    const rest = m % 60;
    return `${h} ${units.h} ${String(rest).padStart(2, "0")} ${units.min}`;
  }
  const d = Math.floor(m / (24 * 60));
  const h = Math.floor((m % (24 * 60)) / 60);
  return h === 0 ? `${d} ${units.d}` : `${d} ${units.d} ${h} ${units.h}`;
}

/** Whole minutes from `from` to `to` (ISO strings or Dates), rounded down. */
export function minutesBetween(from: string | Date, to: string | Date): number {
  const a = typeof from === "string" ? Date.parse(from) : from.getTime();
  const b = typeof to === "string" ? Date.parse(to) : to.getTime();
  return Math.floor((b - a) / 60_000);
}

/** Minutes left until `until` at `now`; negative once past. */
export function minutesLeft(until: string, now: Date): number {
  // Ceil, so that a permit with 30 seconds left still shows 1 minute, never 0.
  return Math.ceil((Date.parse(until) - now.getTime()) / 60_000);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/;

/** `15.12 10:00` from `2020-12-15T10:00:00+04:00`, in the string's own offset. */
export function dayTime(iso: string): string {
  const m = RFC3339.exec(iso);
  return m ? `${m[3]}.${m[2]} ${m[4]}:${m[5]}` : iso;
}

/** `10:00` from `2020-12-15T10:00:00+04:00`. */
export function clockTime(iso: string): string {
  const m = RFC3339.exec(iso);
  return m ? `${m[4]}:${m[5]}` : iso;
}

/** `15.12 10:00–13:00`, or both days when the window crosses midnight. */
export function validityWindow(from: string, until: string): string {
  const a = RFC3339.exec(from);
  const b = RFC3339.exec(until);
  if (a && b && a[1] === b[1] && a[2] === b[2] && a[3] === b[3]) return `${dayTime(from)}–${clockTime(until)}`;
  return `${dayTime(from)} – ${dayTime(until)}`;
}

const BAKU_OFFSET_MS = 4 * 3600_000;
const two = (n: number) => String(n).padStart(2, "0");

/** The Baku wall clock of an instant given in any offset (`…Z` from the service, `…+04:00` from a device). */
function bakuClock(iso: string): Date | null {
  // Only full RFC 3339 instants: `Date.parse` would read a bare date as UTC midnight, silently.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(iso.trim())) return null;
  const ms = Date.parse(iso);
  // Baku is UTC+4 all year (no summer time since 2016): the UTC fields of the shifted date are Baku's.
  return Number.isNaN(ms) ? null : new Date(ms + BAKU_OFFSET_MS);
}

/** `15.12.2020` (dd.mm.yyyy) for an RFC 3339 instant, in Baku time; anything else as it came. */
export function bakuDate(iso: string): string {
  const d = bakuClock(iso);
  return d ? `${two(d.getUTCDate())}.${two(d.getUTCMonth() + 1)}.${d.getUTCFullYear()}` : iso;
}

/** `15.12.2020 10:00` (dd.mm.yyyy HH:MM) for an RFC 3339 instant, in Baku time; anything else as it came. */
export function bakuDateTime(iso: string): string {
  const d = bakuClock(iso);
  return d ? `${bakuDate(iso)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}` : iso;
}

/**
 * A date the supervisor typed, `15.12.2020` or `15.12.2020 10:00` (Baku time), as
 * RFC 3339 (`2020-12-15T10:00:00+04:00`). A date without a time is the start of
 * that day, or its last minute when `endOfDay` (a "to" bound includes the day
 * named). Empty text is `{ iso: null }` (no bound); text that is not such a date,
 * or a day the calendar lacks (31.02), is `null`.
 */
export function parseBakuDateTime(text: string, endOfDay = false): { iso: string | null } | null {
  const s = text.trim();
  if (s === "") return { iso: null };
  const m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2}))?$/.exec(s);
  if (!m) return null;
  const [day, month, year] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const hour = m[4] === undefined ? (endOfDay ? 23 : 0) : Number(m[4]);
  const minute = m[5] === undefined ? (endOfDay ? 59 : 0) : Number(m[5]);
  const check = new Date(Date.UTC(year, month - 1, day));
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  if (hour > 23 || minute > 59) return null;
  const seconds = m[4] === undefined && endOfDay ? "59" : "00";
  return { iso: `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:${seconds}+04:00` };
}
