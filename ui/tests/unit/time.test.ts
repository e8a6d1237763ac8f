import { describe, expect, it } from "vitest";
import { clockTime, dayTime, formatDuration, minutesBetween, minutesLeft, validityWindow } from "../../src/time";

const en = { min: "min", h: "h", d: "d" };
const ru = { min: "мин", h: "ч", d: "дн" };

describe("durations", () => {
  it("are minutes under an hour, hours and minutes under two days, then days", () => {
    expect(formatDuration(0, en)).toBe("0 min");
    expect(formatDuration(59, en)).toBe("59 min");
    expect(formatDuration(60, en)).toBe("1 h 00 min");
    expect(formatDuration(125, ru)).toBe("2 ч 05 мин");
    expect(formatDuration(47 * 60 + 59, en)).toBe("47 h 59 min");
    expect(formatDuration(48 * 60, en)).toBe("2 d");
    expect(formatDuration(3 * 1440 + 4 * 60 + 30, en)).toBe("3 d 4 h");
  });

  it("never show a negative time", () => {
    expect(formatDuration(-5, en)).toBe("0 min");
  });
});

describe("time left", () => {
  const until = "2020-12-15T13:00:00+04:00";
  it("counts whole minutes up to the end, rounding up", () => {
    expect(minutesLeft(until, new Date("2020-12-15T07:00:00Z"))).toBe(120);
    expect(minutesLeft(until, new Date("2020-12-15T08:59:30Z"))).toBe(1);
    expect(minutesLeft(until, new Date("2020-12-15T09:00:00Z"))).toBe(0);
    expect(minutesLeft(until, new Date("2020-12-15T09:30:00Z"))).toBe(-30);
  });

  it("measures minutes between offsets correctly", () => {
    expect(minutesBetween("2020-12-15T10:00:00+04:00", "2020-12-15T06:05:00Z")).toBe(5);
  });
});

describe("Baku clock text", () => {
  it("is read from the string, whatever the machine's zone", () => {
    expect(dayTime("2020-12-15T10:00:00+04:00")).toBe("15.12 10:00");
    expect(clockTime("2020-12-15T23:59:00+04:00")).toBe("23:59");
    expect(validityWindow("2020-12-15T10:00:00+04:00", "2020-12-15T13:00:00+04:00")).toBe("15.12 10:00–13:00");
    expect(validityWindow("2020-12-15T22:00:00+04:00", "2020-12-16T01:00:00+04:00")).toBe("15.12 22:00 – 16.12 01:00");
    expect(dayTime("garbage")).toBe("garbage");
  });
});
