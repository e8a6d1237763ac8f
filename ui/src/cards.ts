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
