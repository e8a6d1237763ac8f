// What a verdict looks like on screen: its colour level and title. Pure
// functions, unit-tested: the colour is the one thing an officer reads from
// across the street, so it must fail safe.
import type { LogRecord, Verdict } from "./api";
import type { VerdictKind as CoreKind } from "./bindings/VerdictKind";

/**
 * A verdict as these functions read it: its codes as any string, so that a
 * code a newer core sends (or an old log record holds) falls to the safe
 * side here instead of being ruled out by the type.
 */
export type Judged = Omit<Verdict, "kind" | "display"> & { kind: string; display: string };

/** Green: may pass. Amber: may pass, read the notice. Red: may not pass. */
export type Level = "green" | "amber" | "red";

/**
 * The level follows the device core's `display` only: `valid` is green,
 * `valid_with_warning` amber, and `not_valid` or anything unknown red.
 */
export function levelOf(verdict: Pick<Judged, "display">): Level {
  switch (verdict.display) {
    case "valid":
      return "green";
    case "valid_with_warning":
      return "amber";
    default:
      return "red";
  }
}

/**
 * The sign beside the verdict's word, so that colour is never the only signal
 * (colour-blind officers, a screen in the sun, a greyscale screenshot).
 */
export const SYMBOL: Record<Level, string> = { green: "✓", amber: "!", red: "✗" };

/** The time row under a verdict: what is left of a valid permit, or when a
 * not-yet-valid one starts. */
export type TimeRow = { kind: "left"; minutes: number } | { kind: "starts"; at: string; minutes: number };

/**
 * What the Result screen says of time, so that it never contradicts the
 * verdict: time left only while the holder may pass (green or amber) and the
 * permit has not ended; when it starts, for a permit not yet valid; nothing
 * for every other refusal (revoked, wrong zone, forged, expired...), whose
 * period is shown as a period and no more.
 */
export function timeRowOf(
  verdict: Pick<Judged, "display" | "kind" | "permit">,
  now: Date,
): TimeRow | null {
  const permit = verdict.permit;
  if (!permit) return null;
  if (verdict.kind === "not_yet_valid") {
    const minutes = Math.ceil((Date.parse(permit.valid_from) - now.getTime()) / 60_000);
    return { kind: "starts", at: permit.valid_from, minutes: Math.max(0, minutes) };
  }
  if (levelOf(verdict) === "red") return null;
  const minutes = Math.ceil((Date.parse(permit.valid_until) - now.getTime()) / 60_000);
  return minutes > 0 ? { kind: "left", minutes } : null;
}

/**
 * The document a violation can be recorded against from this verdict: the
 * permit's, on a red verdict only (the holder may not pass). Null on green
 * and amber, and when no document is known (no permit could be read).
 */
export function violationDocument(verdict: Pick<Judged, "display" | "document" | "permit">): string | null {
  if (levelOf(verdict) !== "red") return null;
  const document = (verdict.document ?? verdict.permit?.document ?? "").trim();
  return document || null;
}

/** Every verdict kind the device core gives; anything else is shown as `unknown`. */
export const VERDICT_KINDS = [
  "valid",
  "not_yet_valid",
  "expired",
  "revoked",
  "wrong_zone",
  "unknown_key",
  "key_revoked",
  "key_not_valid",
  "bad_signature",
  "purpose_not_allowed",
  "malformed",
  "no_permit_needed",
  "no_data",
] as const;

export type VerdictKind = (typeof VERDICT_KINDS)[number] | "unknown";

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Does not compile when the device core's kinds (src/bindings/VerdictKind.ts) are not exactly these. */
export const KINDS_ARE_THE_CORES: Same<(typeof VERDICT_KINDS)[number], CoreKind> = true;

/** The kind, or `unknown` for a code this UI does not know (a newer core). */
export function kindOf(verdict: Pick<Judged, "kind">): VerdictKind {
  return (VERDICT_KINDS as readonly string[]).includes(verdict.kind) ? (verdict.kind as VerdictKind) : "unknown";
}

/** What the result's title says: the kind, or `replaced` for a revoked permit a newer one replaced. */
export type Title = VerdictKind | "replaced";

/**
 * The title of a verdict (`verdict.<title>` in the catalogues): its kind, except
 * for a permit revoked because a newer permit replaced it (issue 22: the core's
 * decisive reason `replaced`), which says so instead of a plain "revoked", so
 * that the officer asks the holder for the new permit.
 */
export function titleOf(verdict: Pick<Judged, "kind" | "reasons">): Title {
  return titleOfCodes(verdict.kind, verdict.reasons[0]?.code);
}

/**
 * The title of a logged check, as `titleOf` gives it for the verdict when it
 * was shown: the Log screen says "replaced by a newer permit" where the result
 * did (issue 22), not "revoked". Null for a manual record (no verdict). A log
 * record keeps its reasons as codes, the decisive one first.
 */
export function recordTitle(record: Pick<LogRecord, "verdict" | "reasons">): Title | null {
  return record.verdict === null ? null : titleOfCodes(record.verdict, record.reasons?.[0]);
}

function titleOfCodes(kind: string, decisive: string | undefined): Title {
  const known = kindOf({ kind });
  return known === "revoked" && decisive === "replaced" ? "replaced" : known;
}

/** Reason and warning codes the catalogues translate (`reason.<code>`). */
export const REASON_CODES = [
  "not_yet_valid",
  "expired",
  "wrong_zone",
  "revoked",
  "replaced",
  "unknown_key",
  "key_revoked",
  "key_not_valid",
  "bad_signature",
  "purpose_not_allowed",
  "purpose_not_in_regime",
  "no_token",
  "too_long",
  "bad_encoding",
  "truncated",
  "trailing_bytes",
  "invalid_field",
  "unsupported_version",
  "no_data",
  "no_permit_needed",
  "data_too_old",
  "clock_wrong",
  "clock_suspicious",
  "data_stale",
  "data_very_stale",
  "issued_in_future",
] as const;

/** Document purposes the catalogues translate (`purpose.<name>`). */
export const PURPOSES = ["medical", "necessities", "funeral", "work", "business_trip"] as const;
