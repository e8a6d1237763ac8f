// web/portal/messages.js reads the server's English sentences to tell apart
// the cases one error code covers and to say an import line's problem in the
// page's language. This test holds it to the sentences the server writes: each
// known-answer sentence below is explained as expected, and its fixed words
// are still in the Rust source that writes it, so a reworded server message
// fails here rather than falling back, unseen, to English on the page.
//
// No browser and no server: run with the others by tests/web/run.sh, or alone
// with `node --test tests/web/messages.test.mjs`.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { RULES, explain } from "../../crates/icaze-server/web/portal/messages.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
// A file's text, or a directory's Rust files' texts together (the portal's rules are a crate of several files).
const source = (path) =>
  statSync(join(repo, path)).isDirectory()
    ? readdirSync(join(repo, path)).filter((f) => f.endsWith(".rs")).map((f) => source(join(path, f))).join("\n")
    : readFileSync(join(repo, path), "utf8");
const PORTAL = "crates/icaze-portal/src";
const IMPORT = "crates/icaze-portal/src/import.rs";
const PASSWORD = "crates/icaze-portal/src/password.rs";
const DOCUMENT = "crates/icaze-core/src/document.rs";
const CSV = "crates/icaze-permits/src/csv.rs";
const catalogue = JSON.parse(source("crates/icaze-server/web/portal/i18n/en.json"));

