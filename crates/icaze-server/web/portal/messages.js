// What the page says for a refusal of the server's, from its code alone: an
// API error `{code, message, case, field, params}` (icaze_protocol::api::Refusal)
// and an import's or a reactivation's problem carry the same members. `case`
// names the case of a code that covers several (`funeral_length` of
// `invalid_dates`), `field` the request's field it is about, and `params` the
// values it names; the English `message` is never read for them.
//
// The catalogue key is `error.<code>.<case>`, else `error.<code>`; a code the
// catalogue lacks gives null, and the caller shows the server's message as it
// came (a newer server's code). The field is the refusal's own, else the one
// its code is always about (CODE_FIELDS).
// No imports, no DOM: tests/web/messages.test.mjs runs it in Node.

/**
 * The field a code is always about when the refusal names none, by the API's
 * field names; a form maps them to its inputs.
 */
export const CODE_FIELDS = {
  unknown_document: "document",
  refused: "document",
  invalid_document: "document",
  duplicate_employee: "document",
  invalid_plate: "plate",
  invalid_zone: "zones",
  wrong_password: "old",
  weak_password: "new",
  invalid_login: "login",
  duplicate_login: "login",
  bad_encoding: "file",
  too_large: "file",
  invalid_phone: "phone",
};

/** A name made of the characters a catalogue key may hold, or null. */
function keyPart(value) {
  return typeof value === "string" && /^[a-z0-9_]+$/.test(value) ? value : null;
}

/**
 * A refusal as `{key, params, field}` for the catalogue `has` (a function
 * telling whether a key is in it), or null when the catalogue has no key for
 * its code. `params` are the refusal's values as text.
 */
export function explain(refusal, has) {
  const code = keyPart(refusal?.code);
  if (!code) return null;
  const kase = keyPart(refusal?.case);
  const key = [kase && `error.${code}.${kase}`, `error.${code}`].find((k) => k && has(k));
  if (!key) return null;
  const params = {};
  const given = refusal?.params;
  if (given && typeof given === "object" && !Array.isArray(given)) {
    for (const [name, value] of Object.entries(given)) {
      if (typeof value === "string" || typeof value === "number") params[name] = String(value);
    }
  }
  const field = typeof refusal?.field === "string" && refusal.field ? refusal.field : (CODE_FIELDS[code] ?? null);
  return { key, params, field };
}
