import { describe, expect, it } from "vitest";
import { CARD_REASONS, CARD_STANDINGS, cardLook, cardTaxId, hasTaxId, MAX_CARD_CODE_CHARS } from "../../src/cards";
import { CATALOGUES, LANGUAGES } from "../../src/i18n";

describe("a service card's answer", () => {
  it("shows ✓ only for authorised, ✗ for not authorised, ? for the rest", () => {
    expect(cardLook("authorised", null)).toEqual({ symbol: "✓", level: "green", title: "card.authorised", reason: null });
    expect(cardLook("not_authorised", "zone")).toEqual({
      symbol: "✗",
      level: "red",
      title: "card.not_authorised",
      reason: "card.reason.zone",
    });
    expect(cardLook("not_authorised", "expired").reason).toBe("card.reason.expired");
    expect(cardLook("unknown", null)).toEqual({ symbol: "?", level: "amber", title: "card.unknown", reason: null });
    expect(cardLook("unknown", "no_data").reason).toBe("card.reason.no_data");
    expect(cardLook("several", null).title).toBe("card.several");
  });

  it("fails safe on a standing or reason this build does not know", () => {
    const look = cardLook("authorised_maybe", "bribe");
    expect(look.symbol).toBe("?");
    expect(look.level).not.toBe("green");
    expect(look.reason).toBeNull();
  });

  it("has its words in every language", () => {
    const keys = [
      ...CARD_STANDINGS.map((s) => cardLook(s, null).title),
      ...CARD_REASONS.map((r) => `card.reason.${r}`),
      ...["card.sector", "card.tax_id", "card.zones", "card.everywhere", "card.until"],
    ];
    for (const lang of LANGUAGES) {
      for (const key of keys) expect(CATALOGUES[lang], `${lang} lacks ${key}`).toHaveProperty([key]);
    }
  });
});

describe("a service card's scanned code", () => {
  const id = (taxId: string) => ({ taxId });
  const none = { problem: "none" };

  it("takes a bare ten-digit tax id, white space around it aside", () => {
    expect(cardTaxId("1700000001")).toEqual(id("1700000001"));
    expect(cardTaxId("  0101234567\n")).toEqual(id("0101234567"));
    expect(hasTaxId("1700000001")).toBe(true);
  });

  it("takes the ten digits after VÖEN: or VOEN:, in any case, on any line", () => {
    expect(cardTaxId("VÖEN: 1700000001")).toEqual(id("1700000001"));
    expect(cardTaxId("Bakı Metropoliteni QSC\nvöen:1700000001\nKart 4711")).toEqual(id("1700000001"));
    expect(cardTaxId("VOEN : 1700000001")).toEqual(id("1700000001"));
    expect(cardTaxId("Voen:\t0101234567;")).toEqual(id("0101234567"));
    // An Ö written as O and a combining diaeresis.
    expect(cardTaxId("VO\u0308EN: 1700000001")).toEqual(id("1700000001"));
  });

  it("takes voen= or tin= in an http(s) address's query", () => {
    expect(cardTaxId("https://example.az/card?voen=1700000001")).toEqual(id("1700000001"));
    expect(cardTaxId("http://example.az/?lang=az&TIN=0101234567#x")).toEqual(id("0101234567"));
    expect(cardTaxId("https://example.az/?voen=1700000001&tin=1700000001")).toEqual(id("1700000001"));
    expect(cardTaxId("https://example.az/?voen=170000000")).toEqual(none);
    expect(cardTaxId("https://example.az/?id=1700000001")).toEqual(none);
    expect(cardTaxId("ftp://example.az/?voen=1700000001")).toEqual(none);
    expect(cardTaxId("https://exa mple.az/?voen=1700000001")).toEqual(none);
  });

  it("says none for a code with no tax id: another number, a label without ten digits, a Wi-Fi code, a permit", () => {
    for (const text of [
      "",
      "   ",
      "Kart 4711",
      // Ten digits, but no label: a phone number is ten digits too.
      "Tel 0501234567",
      "Bakı Metropoliteni QSC 1700000001",
      "VÖEN: 170000000",
      "VÖEN: 17000000012",
      "VÖEN 1700000001",
      "XVOEN: 1700000001",
      "WIFI:S:precinct;T:WPA;P:secret;;",
      "IZ1EgEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8w",
      "1".repeat(120),
    ]) {
      expect(cardTaxId(text), text).toEqual(none);
      expect(hasTaxId(text), text).toBe(false);
    }
  });

  it("takes ASCII digits only: Arabic-Indic, Persian and full-width digits are no tax id", () => {
    for (const text of ["١٧٠٠٠٠٠٠٠١", "VÖEN: ۱۷۰۰۰۰۰۰۰۱", "VÖEN: １７００００００００１", "VÖEN: 17000０0001"]) {
      expect(cardTaxId(text), text).toEqual(none);
    }
  });

  it("says several for two different tax ids, and takes the same one told twice once", () => {
    expect(cardTaxId("VÖEN: 1700000001\nVOEN: 0101234567")).toEqual({ problem: "several" });
    expect(cardTaxId("https://example.az/?voen=1700000001&tin=0101234567")).toEqual({ problem: "several" });
    expect(cardTaxId("VÖEN: 1700000001 VÖEN: 1700000001")).toEqual(id("1700000001"));
    expect(hasTaxId("VÖEN: 1700000001\nVOEN: 0101234567")).toBe(false);
  });

  it("refuses a text longer than a card's code, wherever the tax id is in it", () => {
    const long = `VÖEN: 1700000001 ${"x".repeat(MAX_CARD_CODE_CHARS)}`;
    expect(cardTaxId(long)).toEqual(none);
    expect(cardTaxId(`VÖEN: 1700000001${" ".repeat(MAX_CARD_CODE_CHARS - 16)}`)).toEqual(id("1700000001"));
    // A long run of spaces and colons after the label finds nothing.
    expect(cardTaxId(`VÖEN${" :".repeat(490)}`)).toEqual(none);
  });
});