// [code or null (an import's line), the sentence as the server writes it, the expected
//  {key, params, field}, [source file, words of the sentence it must still hold]].
const CASES = [
  ["invalid_dates", 'valid_from "" is not a date YYYY-MM-DD', { key: "error.invalid_dates.missing", field: "valid_from" }, [PORTAL, "is not a date YYYY-MM-DD"]],
  [null, 'valid_until "31.12.2020" is not a date YYYY-MM-DD', { key: "error.invalid_dates.not_a_date", params: { value: "31.12.2020" }, field: "valid_until" }, [PORTAL, "is not a date YYYY-MM-DD"]],
  ["invalid_dates", 'valid_from "tomorrow" is not a Baku time YYYY-MM-DDTHH:MM', { key: "error.invalid_dates.not_a_time", params: { value: "tomorrow" }, field: "valid_from" }, [PORTAL, "is not a Baku time YYYY-MM-DDTHH:MM"]],
  ["invalid_dates", "valid_until is before valid_from", { key: "error.invalid_dates.until_before_from", field: "valid_until" }, [PORTAL, "valid_until is before valid_from"]],
  ["invalid_dates", "the dates are out of range", { key: "error.invalid_dates.out_of_range", field: "valid_from" }, [PORTAL, "the dates are out of range"]],
  ["invalid_dates", "the permit would end in the past", { key: "error.invalid_dates.past", field: "valid_until" }, [PORTAL, "the permit would end in the past"]],
  ["invalid_dates", "a funeral permit lasts more than 0 and at most 24 hours", { key: "error.invalid_dates.funeral_length", params: { hours: "24" }, field: "valid_until" }, [PORTAL, "a funeral permit lasts more than 0 and at most 24 hours"]],
  ["invalid_dates", "a funeral permit starts at most 3 days ahead", { key: "error.invalid_dates.funeral_ahead", params: { days: "3" }, field: "valid_from" }, [PORTAL, "a funeral permit starts at most 3 days ahead"]],
  ["invalid_dates", "a funeral permit starts on a quarter hour (:00, :15, :30 or :45)", { key: "error.invalid_dates.funeral_quarter", field: "valid_from" }, [PORTAL, "a funeral permit starts on a quarter hour"]],
  ["outside_regime", "no regime is in force on 2021-02-01 00:00: no permit is needed or possible then", { key: "error.outside_regime.no_regime", params: { date: "2021-02-01 00:00" }, field: "valid_from" }, [PORTAL, "no regime is in force on {}: no permit is needed or possible then"]],
  ["outside_regime", "the regime 2020-12-14 ends on 2021-01-18 00:00: the permit must end by then", { key: "error.outside_regime.ends", params: { regime: "2020-12-14", date: "2021-01-18 00:00" }, field: "valid_until" }, [PORTAL, "ends on {}: the permit must end by then"]],
  ["outside_regime", "the regime 2020-12-14 gives no work permits through the portal", { key: "error.outside_regime.no_channel", params: { regime: "2020-12-14" }, field: "valid_from" }, [PORTAL, "permits through the {channel}"]],
  ["invalid_zone", "give 1 to 8 zones of the regime", { key: "error.invalid_zone.count", params: { max: "8" }, field: "zones" }, [PORTAL, "zones of the regime"]],
  [null, "zone 999 is not a zone of the regime 2020-12-14", { key: "error.invalid_zone.not_in_regime", params: { zone: "999", regime: "2020-12-14" }, field: "zones" }, [PORTAL, "is not a zone of the regime {}"]],
  [null, 'the zone "x" is not a number', { key: "error.invalid_zone.not_a_number", params: { value: "x" }, field: "zones" }, [IMPORT, "the zone {z:?} is not a number"]],
  ["invalid_field", "the name must be 1 to 200 characters without control characters", { key: "error.invalid_field.name", params: { max: "200" }, field: "name" }, [PORTAL, "must be {least} to {MAX_TEXT} characters"]],
  ["invalid_field", "the person's name must be 1 to 200 characters without control characters", { key: "error.invalid_field.name", params: { max: "200" }, field: "name" }, [PORTAL, "person's name"]],
  [null, "the position must be 0 to 200 characters without control characters", { key: "error.invalid_field.position", params: { max: "200" }, field: "position" }, [PORTAL, '"position", true']],
  ["invalid_document", 'the document "": the document number is empty: write the series and number, e.g. AZE11111111', { key: "error.invalid_document.empty", field: "document" }, [DOCUMENT, "the document number is empty"]],
  [null, 'the document "AZ#1": the document number "AZ#1" has characters other than Latin letters and digits: write it as on the card, e.g. AZE11111111', { key: "error.invalid_document.characters", params: { value: "AZ#1" }, field: "document" }, [DOCUMENT, "has characters other than Latin letters and digits"]],
  ["invalid_document", 'the document "12AB": the document number "12AB" is not a series followed by digits, e.g. AZE11111111 or MYI1234567', { key: "error.invalid_document.shape", params: { value: "12AB" }, field: "document" }, [DOCUMENT, "is not a series followed by digits"]],
  ["invalid_document", 'the document "MYI12": the document number "MYI12" needs 7 digits after its series', { key: "error.invalid_document.digits", params: { value: "MYI12", digits: "7" }, field: "document" }, [DOCUMENT, "needs 7 digits after its series"]],
  ["invalid_document", 'the document "AZE1234567890123456": the document number "AZE1234567890123456" is too long: at most 7 letters and 15 digits', { key: "error.invalid_document.too_long", params: { value: "AZE1234567890123456" }, field: "document" }, [DOCUMENT, "is too long: at most 7 letters and 15 digits"]],
  ["invalid_document", 'the document "X1": a reason the page does not know yet', { key: "error.invalid_document", field: "document" }, [PORTAL, "the document {value:?}: {e}"]],
  [null, "storage failed, try again: database is locked", { key: "error.storage" }, [PORTAL, "storage failed, try again: {0}"]],
  ["invalid_plate", 'the plate "10@AA" must be 1 to 15 characters 0-9 A-Z (hyphens and spaces are dropped)', { key: "error.invalid_plate.value", params: { value: "10@AA" }, field: "plate" }, [PORTAL, "the plate {text:?} must be"]],
  [null, "the document AZE99999999 is not in the population registry: check the number", { key: "error.unknown_document.value", params: { document: "AZE99999999" }, field: "document" }, [PORTAL, "is not in the population registry: check the number"]],
  [null, "no permit can be issued for this document: the holder may call 9108", { key: "error.refused", field: "document" }, [PORTAL, "no permit can be issued for this document"]],
  ["duplicate_employee", "the document AZE11111111 is registered in your organisation already: edit that employee", { key: "error.duplicate_employee.value", params: { document: "AZE11111111" }, field: "document" }, [PORTAL, "is registered in your organisation already"]],
  [null, "the document AZE11111111 was registered while the file was checked: import it again", { key: "error.duplicate_employee.raced", params: { document: "AZE11111111" } }, [IMPORT, "was registered while the file was checked"]],
  ["weak_password", "choose a password other than the current one", { key: "error.weak_password.same", field: "new" }, [PORTAL, "choose a password other than the current one"]],
  ["weak_password", "choose a password of at least 10 characters (and at most 256 bytes)", { key: "error.weak_password.length", params: { min: "10" }, field: "new" }, [PASSWORD, "choose a password of at least {MIN_PASSWORD} characters"]],
  [null, "the first line must be the header `document,name,position,zones,valid_from,valid_until,plate`: columns are missing or out of order", { key: "error.csv_header", params: { header: "document,name,position,zones,valid_from,valid_until,plate" } }, [IMPORT, "the first line must be the header `{}`"]],
  [null, "more than 100000 rows: split the file, nothing was imported", { key: "error.csv_too_many", params: { max: "100000" } }, [IMPORT, "rows: split the file, nothing was imported"]],
  [null, "expected 7 columns, found 3", { key: "error.csv_columns", params: { expected: "7", found: "3" } }, [IMPORT, "expected {} columns, found {}"]],
  [null, "a quoted field is not closed on its line", { key: "error.csv_quote_open" }, [CSV, "a quoted field is not closed on its line"]],
  [null, "a quoted field must be followed by a comma or the end of the line", { key: "error.csv_quote_end" }, [CSV, "a quoted field must be followed by a comma"]],
  [null, "the document AZE1 repeats line 2 of the file", { key: "error.csv_repeat", params: { document: "AZE1", line: "2" }, field: "document" }, [IMPORT, "repeats line {first} of the file"]],
];

