import { describe, expect, it } from "vitest";
import { kindOf, levelOf } from "../../src/verdict";

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
