// The catalogues of the pages `icaze serve` embeds: web/portal/i18n/*.json (the
// employer portal and the 102 console) and web/p/i18n/*.json (the citizen page), in
// the officer app's format (ui/src/i18n/*.json: flat keys, `{name}` placeholders),
// held to the rules the app's own catalogue test holds it to (ui/tests/unit/i18n.test.ts):
//
// - the same keys in every language, English being the reference;
// - no empty string, and the same placeholders as English;
// and, because the pages look keys up by name with no compiler to help:
// - every key the page's code or HTML names is in the catalogue, and every key in the
//   catalogue is named somewhere (or belongs to a family looked up at run time, such as
//   `error.<code>`).
//
// No browser and no server: run with the others by tests/web/run.sh, or alone with
// `node --test tests/web/i18n.test.mjs`.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const LANGS = ["az", "ru", "en"];
const web = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "crates", "icaze-server", "web");

/** `{name}` placeholders in a catalogue string, sorted (as the app's i18n/index.ts reads them). */
const placeholders = (text) => [...text.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1]).sort();

const PAGES = [
  // `error.<code>`: the API's error codes, looked up as they come.
  { dir: "portal", dynamic: ["error."] },
  // `error.<code>`: a token's reason code; `purpose.<n>`: a permit's purpose number.
  { dir: "p", dynamic: ["error.", "purpose."] },
];

for (const { dir, dynamic } of PAGES) {
  describe(`web/${dir}/i18n`, () => {
    const catalogues = Object.fromEntries(
      LANGS.map((lang) => [lang, JSON.parse(readFileSync(join(web, dir, "i18n", `${lang}.json`), "utf8"))]),
    );
    const reference = catalogues.en;

    test("holds one catalogue a language and nothing else", () => {
      assert.deepEqual(readdirSync(join(web, dir, "i18n")).sort(), LANGS.map((l) => `${l}.json`).sort());
    });

    test("has flat keys of the app's shape and strings only", () => {
      for (const lang of LANGS) {
        const catalogue = catalogues[lang];
        assert.equal(Object.getPrototypeOf(catalogue), Object.prototype, lang);
        for (const [key, text] of Object.entries(catalogue)) {
          assert.match(key, /^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$/, `${lang} ${key}`);
          assert.equal(typeof text, "string", `${lang} ${key}`);
        }
      }
    });

    test("has the same keys in every language", () => {
      const keys = Object.keys(reference).sort();
      assert.ok(keys.length > 20, `${keys.length} keys`);
      for (const lang of LANGS) assert.deepEqual(Object.keys(catalogues[lang]).sort(), keys, lang);
    });

    test("has no empty string and the same placeholders as English", () => {
      for (const lang of LANGS) {
        for (const [key, text] of Object.entries(catalogues[lang])) {
          assert.notEqual(text.trim(), "", `${lang} ${key}`);
          assert.deepEqual(placeholders(text), placeholders(reference[key]), `${lang} ${key}`);
          // A brace that is not a `{name}` placeholder (say, an old `{0}`) would show as it is.
          assert.doesNotMatch(text.replace(/\{[a-z_]+\}/g, ""), /[{}]/, `${lang} ${key}`);
        }
      }
    });

    test("has every key the page names, and names every key it has", () => {
      const sources = readdirSync(join(web, dir))
        .filter((f) => f.endsWith(".js") || f.endsWith(".html"))
        .map((f) => readFileSync(join(web, dir, f), "utf8"))
        .join("\n");
      const families = new Set(Object.keys(reference).map((k) => k.split(".")[0]));
      // A quoted "family.name" whose family is one of the catalogue's is a key.
      const named = new Set(
        [...sources.matchAll(/["'`]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)["'`]/g)]
          .map((m) => m[1])
          .filter((k) => families.has(k.split(".")[0]) && !/\.(js|css|html|json)$/.test(k)),
      );
      assert.ok(named.size >= 10, [...named].join(" "));
      const missing = [...named].filter((k) => !(k in reference));
      assert.deepEqual(missing, [], "keys the page names that the catalogue lacks");
      const unused = Object.keys(reference).filter((k) => !named.has(k) && !dynamic.some((p) => k.startsWith(p)));
      assert.deepEqual(unused, [], "keys no code or HTML names");
    });

    test("is in every page's HTML as the empty slot the server fills", () => {
      const html = readFileSync(join(web, dir, "index.html"), "utf8");
      assert.ok(html.includes('<script type="application/json" id="i18n"></script>'), html);
    });
  });
}
