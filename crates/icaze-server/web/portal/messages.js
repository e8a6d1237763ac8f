// The server's English sentences, read for what the page must say in its own
// language. An API error carries a stable `code`, but one code covers several
// cases (`invalid_dates`: not a date, the end before the start, a funeral
// permit over 24 hours…) told apart only by its `message`, and an import's
// per-line problems carry a message and no code at all. So the page matches
// the message against the sentences the server writes
// (crates/icaze-server/src/portal/{mod,import}.rs, icaze-core's document
// errors, icaze-permits' CSV reader), takes the parameters out of it (a value,
// a zone, a date) and says it with a catalogue key; the field the sentence is
// about goes with it, so the form can show it beside that field.
//
// Nothing here is trusted: a message that matches no rule falls back to the
// code's own key (`error.<code>`), and then to the server's text as it came.
// No imports, no DOM: tests/web/i18n.test.mjs reads the keys named here.

/** A Rust `{:?}` string (`"AZE 1\"2"`) as its text. */
function unquote(text) {
  return text.replace(/\\(["\\])/g, "$1");
}

/** The field an `invalid_field` sentence names (`the name must be…`), by the API's field names. */
const TEXT_FIELDS = {
  name: ["name", "error.invalid_field.name"],
  "person's name": ["name", "error.invalid_field.name"],
  position: ["position", "error.invalid_field.position"],
  note: ["note", "error.invalid_field.note"],
  reason: ["reason", "error.invalid_field.reason"],
};

/**
 * The rules, tried in order: `code` (an API error's code, or null for a rule
 * that only import problems reach, whose sentences have no code), the
 * sentence, and what it becomes: a catalogue key, its parameters, and the
 * field it is about (the API's field name, or null). An import's line is
 * tried against every rule but those marked `codeOnly`.
 */
export const RULES = [
  // Dates (`invalid_dates`).
  {
    code: "invalid_dates",
    re: /^(valid_from|valid_until) "" is not (?:a date|a Baku time)/,
    say: (m) => ({ key: "error.invalid_dates.missing", field: m[1] }),
  },
  {
    code: "invalid_dates",
    re: /^(valid_from|valid_until) "(.*)" is not a date YYYY-MM-DD$/,
    say: (m) => ({ key: "error.invalid_dates.not_a_date", params: { value: unquote(m[2]) }, field: m[1] }),
  },
  {
    code: "invalid_dates",
    re: /^(valid_from|valid_until) "(.*)" is not a Baku time/,
    say: (m) => ({ key: "error.invalid_dates.not_a_time", params: { value: unquote(m[2]) }, field: m[1] }),
  },
  {
    code: "invalid_dates",
    re: /^valid_until is before valid_from$/,
    say: () => ({ key: "error.invalid_dates.until_before_from", field: "valid_until" }),
  },
  {
    code: "invalid_dates",
    re: /^the dates are out of range$/,
    say: () => ({ key: "error.invalid_dates.out_of_range", field: "valid_from" }),
  },
  {
    code: "invalid_dates",
    re: /^the permit would end in the past$/,
    say: () => ({ key: "error.invalid_dates.past", field: "valid_until" }),
  },
  {
    code: "invalid_dates",
    re: /^a funeral permit lasts more than 0 and at most (\d+) hours$/,
    say: (m) => ({ key: "error.invalid_dates.funeral_length", params: { hours: m[1] }, field: "valid_until" }),
  },
  {
    code: "invalid_dates",
    re: /^a funeral permit starts at most (\d+) days ahead$/,
    say: (m) => ({ key: "error.invalid_dates.funeral_ahead", params: { days: m[1] }, field: "valid_from" }),
  },
  {
    code: "invalid_dates",
    re: /^a funeral permit starts on a quarter hour/,
    say: () => ({ key: "error.invalid_dates.funeral_quarter", field: "valid_from" }),
  },
  // The regime (`outside_regime`): `date` is Baku time "YYYY-MM-DD HH:MM", shown in the page's way.
  {
    code: "outside_regime",
    re: /^no regime is in force on (\d{4}-\d\d-\d\d \d\d:\d\d)/,
    say: (m) => ({ key: "error.outside_regime.no_regime", params: { date: m[1] }, field: "valid_from" }),
  },
  {
    code: "outside_regime",
    re: /^the regime (\S+) ends on (\d{4}-\d\d-\d\d \d\d:\d\d)/,
    say: (m) => ({ key: "error.outside_regime.ends", params: { regime: m[1], date: m[2] }, field: "valid_until" }),
  },
  {
    code: "outside_regime",
    re: /^the regime (\S+) gives no \S+ permits through the/,
    say: (m) => ({ key: "error.outside_regime.no_channel", params: { regime: m[1] }, field: "valid_from" }),
  },
  // Zones (`invalid_zone`; an import's zone column).
  {
    code: "invalid_zone",
    re: /^give 1 to (\d+) zones of the regime$/,
    say: (m) => ({ key: "error.invalid_zone.count", params: { max: m[1] }, field: "zones" }),
  },
  {
    code: "invalid_zone",
    re: /^zone (\d+) is not a zone of the regime (\S+)$/,
    say: (m) => ({ key: "error.invalid_zone.not_in_regime", params: { zone: m[1], regime: m[2] }, field: "zones" }),
  },
  {
    code: null,
    re: /^the zone "(.*)" is not a number$/,
    say: (m) => ({ key: "error.invalid_zone.not_a_number", params: { value: unquote(m[1]) }, field: "zones" }),
  },
  // Text fields (`invalid_field`): name, position, note, reason.
  {
    code: "invalid_field",
    re: /^the (name|person's name|position|note|reason) must be (\d+) to (\d+) characters/,
    say: (m) => ({ key: TEXT_FIELDS[m[1]][1], params: { max: m[3] }, field: TEXT_FIELDS[m[1]][0] }),
  },
  // Documents (`invalid_document`, with icaze-core's DocumentError after the colon).
  {
    code: "invalid_document",
    re: /: the document number is empty/,
    say: () => ({ key: "error.invalid_document.empty", field: "document" }),
  },
  {
    code: "invalid_document",
    re: /: the document number "(.*)" has characters other than/,
    say: (m) => ({ key: "error.invalid_document.characters", params: { value: unquote(m[1]) }, field: "document" }),
  },
  {
    code: "invalid_document",
    re: /: the document number "(.*)" is not a series followed by digits/,
    say: (m) => ({ key: "error.invalid_document.shape", params: { value: unquote(m[1]) }, field: "document" }),
  },
  {
    code: "invalid_document",
    re: /: the document number "(.*)" is too long/,
    say: (m) => ({ key: "error.invalid_document.too_long", params: { value: unquote(m[1]) }, field: "document" }),
  },
  {
    code: "invalid_document",
    re: /: the document number "(.*)" needs (\d+) digits/,
    say: (m) => ({ key: "error.invalid_document.digits", params: { value: unquote(m[1]), digits: m[2] }, field: "document" }),
  },
  {
    code: "invalid_document",
    re: /^the document "/,
    say: () => ({ key: "error.invalid_document", field: "document" }),
  },
  {
    code: "invalid_plate",
    re: /^the plate "(.*)" must be/,
    say: (m) => ({ key: "error.invalid_plate.value", params: { value: unquote(m[1]) }, field: "plate" }),
  },
  // The registry.
  {
    code: "unknown_document",
    re: /^the document (\S+) is not in the population registry/,
    say: (m) => ({ key: "error.unknown_document.value", params: { document: m[1] }, field: "document" }),
  },
  {
    code: "refused",
    re: /^no permit can be issued for this document/,
    say: () => ({ key: "error.refused", field: "document" }),
  },
  // Employees already there.
  {
    code: "duplicate_employee",
    re: /^the document (\S+) was registered while the file was checked/,
    say: (m) => ({ key: "error.duplicate_employee.raced", params: { document: m[1] } }),
  },
  {
    code: "duplicate_employee",
    re: /^the document (\S+) is registered in your organisation already/,
    say: (m) => ({ key: "error.duplicate_employee.value", params: { document: m[1] }, field: "document" }),
  },
  // Passwords and logins.
  {
    code: "weak_password",
    re: /other than the current one/,
    say: () => ({ key: "error.weak_password.same", field: "new" }),
  },
  {
    code: "weak_password",
    re: /at least (\d+) characters/,
    say: (m) => ({ key: "error.weak_password.length", params: { min: m[1] }, field: "new" }),
  },
  // Codes with one sentence each: any message of theirs (`codeOnly`: never an import line's).
  { code: "wrong_password", codeOnly: true, re: /^/, say: () => ({ key: "error.wrong_password", field: "old" }) },
  { code: "invalid_login", codeOnly: true, re: /^/, say: () => ({ key: "error.invalid_login", field: "login" }) },
  { code: "duplicate_login", codeOnly: true, re: /^/, say: () => ({ key: "error.duplicate_login", field: "login" }) },
  { code: "bad_encoding", codeOnly: true, re: /^/, say: () => ({ key: "error.bad_encoding", field: "file" }) },
  // An import's lines (no code: the CSV reader's and the import's own sentences).
  {
    code: null,
    re: /^the first line must be the header `([^`]*)`/,
    say: (m) => ({ key: "error.csv_header", params: { header: m[1] } }),
  },
  {
    code: null,
    re: /^more than (\d+) rows/,
    say: (m) => ({ key: "error.csv_too_many", params: { max: m[1] } }),
  },
  {
    code: null,
    re: /^expected (\d+) columns, found (\d+)$/,
    say: (m) => ({ key: "error.csv_columns", params: { expected: m[1], found: m[2] } }),
  },
  { code: null, re: /^a quoted field is not closed on its line$/, say: () => ({ key: "error.csv_quote_open" }) },
  { code: null, re: /^a quoted field must be followed by a comma/, say: () => ({ key: "error.csv_quote_end" }) },
  {
    code: null,
    re: /^the document (\S+) repeats line (\d+) of the file$/,
    say: (m) => ({ key: "error.csv_repeat", params: { document: m[1], line: m[2] }, field: "document" }),
  },
  { code: null, re: /^storage failed/, say: () => ({ key: "error.storage" }) },
];

/** The rule for a sentence that says why nothing of an import was stored: its reason is explained in turn. */
const NOTHING_IMPORTED = /^nothing was imported: (.*)$/s;

/**
 * What the server's `message` says, as `{key, params, field}`, or null when no
 * rule knows it. With a `code` (an API error) only that code's rules are
 * tried; without one (an import's line) every rule is.
 */
export function explain(message, code = null) {
  const text = String(message ?? "");
  if (code === null) {
    const nothing = NOTHING_IMPORTED.exec(text);
    if (nothing) return { key: "error.csv_nothing", params: { reason: explain(nothing[1]) ?? nothing[1] }, field: null };
  }
  for (const rule of RULES) {
    if (code === null ? rule.codeOnly : rule.code !== code) continue;
    const m = rule.re.exec(text);
    if (m) return { params: {}, field: null, ...rule.say(m) };
  }
  return null;
}
