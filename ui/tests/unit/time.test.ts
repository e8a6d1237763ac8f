import { describe, expect, it } from "vitest";
import {
  bakuDate,
  bakuDateTime,
  clockTime,
  dayTime,
  formatDuration,
  minutesBetween,
  minutesLeft,
  parseBakuDateTime,
  validityWindow,
} from "../../src/time";

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

describe("the supervisor's dates (dd.mm.yyyy, Baku time)", () => {
  it("show any instant on Baku's clock, whatever offset it came in", () => {
    expect(bakuDate("2020-12-15T10:00:00+04:00")).toBe("15.12.2020");
    expect(bakuDateTime("2020-12-15T10:00:00+04:00")).toBe("15.12.2020 10:00");
    // The service's UTC times (a device's last sync): 21:30 UTC is 01:30 the next day in Baku.
    expect(bakuDateTime("2020-12-31T21:30:00Z")).toBe("01.01.2021 01:30");
    expect(bakuDateTime("2020-03-05T06:07:08.123Z")).toBe("05.03.2020 10:07");
    expect(bakuDateTime("2020-12-15T10:00:00-05:00")).toBe("15.12.2020 19:00");
  });

  it("leave anything that is not a full instant as it came", () => {
    expect(bakuDateTime("garbage")).toBe("garbage");
    expect(bakuDate("2020-12-15")).toBe("2020-12-15");
    expect(bakuDateTime("")).toBe("");
  });

  it("read what the supervisor types as Baku time, a bare date as the start or the end of its day", () => {
    expect(parseBakuDateTime("15.12.2020 10:00")).toEqual({ iso: "2020-12-15T10:00:00+04:00" });
    expect(parseBakuDateTime(" 5.3.2021  9:05 ")).toEqual({ iso: "2021-03-05T09:05:00+04:00" });
    expect(parseBakuDateTime("15.12.2020")).toEqual({ iso: "2020-12-15T00:00:00+04:00" });
    expect(parseBakuDateTime("15.12.2020", true)).toEqual({ iso: "2020-12-15T23:59:59+04:00" });
    expect(parseBakuDateTime("15.12.2020 10:00", true)).toEqual({ iso: "2020-12-15T10:00:00+04:00" });
    expect(parseBakuDateTime("")).toEqual({ iso: null });
    expect(parseBakuDateTime("   ", true)).toEqual({ iso: null });
  });

  it("refuse text that is not such a date, or a day the calendar lacks", () => {
    for (const bad of ["2020-12-15", "12/15/2020", "31.02.2021", "29.02.2021", "15.13.2020", "15.12.2020 24:00", "15.12.2020 10:60", "15.12.20", "yesterday"]) {
      expect(parseBakuDateTime(bad), bad).toBeNull();
    }
    expect(parseBakuDateTime("29.02.2020")).toEqual({ iso: "2020-02-29T00:00:00+04:00" });
  });

  it("round-trip: what is shown reads back as the same instant", () => {
    const iso = "2020-12-31T21:30:00Z";
    const back = parseBakuDateTime(bakuDateTime(iso));
    expect(Date.parse(back?.iso ?? "")).toBe(Date.parse(iso));
  });
});
