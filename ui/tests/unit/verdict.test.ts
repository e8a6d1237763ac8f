import { describe, expect, it } from "vitest";
import { kindOf, levelOf, recordTitle, SYMBOL, timeRowOf, titleOf, violationDocument } from "../../src/verdict";

describe("verdict to colour", () => {
  it("maps the core's display to green, amber, red", () => {
    expect(levelOf({ display: "valid" })).toBe("green");
    expect(levelOf({ display: "valid_with_warning" })).toBe("amber");
    expect(levelOf({ display: "not_valid" })).toBe("red");
  });

  it("fails safe: anything unknown is red", () => {
    for (const display of ["", "VALID", "valid ", "maybe", "green"]) expect(levelOf({ display })).toBe("red");
  });

  it("keeps known kinds and names others unknown", () => {
    expect(kindOf({ kind: "revoked" })).toBe("revoked");
    expect(kindOf({ kind: "no_permit_needed" })).toBe("no_permit_needed");
    expect(kindOf({ kind: "teleported" })).toBe("unknown");
  });
});

describe("the title of a replaced permit (issue 22)", () => {
  const reason = (code: string) => ({ code, message: code });
  it("says replaced when the decisive reason of a revoked permit is replaced", () => {
    expect(titleOf({ kind: "revoked", reasons: [reason("replaced")] })).toBe("replaced");
    expect(titleOf({ kind: "revoked", reasons: [reason("replaced"), reason("expired")] })).toBe("replaced");
  });

  it("says the kind otherwise: a plain revocation, another kind, a later reason", () => {
    expect(titleOf({ kind: "revoked", reasons: [reason("revoked")] })).toBe("revoked");
    expect(titleOf({ kind: "revoked", reasons: [] })).toBe("revoked");
    expect(titleOf({ kind: "expired", reasons: [reason("replaced")] })).toBe("expired");
    expect(titleOf({ kind: "revoked", reasons: [reason("expired"), reason("replaced")] })).toBe("revoked");
    expect(titleOf({ kind: "teleported", reasons: [reason("replaced")] })).toBe("unknown");
  });
});

describe("a logged check's title", () => {
  it("says replaced for a revoked permit whose decisive reason is replaced, as the result did (issue 22)", () => {
    expect(recordTitle({ verdict: "revoked", reasons: ["replaced"] })).toBe("replaced");
    expect(recordTitle({ verdict: "revoked", reasons: ["replaced", "expired"] })).toBe("replaced");
  });

  it("says the kind otherwise, unknown for a kind this build does not know, and nothing for a manual record", () => {
    expect(recordTitle({ verdict: "revoked", reasons: ["revoked"] })).toBe("revoked");
    expect(recordTitle({ verdict: "revoked", reasons: ["expired", "replaced"] })).toBe("revoked");
    expect(recordTitle({ verdict: "revoked", reasons: null })).toBe("revoked");
    expect(recordTitle({ verdict: "expired", reasons: ["replaced"] })).toBe("expired");
    expect(recordTitle({ verdict: "teleported", reasons: ["replaced"] })).toBe("unknown");
    expect(recordTitle({ verdict: null, reasons: null })).toBeNull();
  });
});

describe("the time row never contradicts the verdict", () => {
  const now = new Date("2020-12-15T17:00:00Z"); // 21:00 in Baku
  const permit = {
    valid_from: "2020-12-15T20:40:00+04:00",
    valid_until: "2020-12-15T23:40:00+04:00",
  } as never as NonNullable<Parameters<typeof timeRowOf>[0]["permit"]>;
  const verdict = (kind: string, display: string, p: unknown = permit) =>
    ({ kind, display, permit: p }) as Parameters<typeof timeRowOf>[0];

  it("shows time left only while the holder may pass", () => {
    expect(timeRowOf(verdict("valid", "valid"), now)).toEqual({ kind: "left", minutes: 160 });
    expect(timeRowOf(verdict("valid", "valid_with_warning"), now)).toEqual({ kind: "left", minutes: 160 });
  });

  it("shows nothing of time on a refusal: revoked, wrong zone, forged, expired", () => {
    for (const kind of ["revoked", "wrong_zone", "bad_signature", "expired", "key_revoked"]) {
      expect(timeRowOf(verdict(kind, "not_valid"), now)).toBeNull();
    }
  });

  it("says when a permit not yet valid starts", () => {
    const later = { valid_from: "2020-12-15T21:12:00+04:00", valid_until: "2020-12-16T00:12:00+04:00" };
    expect(timeRowOf(verdict("not_yet_valid", "not_valid", later), now)).toEqual({
      kind: "starts",
      at: "2020-12-15T21:12:00+04:00",
      minutes: 12,
    });
  });

  it("has nothing to say without a permit, or after its end", () => {
    expect(timeRowOf(verdict("malformed", "not_valid", null), now)).toBeNull();
    expect(timeRowOf(verdict("valid", "valid"), new Date("2020-12-15T20:00:00Z"))).toBeNull();
  });

  it("marks each level with its own sign", () => {
    expect(new Set(Object.values(SYMBOL)).size).toBe(3);
    expect(SYMBOL.green).toBe("✓");
    expect(SYMBOL.red).toBe("✗");
  });
});

describe("a violation from a result", () => {
  const permit = { document: "AZE11111111" } as never as NonNullable<Parameters<typeof violationDocument>[0]["permit"]>;

  it("is offered on red only, with the verdict's document", () => {
    expect(violationDocument({ display: "not_valid", document: "AZE11111111", permit })).toBe("AZE11111111");
    expect(violationDocument({ display: "something new", document: "MYİ1234567", permit: null })).toBe("MYİ1234567");
    expect(violationDocument({ display: "valid", document: "AZE11111111", permit })).toBeNull();
    expect(violationDocument({ display: "valid_with_warning", document: "AZE11111111", permit })).toBeNull();
  });

  it("takes the permit's document when the verdict names none, and needs one", () => {
    expect(violationDocument({ display: "not_valid", document: null, permit })).toBe("AZE11111111");
    expect(violationDocument({ display: "not_valid", document: null, permit: null })).toBeNull();
    expect(violationDocument({ display: "not_valid", document: "  ", permit: null })).toBeNull();
  });
});
