import { describe, expect, it } from "vitest";
import type { Zone } from "../../src/api";
import { isNamed, parseZoneNumber, zoneName, zoneNames } from "../../src/zones";

// As the bundle of regimes/2020-12-14.toml names them.
const zones: Zone[] = [
  { id: 1, name_az: "Bakı", name_ru: "Баку", name_en: "Baku" },
  { id: 2, name_az: "Sumqayıt", name_ru: "Сумгайыт", name_en: "Sumgayit" },
  { id: 3, name_az: "Gəncə", name_ru: "Гянджа", name_en: "Ganja" },
  { id: 9, name_az: "Cəlilabad şəhəri", name_ru: "город Джалилабад", name_en: "Jalilabad city" },
];

describe("zones by name", () => {
  it("names a zone in the language asked for", () => {
    expect(zoneName(zones, 1, "az")).toBe("Bakı");
    expect(zoneName(zones, 1, "ru")).toBe("Баку");
    expect(zoneName(zones, 9, "en")).toBe("Jalilabad city");
  });

  it("falls back to the number for a zone the bundle does not name, or without a bundle", () => {
    expect(zoneName(zones, 17, "en")).toBe("Zone 17");
    expect(zoneName(zones, 17, "az")).toBe("Zona 17");
    expect(zoneName([], 1, "ru")).toBe("Зона 1");
    const blank: Zone[] = [{ id: 5, name_az: " ", name_ru: "", name_en: "Shirvan" }];
    expect(zoneName(blank, 5, "az"), "an empty name is no name").toBe("Zona 5");
    expect(zoneName(blank, 5, "en")).toBe("Shirvan");
  });

  it("lists a permit's zones in its own order, named or not", () => {
    expect(zoneNames(zones, [1, 2], "az")).toBe("Bakı, Sumqayıt");
    expect(zoneNames(zones, [3, 40, 1], "en")).toBe("Ganja, Zone 40, Baku");
    expect(zoneNames(zones, [], "en")).toBe("");
  });

  it("tells the picker which zones it can show by name", () => {
    expect(isNamed(zones, 2)).toBe(true);
    expect(isNamed(zones, 40)).toBe(false);
    expect(isNamed(zones, null)).toBe(false);
    expect(isNamed([], 1)).toBe(false);
  });

  it("reads a typed zone number: digits only, not zero; the range is the core's", () => {
    expect(parseZoneNumber("17")).toBe(17);
    expect(parseZoneNumber(" 3 \n")).toBe(3);
    expect(parseZoneNumber("007")).toBe(7);
    expect(parseZoneNumber("70000")).toBe(70000);
    for (const text of ["", " ", "0", "000", "-1", "2.5", "1e3", "٣", "12a", "1 2", "1234567"]) {
      expect(parseZoneNumber(text), JSON.stringify(text)).toBeNull();
    }
  });
});
