import { describe, expect, it } from "vitest";
import { revocableSerial } from "../../src/supervisor-api";

describe("a log row's revocation", () => {
  it("is offered for a permit whose signature the device verified", () => {
    for (const verdict of ["valid", "not_yet_valid", "expired", "wrong_zone", "purpose_not_allowed"]) {
      expect(revocableSerial({ serial: 41, verdict }), verdict).toBe(41);
    }
  });

  it("is not offered without a serial (a manual record) or for a serial nobody vouches for", () => {
    expect(revocableSerial({ serial: null, verdict: null })).toBeNull();
    expect(revocableSerial({ serial: null, verdict: "valid" })).toBeNull();
    // A forged or unverifiable token may carry a genuine holder's serial; a revoked one is revoked already.
    for (const verdict of ["bad_signature", "unknown_key", "key_revoked", "key_not_valid", "malformed", "no_data", "revoked", "a_newer_code"]) {
      expect(revocableSerial({ serial: 46, verdict }), verdict).toBeNull();
    }
    expect(revocableSerial({ serial: 0, verdict: "valid" })).toBe(0);
  });
});
