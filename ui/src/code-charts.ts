// The Codes view's chart as data (issue 23 item 4): the abuse report of the
// SMS codes (`GET /admin/report/codes`) turned into bars per hour and code,
// with the hours where the watched code's share of the hour's requests is
// past the threshold times its usual share flagged. No DOM here, so the unit
// tests check the geometry and the flags directly; the screen draws them as
// plain SVG (screens/codes.ts).

import type { CodeHourStat } from "./bindings/CodeHourStat";
import type { CodeReport } from "./bindings/CodeReport";
import type { CodeShareStat } from "./bindings/CodeShareStat";
import { bakuHour, niceMax, type Size, type Tick } from "./charts";

export type { CodeHourStat, CodeReport, CodeShareStat };

const HOUR_MS = 3600_000;
const LEFT = 36;
const BOTTOM = 22;
/** Room above the plot for the flags' "!". */
const TOP = 18;
/**
 * The narrowest bar drawn, in the chart's units (pixels: the screen draws the
 * chart at its own size): on a 360 px phone a day of three codes is wider
 * than the screen, and scrolls sideways rather than shrink to hairlines.
 */
export const MIN_BAR_WIDTH = 6;
/** Hour labels are at least this far apart, centre to centre: a two-digit label at 11 px is about 14 px wide. */
export const LABEL_GAP = 28;
/** Every how many hours a label goes: divisors of the day, so that the labels fall on the same hours every day. */
const STRIDES = [1, 2, 3, 4, 6, 12, 24];

/** One code's requests (permits and refusals) in one hour, as a bar. */
export interface CodeBar {
  code: number;
  /** The hour in Baku, `10`. */
  label: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** An hour whose watched code's share is past its threshold. */
export interface Flag {
  /** The hour's start, RFC 3339 UTC. */
  hour: string;
  label: string;
  /** The watched code's share of the hour's requests, 0 to 1. */
  share: number;
  /** Where its "!" goes: above the hour's slot. */
  x: number;
  y: number;
  /** The hour's slot, for the red band behind it. */
  slotX: number;
  slotWidth: number;
}

export interface CodeChart {
  /** At least the size asked for; wider when the bars would be narrower than the minimum. */
  width: number;
  height: number;
  max: number;
  /** The codes drawn, ascending: one bar each per hour, in this order. */
  codes: number[];
  bars: CodeBar[];
  flags: Flag[];
  labels: Tick[];
  scale: Tick[];
  /** Where the plot starts: the scale's room is to the left of it. */
  left: number;
}

/** A count as the service sends it, or 0 for anything that is not a count. */
function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Requests per hour and code, every hour from the report's `from` to its
 * `to` (the hours nobody asked in as zeros; at most 48), unreadable rows dropped.
 */
export function hourTable(report: Pick<CodeReport, "from" | "to" | "hours">): { hours: string[]; codes: number[]; requests: Map<string, Map<number, number>> } {
  const requests = new Map<string, Map<number, number>>();
  const codes = new Set<number>();
  for (const h of report.hours) {
    const ms = Date.parse(h.hour);
    if (Number.isNaN(ms) || !Number.isInteger(h.code) || h.code < 0) continue;
    const key = iso(Math.floor(ms / HOUR_MS) * HOUR_MS);
    const row = requests.get(key) ?? new Map<number, number>();
    row.set(h.code, (row.get(h.code) ?? 0) + count(h.permits) + count(h.refused));
    requests.set(key, row);
    codes.add(h.code);
  }
  const start = Date.parse(report.from);
  const end = Date.parse(report.to);
  const hours: string[] = [];
  if (!Number.isNaN(start) && !Number.isNaN(end) && end > start) {
    for (let t = Math.floor(start / HOUR_MS) * HOUR_MS; t < end && hours.length < 48; t += HOUR_MS) hours.push(iso(t));
  } else {
    hours.push(...[...requests.keys()].sort());
  }
  return { hours, codes: [...codes].sort((a, b) => a - b), requests };
}

/** The watched code's usual share, if the baseline had requests. */
export function usualShare(report: Pick<CodeReport, "shares" | "watched_code">): number | null {
  return report.shares.find((s) => s.code === report.watched_code)?.usual_share ?? null;
}

/**
 * The hours whose watched code's share of the hour's requests is more than
 * `threshold` times its usual share; none when the baseline had no requests.
 */
export function flaggedHours(report: CodeReport): { hour: string; share: number }[] {
  const usual = usualShare(report);
  if (usual === null) return [];
  const { hours, requests } = hourTable(report);
  const out: { hour: string; share: number }[] = [];
  for (const hour of hours) {
    const row = requests.get(hour);
    if (!row) continue;
    const all = [...row.values()].reduce((a, b) => a + b, 0);
    const share = all > 0 ? (row.get(report.watched_code) ?? 0) / all : 0;
    if (all > 0 && share > usual * report.threshold) out.push({ hour, share });
  }
  return out;
}

/**
 * Bars of requests per code for each hour, side by side in code order,
 * labelled with the hour in Baku (every hour, or every 2nd, 3rd, 4th, 6th…
 * so that labels are `LABEL_GAP` apart), and the flagged hours with their
 * "!" above the slot. Bars are at least `minBarWidth` wide: the chart is made
 * wider than `size` for that, never narrower.
 */
export function codeChart(report: CodeReport, size: Size, minBarWidth = 0): CodeChart {
  const { hours, codes, requests } = hourTable(report);
  const plotWidth = Math.max(1, size.width - LEFT);
  const plotHeight = Math.max(1, size.height - TOP - BOTTOM);
  let biggest = 0;
  for (const row of requests.values()) for (const v of row.values()) biggest = Math.max(biggest, v);
  const max = niceMax(biggest);
  const minSlot = (Math.max(0, minBarWidth) * Math.max(1, codes.length)) / 0.8;
  const slot = Math.max(hours.length > 0 ? plotWidth / hours.length : plotWidth, minSlot);
  const width = Math.max(size.width, LEFT + slot * hours.length);
  const barWidth = Math.max(0.5, (slot * 0.8) / Math.max(1, codes.length));
  const every = STRIDES.find((n) => slot * n >= LABEL_GAP) ?? hours.length;
  const flagged = new Map(flaggedHours(report).map((f) => [f.hour, f.share]));
  const bars: CodeBar[] = [];
  const labels: Tick[] = [];
  const flags: Flag[] = [];
  hours.forEach((hour, i) => {
    const label = bakuHour(hour);
    const slotX = LEFT + i * slot;
    codes.forEach((code, j) => {
      const value = requests.get(hour)?.get(code) ?? 0;
      const height = (value / max) * plotHeight;
      bars.push({ code, label, value, x: slotX + slot * 0.1 + j * barWidth, y: TOP + plotHeight - height, width: barWidth, height });
    });
    if (i % every === 0) labels.push({ label, x: slotX + slot / 2, y: size.height - 6 });
    const share = flagged.get(hour);
    if (share !== undefined) flags.push({ hour, label, share, x: slotX + slot / 2, y: TOP - 5, slotX, slotWidth: slot });
  });
  const scale = [0, max / 2, max].map((v) => ({
    label: Number.isInteger(v) ? String(v) : v.toFixed(1),
    x: LEFT - 4,
    y: TOP + plotHeight - (v / max) * plotHeight,
  }));
  return { width, height: size.height, max, codes, bars, flags, labels, scale, left: LEFT };
}

/** A share as a percentage, `78%`; `—` for none. */
export function percent(share: number | null | undefined): string {
  return typeof share === "number" && Number.isFinite(share) ? `${Math.round(share * 100)}%` : "—";
}
