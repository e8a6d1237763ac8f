import { describe, expect, it } from "vitest";
import { CATALOGUES, format, LANGUAGES, placeholders } from "../../src/i18n";
import { MANUAL_FIELDS } from "../../src/screens/manual";
import { LADDER } from "../../src/screens/sync";
import { PURPOSES, REASON_CODES, VERDICT_KINDS } from "../../src/verdict";

const reference = CATALOGUES.en;

describe("catalogues", () => {
  it("have the same keys in every language", () => {
    const keys = Object.keys(reference).sort();
    for (const lang of LANGUAGES) {
      expect(Object.keys(CATALOGUES[lang]).sort(), lang).toEqual(keys);
    }
  });

  it("have no empty string and the same placeholders as English", () => {
    for (const lang of LANGUAGES) {
      for (const [key, text] of Object.entries(CATALOGUES[lang])) {
        expect(text.trim(), `${lang} ${key}`).not.toBe("");
        expect(placeholders(text), `${lang} ${key}`).toEqual(placeholders(reference[key as keyof typeof reference]));
      }
    }
  });

  it("translate every verdict, reason, purpose, freshness step and manual field the core can send", () => {
    const needed = [
      ...VERDICT_KINDS.map((k) => `verdict.${k}`),
      "verdict.unknown",
      "verdict.replaced",
      ...REASON_CODES.map((c) => `reason.${c}`),
      ...PURPOSES.map((p) => `purpose.${p}`),
      ...[...LADDER, "no_data"].map((f) => `freshness.${f}`),
      ...Object.keys(MANUAL_FIELDS).map((k) => `manual.kind.${k}`),
      ...Object.values(MANUAL_FIELDS).flatMap((fields) => fields.map((f) => `manual.field.${f.name}`)),
      ...[
        "not_a_device",
        "storage",
        "bad_bundle",
        "rollback",
        "qr_not_found",
        "qr_image_unreadable",
        // The sync client's codes (SyncError::code) and the app's own for sync.
        ...["no_server", "bad_url", "client", "unreachable", "server_error", "refused", "future_version"],
        ...["protocol", "no_progress", "bundle_too_large", "bundle_refused"],
      ].map((c) => `error.${c}`),
    ];
    for (const lang of LANGUAGES) {
      for (const key of needed) expect(CATALOGUES[lang], `${lang} lacks ${key}`).toHaveProperty([key]);
    }
  });

  it("are really translated, not copies of English", () => {
    for (const lang of ["az", "ru"] as const) {
      expect(CATALOGUES[lang]["verdict.valid"]).not.toBe(reference["verdict.valid"]);
      const same = Object.entries(CATALOGUES[lang]).filter(
        ([k, v]) => v === reference[k as keyof typeof reference] && !/^\{?[a-z_]*\}?$/.test(v),
      );
      // Only language-neutral strings (none today) may equal the English ones.
      expect(same.map(([k]) => k), lang).toEqual([]);
    }
  });

  it("fill placeholders and leave unknown ones visible", () => {
    expect(format("Zone {zone}", { zone: 3 })).toBe("Zone 3");
    expect(format("{a} {b}", { a: "x" })).toBe("x {b}");
  });
});
