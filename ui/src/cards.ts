// What a service card's answer looks like on the Manual screen (issue 23):
// its sign, colour and words. Pure functions, unit-tested: like a verdict's
// colour, a card's must fail safe, so a standing this build does not know
// shows as "?" and never as authorised.
import type { Key } from "./i18n";

/** The standings the device core sends (`icaze_device::cards::CardStanding`). */
export const CARD_STANDINGS = ["authorised", "not_authorised", "unknown", "several"] as const;
/** The reasons it gives with them (`icaze_device::cards::CardReason`). */
export const CARD_REASONS = ["zone", "expired", "no_data"] as const;

export type CardStanding = (typeof CARD_STANDINGS)[number];

/** How an answer shows: the sign beside its word, the colour and the words' keys. */
export interface CardLook {
  symbol: "✓" | "✗" | "?";
  level: "green" | "red" | "amber";
  title: Key;
  reason: Key | null;
}

/** The look of an answer of `standing` (any string: an unknown one is "?") for `reason`. */
export function cardLook(standing: string, reason: string | null): CardLook {
  const why = reason && (CARD_REASONS as readonly string[]).includes(reason) ? (`card.reason.${reason}` as Key) : null;
  switch (standing) {
    case "authorised":
      return { symbol: "✓", level: "green", title: "card.authorised", reason: null };
    case "not_authorised":
      return { symbol: "✗", level: "red", title: "card.not_authorised", reason: why };
    case "several":
      return { symbol: "?", level: "amber", title: "card.several", reason: null };
    default:
      return { symbol: "?", level: "amber", title: "card.unknown", reason: why };
  }
}

/** The longest code text read for a tax id: a card's code is short, and more is not a card's. */
export const MAX_CARD_CODE_CHARS = 1000;

/** What a service card's code carries: one tax id, or why none is taken. */
export type CardCode = { taxId: string } | { problem: "none" | "several" };

const BARE = /^[0-9]{10}$/;
// The label, then a colon, then the ten digits; not in the middle of a word
// or of a longer number. `u` and `i`: `VÖEN`, `vöen`, `VOEN`, `Voen` alike.
const LABELLED = /(?<![\p{L}\p{N}])v[oö]en\s*:\s*([0-9]{10})(?![0-9])/giu;
const QUERY_NAMES = ["voen", "tin"];

/**
 * The tax id (VÖEN) a service card's QR code carries. What is taken, and
 * nothing else (docs/app.md, "Scan card"):
 * - ten ASCII digits alone (white space around them aside): `1700000001`;
 * - a text with `VÖEN:` or `VOEN:` (any case, spaces around the colon) and
 *   ten digits right after it, not more: `Bakı Metropoliteni QSC\nVÖEN: 1700000001`;
 * - an `http(s)` address whose query has `voen` or `tin` (any case) with ten
 *   digits: `https://example.az/card?voen=1700000001`.
 * Digits are ASCII only (no Arabic-Indic or full-width ones); a bare run of
 * ten digits inside other text is not taken (a phone number is ten digits
 * too). The same id told twice is one; two different ones are `several`
 * (the officer types the one printed on the card); none, or a text longer
 * than `MAX_CARD_CODE_CHARS`, is `none`.
 *
 * Not checked: that the tax id is listed (the device core answers that), or
 * that the code belongs to the card.
 */
export function cardTaxId(text: string): CardCode {
  if (text.length > MAX_CARD_CODE_CHARS) return { problem: "none" };
  // NFC, so that an `Ö` written as `O` and a combining diaeresis reads as one letter.
  const t = text.normalize("NFC").trim();
  if (BARE.test(t)) return { taxId: t };
  const ids = new Set<string>();
  for (const match of t.matchAll(LABELLED)) ids.add(match[1]);
  for (const id of queryTaxIds(t)) ids.add(id);
  if (ids.size === 0) return { problem: "none" };
  if (ids.size > 1) return { problem: "several" };
  return { taxId: [...ids][0] };
}

/** Whether a code carries exactly one tax id: what ends a "Scan card". */
export function hasTaxId(text: string): boolean {
  return "taxId" in cardTaxId(text);
}

/** The ten-digit values of `voen` and `tin` in an `http(s)` address's query. */
function queryTaxIds(text: string): string[] {
  if (!/^https?:\/\//i.test(text)) return [];
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return [];
  }
  return [...url.searchParams]
    .filter(([name, value]) => QUERY_NAMES.includes(name.toLowerCase()) && BARE.test(value.trim()))
    .map(([, value]) => value.trim());
}
