import { describe, expect, it } from "vitest";
import { codeChart, type CodeReport, flaggedHours, hourTable, LABEL_GAP, MIN_BAR_WIDTH, percent, usualShare } from "../../src/code-charts";

// A Baku day, 15.12.2020 (20:00Z on the 14th to 20:00Z on the 15th): code 1 is
// 20% of the requests usually; at 10:00 and 11:00 Baku it is most of them.
const sample: CodeReport = {
  from: "2020-12-14T20:00:00Z",
  to: "2020-12-15T20:00:00Z",
  watched_code: 1,
  threshold: 1.5,
  baseline_days: 7,
  alert: true,
  hours: [
    { hour: "2020-12-15T05:00:00Z", code: 2, permits: 8, refused: 0 },
    { hour: "2020-12-15T05:00:00Z", code: 1, permits: 2, refused: 0 },
    { hour: "2020-12-15T06:00:00Z", code: 1, permits: 6, refused: 1 },
    { hour: "2020-12-15T06:00:00Z", code: 2, permits: 2, refused: 0 },
    { hour: "2020-12-15T07:00:00Z", code: 1, permits: 4, refused: 0 },
    { hour: "not an hour", code: 1, permits: 99, refused: 0 },
  ],
  shares: [
    { code: 1, requests: 13, share: 13 / 23, usual_share: 0.2, alert: true },
    { code: 2, requests: 10, share: 10 / 23, usual_share: 0.8, alert: false },
  ],
  top_phones: [{ key: "+99450•••••44", permits: 6 }],
  top_documents: [{ key: "AZ•••••••15", permits: 1 }],
  masked: true,
};

const size = { width: 276, height: 140 };
// The plot: x from 36 to 276 (24 slots of 10), y from 18 to 118 (140 - 22).
const BASE = 118;

describe("the codes' table", () => {
  it("has every hour of the day, each code's requests summed, unreadable rows dropped", () => {
    const table = hourTable(sample);
    expect(table.hours).toHaveLength(24);
    expect(table.hours[0]).toBe("2020-12-14T20:00:00Z");
    expect(table.codes).toEqual([1, 2]);
    expect(table.requests.get("2020-12-15T06:00:00Z")).toEqual(new Map([[1, 7], [2, 2]]));
    expect(table.requests.has("not an hour")).toBe(false);
  });
});

describe("flagged hours", () => {
  it("are those where the watched code's share is past the threshold times its usual share", () => {
    // 05Z: 2 of 10 = 20% (not flagged); 06Z: 7 of 9 (flagged); 07Z: 4 of 4 (flagged).
    expect(flaggedHours(sample).map((f) => [f.hour, Math.round(f.share * 100)])).toEqual([
      ["2020-12-15T06:00:00Z", 78],
      ["2020-12-15T07:00:00Z", 100],
    ]);
    expect(usualShare(sample)).toBe(0.2);
  });

  it("are none without a usual share to compare with", () => {
    const fresh = { ...sample, shares: sample.shares.map((s) => ({ ...s, usual_share: null })) };
    expect(flaggedHours(fresh)).toEqual([]);
    expect(flaggedHours({ ...sample, threshold: 5 })).toEqual([]);
  });
});

describe("the codes' chart", () => {
  const chart = codeChart(sample, size);

  it("draws a bar per code and hour on a round scale", () => {
    expect(chart.max).toBe(10);
    expect(chart.codes).toEqual([1, 2]);
    expect(chart.bars).toHaveLength(48);
    const at10 = chart.bars.filter((b) => b.label === "10");
    expect(at10.map((b) => [b.code, b.value])).toEqual([[1, 7], [2, 2]]);
    // 7 of 10 is 70 of the plot's 100 units; the hour is the 11th slot (x 136), the bars 80% of it.
    expect(at10[0].height).toBeCloseTo(70);
    expect(at10[0].y + at10[0].height).toBeCloseTo(BASE);
    expect(at10[0].x).toBeCloseTo(137);
    expect(at10[1].x).toBeCloseTo(141);
    expect(chart.bars.filter((b) => b.label === "00").every((b) => b.height === 0)).toBe(true);
  });

  it("marks the flagged hours above their slot, labelled in Baku time", () => {
    expect(chart.flags.map((f) => [f.label, f.x, f.slotX])).toEqual([
      ["10", 141, 136],
      ["11", 151, 146],
    ]);
    expect(chart.labels.map((l) => l.label)).toEqual(["00", "03", "06", "09", "12", "15", "18", "21"]);
  });

  it("is as wide as asked while the bars are wide enough", () => {
    expect(chart.width).toBe(276);
    expect(codeChart(sample, size, 3).width).toBe(276);
    expect(chart.left).toBe(36);
  });

  it("grows wider, never thinner, to keep every bar at the minimum width (a 360 px phone)", () => {
    // 24 hours of two codes at 6 px: slots of 15, the plot 360 wide after the scale's 36.
    const phone = codeChart(sample, { width: 300, height: 220 }, MIN_BAR_WIDTH);
    expect(phone.width).toBeCloseTo(36 + 24 * 15);
    expect(Math.min(...phone.bars.map((b) => b.width))).toBeCloseTo(MIN_BAR_WIDTH);
    const last = phone.bars[phone.bars.length - 1];
    expect(last.x + last.width).toBeLessThanOrEqual(phone.width);
    // Every second hour labelled: 15 px apart would touch, 30 do not.
    expect(phone.labels.map((l) => l.label)).toEqual(["00", "02", "04", "06", "08", "10", "12", "14", "16", "18", "20", "22"]);
    expect(phone.labels[1].x - phone.labels[0].x).toBeGreaterThanOrEqual(LABEL_GAP);
    // Three codes need wider slots still.
    const three = { ...sample, hours: [...sample.hours, { hour: "2020-12-15T08:00:00Z", code: 3, permits: 1, refused: 0 }] };
    expect(codeChart(three, { width: 300, height: 220 }, MIN_BAR_WIDTH).width).toBeCloseTo(36 + 24 * 22.5);
  });

  it("labels every hour when there is room, and fewer as the slots narrow", () => {
    const wide = codeChart(sample, { width: 36 + 24 * 30, height: 220 });
    expect(wide.labels).toHaveLength(24);
    const narrow = codeChart(sample, { width: 36 + 24 * 5, height: 220 });
    expect(narrow.labels.map((l) => l.label)).toEqual(["00", "06", "12", "18"]);
  });

  it("has nothing to draw for an empty day", () => {
    const empty = codeChart({ ...sample, hours: [], shares: [] }, size);
    expect([empty.bars.length, empty.flags.length, empty.max]).toEqual([0, 0, 1]);
  });
});

describe("percent", () => {
  it("rounds a share, and says nothing for none", () => {
    expect([percent(0.778), percent(0), percent(null), percent(Number.NaN)]).toEqual(["78%", "0%", "—", "—"]);
  });
});
