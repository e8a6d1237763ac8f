import { describe, expect, it } from "vitest";
import { CARD_REASONS, CARD_STANDINGS, cardLook } from "../../src/cards";
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
