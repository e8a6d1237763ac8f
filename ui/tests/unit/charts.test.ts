import { describe, expect, it } from "vitest";
import { bakuHour, fillHours, hourlyChart, MAX_HOURS, MAX_OFFICERS, niceMax, officerChart, totals } from "../../src/charts";

const size = { width: 336, height: 130 };
// The plot: x from 36 to 336, y from 8 to 108 (130 - 22).
const BASE = 108;

describe("niceMax", () => {
  it("rounds up to 1, 2 or 5 times a power of ten, never below 1", () => {
    expect([0, 1, 2, 3, 7, 10, 11, 26, 101, 4999].map(niceMax)).toEqual([1, 1, 2, 5, 10, 10, 20, 50, 200, 5000]);
    expect(niceMax(Number.NaN)).toBe(1);
    expect(niceMax(-4)).toBe(1);
  });
});

describe("hours", () => {
  it("are shown in Baku time", () => {
    expect(bakuHour("2020-12-15T06:00:00Z")).toBe("10");
    expect(bakuHour("2020-12-15T21:00:00Z")).toBe("01");
    expect(bakuHour("not a time")).toBe("?");
  });

  it("fill the gaps with zeros, in order, and drop unreadable ones", () => {
    const filled = fillHours([
      { hour: "2020-12-15T08:00:00Z", inspections: 2, violations: 1, not_valid: 0 },
      { hour: "bad", inspections: 9, violations: 9, not_valid: 9 },
      { hour: "2020-12-15T06:00:00Z", inspections: 5, violations: 0, not_valid: 1 },
    ]);
    expect(filled.map((h) => [h.hour, h.inspections, h.violations])).toEqual([
      ["2020-12-15T06:00:00Z", 5, 0],
      ["2020-12-15T07:00:00Z", 0, 0],
      ["2020-12-15T08:00:00Z", 2, 1],
    ]);
    expect(fillHours([])).toEqual([]);
  });

  it("keep only the last week of a longer window", () => {
    const first = Date.parse("2020-12-01T00:00:00Z");
    const hours = [0, 400].map((i) => ({
      hour: new Date(first + i * 3600_000).toISOString(),
      inspections: 1,
      violations: 0,
      not_valid: 0,
    }));
    const filled = fillHours(hours);
    expect(filled.length).toBe(MAX_HOURS);
    expect(filled[filled.length - 1].hour).toBe(new Date(first + 400 * 3600_000).toISOString().replace(".000", ""));
  });
});

describe("the hourly chart", () => {
  it("draws two bars an hour, scaled to a round maximum, standing on the axis", () => {
    const chart = hourlyChart(
      [
        { hour: "2020-12-15T06:00:00Z", inspections: 8, violations: 2, not_valid: 1 },
        { hour: "2020-12-15T07:00:00Z", inspections: 3, violations: 0, not_valid: 0 },
      ],
      size,
    );
    expect(chart.max).toBe(10);
    expect(chart.bars.map((b) => [b.series, b.label, b.value])).toEqual([
      ["inspections", "10", 8],
      ["violations", "10", 2],
      ["inspections", "11", 3],
      ["violations", "11", 0],
    ]);
    const [first, second, third] = chart.bars;
    expect(first.height).toBeCloseTo(80);
    expect(first.y + first.height).toBeCloseTo(BASE);
    expect(second.height).toBeCloseTo(20);
    expect(second.x).toBeCloseTo(first.x + first.width);
    expect(third.x).toBeGreaterThan(second.x + second.width);
    for (const bar of chart.bars) {
      expect(bar.x).toBeGreaterThanOrEqual(36);
      expect(bar.x + bar.width).toBeLessThanOrEqual(size.width);
    }
    expect(chart.labels.map((l) => l.label)).toEqual(["10", "11"]);
    expect(chart.scale.map((s) => s.label)).toEqual(["0", "5", "10"]);
  });

  it("is empty but drawable without data, and ignores nonsense counts", () => {
    const empty = hourlyChart([], size);
    expect(empty.bars).toEqual([]);
    expect(empty.max).toBe(1);
    const odd = hourlyChart([{ hour: "2020-12-15T06:00:00Z", inspections: -3, violations: Number.NaN, not_valid: 0 }], size);
    expect(odd.bars.map((b) => b.value)).toEqual([0, 0]);
    expect(odd.bars.every((b) => b.height === 0)).toBe(true);
  });

  it("labels every third hour of a long day", () => {
    const hours = Array.from({ length: 24 }, (_, i) => ({
      hour: new Date(Date.parse("2020-12-14T20:00:00Z") + i * 3600_000).toISOString(),
      inspections: i,
      violations: 0,
      not_valid: 0,
    }));
    const chart = hourlyChart(hours, size);
    expect(chart.bars.length).toBe(48);
    expect(chart.labels.map((l) => l.label)).toEqual(["00", "03", "06", "09", "12", "15", "18", "21"]);
  });
});

describe("the officer chart", () => {
  it("puts the busiest officer first, with violations as an inner bar", () => {
    const chart = officerChart(
      [
        { badge: "B-7", inspections: 3, violations: 1 },
        { badge: "B-1042", inspections: 12, violations: 4 },
        { badge: "A-1", inspections: 3, violations: 0 },
      ],
      size,
    );
    expect(chart.max).toBe(20);
    expect(chart.labels.map((l) => l.label)).toEqual(["B-1042", "A-1", "B-7"]);
    const [busiest, inner] = chart.bars;
    expect([busiest.series, busiest.value, inner.series, inner.value]).toEqual(["inspections", 12, "violations", 4]);
    expect(busiest.height).toBeCloseTo(60);
    expect(inner.width).toBeCloseTo(busiest.width / 2);
    expect(inner.x).toBeGreaterThan(busiest.x);
    expect(inner.x + inner.width).toBeLessThan(busiest.x + busiest.width);
  });

  it(`keeps at most ${MAX_OFFICERS} officers`, () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ badge: `B-${i}`, inspections: i, violations: 0 }));
    const chart = officerChart(many, size);
    expect(chart.labels.length).toBe(MAX_OFFICERS);
    expect(chart.labels[0].label).toBe("B-39");
  });
});

describe("the totals", () => {
  it("count red results and recorded violations apart, never summed", () => {
    // One stop: a red check, then the violation recorded from it; and a valid check.
    const sum = totals([
      { hour: "2020-12-15T06:00:00Z", inspections: 2, violations: 1, not_valid: 1 },
      { hour: "2020-12-15T07:00:00Z", inspections: 1, violations: 0, not_valid: 0 },
    ]);
    expect(sum).toEqual({ inspections: 3, red: 1, violations: 1 });
  });

  it("count red results with no violation recorded, and violations with no check", () => {
    const sum = totals([
      { hour: "2020-12-15T06:00:00Z", inspections: 4, violations: 0, not_valid: 3 },
      { hour: "2020-12-15T08:00:00Z", inspections: 2, violations: 2, not_valid: 0 },
    ]);
    expect(sum).toEqual({ inspections: 6, red: 3, violations: 2 });
  });

  it("are zero without data, and ignore nonsense counts", () => {
    expect(totals([])).toEqual({ inspections: 0, red: 0, violations: 0 });
    expect(
      totals([{ hour: "2020-12-15T06:00:00Z", inspections: -1, violations: Number.NaN, not_valid: "2" as unknown as number }]),
    ).toEqual({ inspections: 0, red: 0, violations: 0 });
  });
});
