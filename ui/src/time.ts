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
