// The Supervisor screen's charts as data: pure functions from the service's
// statistics (`GET /v1/stats/hourly`) to bars with their coordinates, which
// the screen draws as plain SVG. No DOM here, so the unit tests check the
// geometry directly.

import type { HourStat } from "./bindings/HourStat";
import type { OfficerStat } from "./bindings/OfficerStat";

export type { HourStat, OfficerStat };

export type Series = "inspections" | "violations";

/** A bar in SVG user units (the origin is the top left corner). */
export interface Bar {
  series: Series;
  label: string;
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A label on an axis, at `x`/`y`. */
export interface Tick {
  label: string;
  x: number;
  y: number;
}

export interface Chart {
  width: number;
  height: number;
  /** The value of the top of the scale (a round number, at least 1). */
  max: number;
  bars: Bar[];
  /** Labels along the category axis. */
  labels: Tick[];
  /** Labels along the value axis: 0, max/2, max. */
  scale: Tick[];
}

export interface Size {
  width: number;
  height: number;
}

const HOUR_MS = 3600_000;
const BAKU_OFFSET_MS = 4 * HOUR_MS;
/** Room for the value labels (left) and the category labels (bottom). */
const LEFT = 36;
const BOTTOM = 22;
const TOP = 8;
/** The most hours drawn: a week. A longer window keeps its last week. */
export const MAX_HOURS = 24 * 7;
/** The most officers drawn; the rest are left out (the table lists everyone). */
export const MAX_OFFICERS = 15;

/** The smallest 1, 2 or 5 × 10^k that is at least `value` (and at least 1). */
export function niceMax(value: number): number {
  if (!Number.isFinite(value) || value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** A count as the service sends it, or 0 for anything that is not a count. */
function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** `10` for the hour starting at 06:00 UTC: the hour in Baku (UTC+4, no summer time since 2016). */
export function bakuHour(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return "?";
  return String(new Date(ms + BAKU_OFFSET_MS).getUTCHours()).padStart(2, "0");
}

/**
 * The hours from the first to the last one given, one per hour, with the
 * hours the service left out (nobody checked anything) as zeros; sorted,
 * unreadable hours dropped, at most the last `MAX_HOURS`.
 */
export function fillHours(hours: readonly HourStat[]): HourStat[] {
  const byStart = new Map<number, HourStat>();
  for (const h of hours) {
    const ms = Date.parse(h.hour);
    if (Number.isNaN(ms)) continue;
    const start = Math.floor(ms / HOUR_MS) * HOUR_MS;
    const seen = byStart.get(start);
    byStart.set(start, {
      hour: new Date(start).toISOString().replace(/\.\d{3}Z$/, "Z"),
      inspections: count(h.inspections) + (seen?.inspections ?? 0),
      violations: count(h.violations) + (seen?.violations ?? 0),
      not_valid: count(h.not_valid) + (seen?.not_valid ?? 0),
    });
  }
  if (byStart.size === 0) return [];
  const starts = [...byStart.keys()].sort((a, b) => a - b);
  const last = starts[starts.length - 1];
  const first = Math.max(starts[0], last - (MAX_HOURS - 1) * HOUR_MS);
  const out: HourStat[] = [];
  for (let t = first; t <= last; t += HOUR_MS) {
    out.push(
      byStart.get(t) ?? {
        hour: new Date(t).toISOString().replace(/\.\d{3}Z$/, "Z"),
        inspections: 0,
        violations: 0,
        not_valid: 0,
      },
    );
  }
  return out;
}

function scale(max: number, plotTop: number, plotHeight: number): Tick[] {
  return [0, max / 2, max].map((v) => ({
    label: Number.isInteger(v) ? String(v) : v.toFixed(1),
    x: LEFT - 4,
    y: plotTop + plotHeight - (v / max) * plotHeight,
  }));
}

/**
 * Inspections and violations per hour: for each hour two bars side by side,
 * labelled with the hour in Baku. Every third hour is labelled when there
 * are more than 12.
 */
export function hourlyChart(hours: readonly HourStat[], size: Size): Chart {
  const filled = fillHours(hours);
  const plotWidth = Math.max(1, size.width - LEFT);
  const plotHeight = Math.max(1, size.height - TOP - BOTTOM);
  const max = niceMax(Math.max(0, ...filled.map((h) => Math.max(h.inspections, h.violations))));
  const slot = filled.length > 0 ? plotWidth / filled.length : plotWidth;
  const barWidth = Math.max(1, (slot * 0.8) / 2);
  const every = filled.length > 12 ? 3 : 1;
  const bars: Bar[] = [];
  const labels: Tick[] = [];
  filled.forEach((h, i) => {
    const label = bakuHour(h.hour);
    const left = LEFT + i * slot + slot * 0.1;
    (["inspections", "violations"] as const).forEach((series, j) => {
      const value = h[series];
      const height = (value / max) * plotHeight;
      bars.push({ series, label, value, x: left + j * barWidth, y: TOP + plotHeight - height, width: barWidth, height });
    });
    if (i % every === 0) labels.push({ label, x: LEFT + i * slot + slot / 2, y: size.height - 6 });
  });
  return { width: size.width, height: size.height, max, bars, labels, scale: scale(max, TOP, plotHeight) };
}

/**
 * Inspections per officer, the busiest first (ties by badge), at most
 * `MAX_OFFICERS`; each officer's violations as a second, narrower bar.
 */
export function officerChart(officers: readonly OfficerStat[], size: Size): Chart {
  const sorted = officers
    .filter((o) => typeof o.badge === "string" && o.badge !== "")
    .map((o) => ({ badge: o.badge, inspections: count(o.inspections), violations: count(o.violations) }))
    .sort((a, b) => b.inspections - a.inspections || a.badge.localeCompare(b.badge))
    .slice(0, MAX_OFFICERS);
  const plotWidth = Math.max(1, size.width - LEFT);
  const plotHeight = Math.max(1, size.height - TOP - BOTTOM);
  const max = niceMax(Math.max(0, ...sorted.map((o) => Math.max(o.inspections, o.violations))));
  const slot = sorted.length > 0 ? plotWidth / sorted.length : plotWidth;
  const bars: Bar[] = [];
  const labels: Tick[] = [];
  sorted.forEach((o, i) => {
    const left = LEFT + i * slot + slot * 0.15;
    const width = slot * 0.7;
    const h1 = (o.inspections / max) * plotHeight;
    bars.push({ series: "inspections", label: o.badge, value: o.inspections, x: left, y: TOP + plotHeight - h1, width, height: h1 });
    const h2 = (o.violations / max) * plotHeight;
    const inner = width / 2;
    bars.push({
      series: "violations",
      label: o.badge,
      value: o.violations,
      x: left + (width - inner) / 2,
      y: TOP + plotHeight - h2,
      width: inner,
      height: h2,
    });
    labels.push({ label: o.badge, x: LEFT + i * slot + slot / 2, y: size.height - 6 });
  });
  return { width: size.width, height: size.height, max, bars, labels, scale: scale(max, TOP, plotHeight) };
}

/** The precinct's figures over a window: what the dashboard prints above the charts. */
export interface Totals {
  /** Every record received: checks and manual records alike. */
  inspections: number;
  /** Checks shown red to the officer (display `not_valid`): the permit did not let its holder pass. */
  red: number;
  /** Violations the officers recorded (manual records with input `violation`). */
  violations: number;
}

/**
 * The totals of `GET /v1/stats/hourly`'s hours. Red checks and recorded
 * violations are kept apart, never summed: an officer who meets a refused
 * permit usually records the violation from that red result (Result →
 * "Record a violation"), so one stop would count twice; and a violation can
 * be recorded with no permit checked at all. Nonsense counts are 0.
 */
export function totals(hours: readonly HourStat[]): Totals {
  return hours.reduce<Totals>(
    (sum, h) => ({
      inspections: sum.inspections + count(h.inspections),
      red: sum.red + count(h.not_valid),
      violations: sum.violations + count(h.violations),
    }),
    { inspections: 0, red: 0, violations: 0 },
  );
}
