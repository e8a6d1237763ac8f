// web/portal/messages.js says a refusal of the server's in the page's language
// from its code, case, field and values alone (icaze_protocol::api::Refusal, an
// import's or a reactivation's problem). This test holds it to what it is given,
// and the catalogue to what the server writes: every code the portal's rules
// and routes refuse with, and every case of a code, has its key in the
// catalogue, and the catalogue keeps no case the server no longer writes. The
// codes and cases are read from the Rust source that writes them
// (`PortalError::invalid("code", …)`, `.case("case")`), so a new one without a
// sentence in the page fails here rather than showing English, unseen, on the page.
//
// No browser and no server: run with the others by tests/web/run.sh, or alone
// with `node --test tests/web/messages.test.mjs`.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { CODE_FIELDS, explain } from "../../crates/icaze-server/web/portal/messages.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const read = (path) => readFileSync(join(repo, path), "utf8");
const rustFiles = (dir) => readdirSync(join(repo, dir)).filter((f) => f.endsWith(".rs")).map((f) => join(dir, f));
const catalogue = JSON.parse(read("crates/icaze-server/web/portal/i18n/en.json"));
const has = (key) => key in catalogue;

// The Rust that refuses what the page asks: the portal's rules and its routes.
const SOURCES = [...rustFiles("crates/icaze-portal/src"), "crates/icaze-server/src/portal/http.rs", "crates/icaze-server/src/api.rs"]
  .filter((f) => !f.endsWith("conformance.rs"))
  // A file's unit tests, at its end, refuse in ways of their own.
  .map((f) => read(f).split(/^#\[cfg\(test\)\]\nmod tests/m)[0]);
// Refusals of the administrator's API only, which the page never sends.
const ADMIN_ONLY = new Set(["invalid_tax_id", "duplicate_organisation", "organisation_not_found"]);

/** The codes and `[code, case]` pairs the Rust source writes. */
function written() {
  const codes = new Set();
  const cases = [];
  for (const text of SOURCES) {
    // A constructor, a case, or a text field (whose case is the last word of what it names), in the order written:
    // a case belongs to the constructor written last before it.
    const re = /PortalError::(?:invalid|conflict|not_found)\(\s*"([a-z_]+)"|csv_problem\("([a-z_]+)"|\.case\("([a-z_]+)"\)|text_field\([^,]+,\s*"(?:[^"]* )?([a-z_]+)"/g;
    let code = null;
    for (const m of text.matchAll(re)) {
      if (m[1]) codes.add((code = m[1]));
      else if (m[2]) cases.push(["invalid_csv", m[2]]);
      else if (m[3]) cases.push([code, m[3]]);
      else cases.push(["invalid_field", m[4]]);
    }
  }
  // The variants' own codes (error.rs's `code()`), and the CSV reader's problems (csv.rs's `LineError::code`).
  const variants = /pub fn code\(&self\)[\s\S]*?\n {4}\}/.exec(read("crates/icaze-portal/src/error.rs"))[0];
  for (const m of variants.matchAll(/=> "([a-z_]+)"/g)) codes.add(m[1]);
  const lines = /impl LineError[\s\S]*?\n\}/.exec(read("crates/icaze-permits/src/csv.rs"))[0];
  for (const m of lines.matchAll(/=> "([a-z_]+)"/g)) cases.push(["invalid_csv", m[1]]);
  codes.add("invalid_csv");
  return { codes, cases };
}

test("the server's codes and cases are read from its source", () => {
  const { codes, cases } = written();
  for (const code of ["invalid_dates", "unknown_document", "wrong_password", "bad_credentials", "duplicate_employee", "invalid_csv"]) {
    assert.ok(codes.has(code), code);
  }
  const pairs = new Set(cases.map((c) => c.join(".")));
  for (const pair of ["invalid_dates.funeral_length", "invalid_csv.columns", "invalid_csv.quote_open", "duplicate_employee.repeat", "invalid_field.name", "invalid_document.shape"]) {
    assert.ok(pairs.has(pair), pair);
  }
  assert.ok(cases.every(([code]) => code !== null), "every case follows its code's constructor");
});

test("every code and every case the server writes has its sentence, and the catalogue keeps no other case", () => {
  const { codes, cases } = written();
  const missing = [...codes].filter((c) => !ADMIN_ONLY.has(c) && !has(`error.${c}`));
  assert.deepEqual(missing, [], "codes without an `error.<code>` key");
  const missingCases = cases.filter(([code]) => !ADMIN_ONLY.has(code)).map((c) => `error.${c.join(".")}`).filter((k) => !has(k));
  assert.deepEqual([...new Set(missingCases)], [], "cases without an `error.<code>.<case>` key");
  const writtenKeys = new Set(cases.map((c) => `error.${c.join(".")}`));
  const codeKeys = new Set([...codes].map((c) => `error.${c}`));
  const stale = Object.keys(catalogue).filter(
    (k) => /^error\.[a-z_]+\.[a-z_]+$/.test(k) && codeKeys.has(k.split(".").slice(0, 2).join(".")) && !writtenKeys.has(k),
  );
  assert.deepEqual(stale, [], "cases the server no longer writes");
});

test("a refusal is said by its case's key, else its code's, with its values and its field", () => {
  const funeral = { code: "invalid_dates", message: "ignored", case: "funeral_length", field: "valid_until", params: { hours: "24" } };
  assert.deepEqual(explain(funeral, has), { key: "error.invalid_dates.funeral_length", params: { hours: "24" }, field: "valid_until" });
  // A case the catalogue does not know (a newer server's) falls back to the code's sentence.
  assert.deepEqual(explain({ ...funeral, case: "eclipse" }, has), { key: "error.invalid_dates", params: { hours: "24" }, field: "valid_until" });
  // No field given: the one the code is always about.
  assert.deepEqual(explain({ code: "wrong_password", message: "the current password is wrong" }, has), {
    key: "error.wrong_password",
    params: {},
    field: CODE_FIELDS.wrong_password,
  });
  assert.deepEqual(explain({ code: "bad_credentials" }, has), { key: "error.bad_credentials", params: {}, field: null });
  // Numbers are said as text; values of other kinds are dropped.
  assert.deepEqual(explain({ code: "unknown_document", params: { document: "AZE9", n: 3, bad: { x: 1 } } }, has).params, {
    document: "AZE9",
    n: "3",
  });
});

test("the English message is never read, and what is not a code gives nothing", () => {
  assert.equal(explain({ code: "zones_renamed", message: "the zones were renamed" }, has), null, "a code the catalogue lacks");
  assert.equal(explain({ code: "", message: "valid_until is before valid_from" }, has), null, "a problem kept before codes");
  assert.equal(explain({ message: "a funeral permit lasts more than 0 and at most 24 hours" }, has), null);
  assert.equal(explain(null, has), null);
  // Only names of key characters are looked up: nothing reaches another family of keys.
  assert.equal(explain({ code: "../audit" }, has), null);
  assert.deepEqual(explain({ code: "invalid_dates", case: "x.y" }, has)?.key, "error.invalid_dates");
  assert.deepEqual(explain({ code: "invalid_dates", case: 7 }, has)?.key, "error.invalid_dates");
});