test("each of the server's sentences is explained as its known answer says", () => {
  for (const [code, message, expected] of CASES) {
    const got = explain(message, code);
    assert.deepEqual(got, { params: {}, field: null, ...expected }, `${code}: ${message}`);
  }
});

test("the sentences are still the ones the server's source writes", () => {
  for (const [, message, , [file, words]] of CASES) {
    assert.ok(source(file).includes(words), `${file} no longer writes “${words}” (the page reads “${message}”)`);
  }
});

test("every key a rule names is in the catalogue, and every rule has a known answer", () => {
  for (const rule of RULES) {
    // A rule's keys, read off its function (no call: it needs a match to run).
    const keys = [...String(rule.say).matchAll(/"(error\.[a-z0-9_.]+)"/g)].map((m) => m[1]);
    for (const key of keys) assert.ok(key in catalogue, `${key} is not in web/portal/i18n/en.json`);
    if (rule.codeOnly) continue; // Any message of its code: the browser tests give it one.
    const answered = CASES.some(([code, message]) => rule.re.test(message) && (code === null || code === rule.code));
    assert.ok(answered, `no known answer for the rule ${rule.re}`);
  }
  for (const key of ["error.invalid_field.name", "error.invalid_field.position", "error.invalid_field.note", "error.invalid_field.reason"]) {
    assert.ok(key in catalogue, key);
  }
});

test("a reason why nothing was imported is explained in turn, and an unknown sentence is left alone", () => {
  assert.deepEqual(explain("nothing was imported: storage failed, try again: disk I/O error"), {
    key: "error.csv_nothing",
    params: { reason: { params: {}, field: null, key: "error.storage" } },
    field: null,
  });
  assert.equal(explain("a sentence no rule knows"), null);
  assert.equal(explain("the current password is wrong"), null, "a code's catch-all rule never reads an import line");
  assert.deepEqual(explain("the current password is wrong", "wrong_password"), { params: {}, field: "old", key: "error.wrong_password" });
  assert.equal(explain("valid_until is before valid_from", "invalid_zone"), null, "with a code, only that code's rules are tried");
});
