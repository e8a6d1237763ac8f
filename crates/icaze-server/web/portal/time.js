// Times as the portal shows them: in Baku (UTC+04:00, no daylight saving time
// since 2016) whatever the browser's own time zone, and in the page's
// language: the month by name ("14 dekabr 2020", "14 декабря 2020 г.",
// "14 December 2020"), the time of day as 24-hour hh:mm. Intl.DateTimeFormat
// gives the day in Baku, but not the words: Chromium's ICU has no Azerbaijani
// month names (it writes "2020 M12 14"), so the months and the order are the
// catalogue's (`date.month_*`, `date.day`).
import { t } from "./i18n.js";

/** The day's parts in Baku, as digits whatever the browser's language. */
const bakuParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Baku",
  year: "numeric",
  month: "numeric",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  numberingSystem: "latn",
});

const MONTHS = [
  "date.month_1",
  "date.month_2",
  "date.month_3",
  "date.month_4",
  "date.month_5",
  "date.month_6",
  "date.month_7",
  "date.month_8",
  "date.month_9",
  "date.month_10",
  "date.month_11",
  "date.month_12",
];

/** A day as the page's language writes it; `month` is 1 to 12. */
function writtenDay(year, month, dayOfMonth) {
  return t("date.day", { day: dayOfMonth, month: t(MONTHS[month - 1]), year });
}

/** An RFC 3339 time as "14 dekabr 2020, 09:30" in Baku time, in the page's language (the text itself if it does not parse). */
export function bakuTime(rfc3339) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return String(rfc3339 ?? "");
  const p = Object.fromEntries(bakuParts.formatToParts(d).map((x) => [x.type, x.value]));
  const hour = p.hour === "24" ? "00" : p.hour;
  return `${writtenDay(Number(p.year), Number(p.month), Number(p.day))}, ${hour}:${p.minute}`;
}

/** A window "from – until" like bakuTime(), its day written once when both ends fall on it ("6 dekabr 2026, 11:15 – 19:15"). */
export function bakuRange(from, until) {
  const [a, b] = [bakuTime(from), bakuTime(until)];
  const cut = a.lastIndexOf(", ");
  return cut > 0 && b.startsWith(a.slice(0, cut + 2)) ? `${a} – ${b.slice(cut + 2)}` : `${a} – ${b}`;
}

/** A Baku local time "yyyy-mm-dd hh:mm" (as the server's messages write it) like bakuTime(). */
export function bakuLocalTime(text) {
  const m = /^(\d{4}-\d\d-\d\d)[ T](\d\d:\d\d)$/.exec(String(text ?? ""));
  return m ? bakuTime(`${m[1]}T${m[2]}:00+04:00`) : String(text ?? "");
}

/** A calendar day "yyyy-mm-dd" as "14 dekabr 2020" in the page's language. */
export function day(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(text ?? ""));
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) return String(text ?? "");
  return writtenDay(Number(m[1]), Number(m[2]), Number(m[3]));
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
