// Document numbers as printed on the card. The device's log keeps the canonical
// ASCII form (`MYI1234567`, as SMS and the server have it); people read the
// residence permits' series with the dotted İ (`MYİ1234567`), as the Result
// screen shows them, so the Log shows them the same way.

const DOTTED = /^(MY|DY)I(\d{7})$/;
const PRINTED = /^(MY|DY)İ(\d{7})$/;

/** `MYİ1234567` for `MYI1234567`, `DYİ…` for `DYI…`; anything else as it is. */
export function printedDocument(canonical: string): string {
  const m = DOTTED.exec(canonical);
  return m ? `${m[1]}İ${m[2]}` : canonical;
}

/**
 * `MYI1234567` for `MYİ1234567` (and `DYİ…`): the form the log keeps for a
 * permit's document, so that a violation noted from a Result names the
 * document as the inspection before it does. Anything else as it is.
 */
export function canonicalDocument(printed: string): string {
  const m = PRINTED.exec(printed);
  return m ? `${m[1]}I${m[2]}` : printed;
}
