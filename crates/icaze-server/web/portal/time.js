// Times as the portal shows them: in Baku (UTC+04:00, no daylight saving time
// since 2016), days as dd.mm.yyyy, whatever the browser's own time zone.

const BAKU = "Asia/Baku";
const dateTimeFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: BAKU,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** An RFC 3339 time as "dd.mm.yyyy hh:mm" in Baku time (the text itself if it does not parse). */
export function bakuTime(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339 ?? "");
  const p = Object.fromEntries(dateTimeFormat.formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.day}.${p.month}.${p.year} ${p.hour === "24" ? "00" : p.hour}:${p.minute}`;
}

/** A calendar day "yyyy-mm-dd" as "dd.mm.yyyy". */
export function day(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text ?? ""));
  return m ? `${m[3]}.${m[2]}.${m[1]}` : String(text ?? "");
}

/** Today in Baku plus `days`, as "yyyy-mm-dd" (for date inputs). */
export function bakuDay(days = 0) {
  return new Date(Date.now() + 4 * 3600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The funeral form's default window, in Baku time as "yyyy-mm-ddThh:mm": from an hour
 * ahead, rounded up to a quarter hour (a funeral permit starts on one), for 8 hours; a
 * start after 15:00 or before 07:00 moves to the next morning's 09:00 (07:00 at the
 * earliest), and the end is 22:00 at the latest, so that the default never runs
 * overnight. `now` is milliseconds since the epoch.
 */
export function funeralDefaults(now = Date.now()) {
  const hour = 3600_000;
  const quarter = 15 * 60_000;
  // Baku time as if it were UTC, so that the date and hour read straight off it.
  let from = Math.ceil((now + 4 * hour + hour) / quarter) * quarter;
  const day = Math.floor(from / (24 * hour)) * 24 * hour;
  const hourOfDay = (from - day) / hour;
  if (hourOfDay >= 15) from = day + 24 * hour + 9 * hour;
  else if (hourOfDay < 7) from = day + 9 * hour;
  const dayOfStart = Math.floor(from / (24 * hour)) * 24 * hour;
  const until = Math.min(from + 8 * hour, dayOfStart + 22 * hour);
  const text = (ms) => new Date(ms).toISOString().slice(0, 16);
  return { from: text(from), until: text(until) };
}
