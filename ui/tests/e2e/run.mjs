// Browser tests of the built UI (ui/dist) in Debian's Chromium, with the
// Tauri IPC mocked (tests/e2e/mock-ipc.ts, built here into an IIFE and
// injected before the app's script). Run: `npm run build && npm run test:e2e`.
// Screenshots go to ../target/app-test/ (kept as CI artefacts).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build, preview } from "vite";
import { readGreyPng, writeY4m } from "./fake-camera.mjs";

const ui = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const shots = join(ui, "..", "target", "app-test");
const chromiumPath = process.env.CHROMIUM ?? "/usr/bin/chromium";
// Without the background-networking flags Chromium stalls on refused connections here.
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const catalogue = {
  az: (await import(join(ui, "src/i18n/az.json"), { with: { type: "json" } })).default,
  ru: (await import(join(ui, "src/i18n/ru.json"), { with: { type: "json" } })).default,
  en: (await import(join(ui, "src/i18n/en.json"), { with: { type: "json" } })).default,
};
const TOKEN = "IZ1EgEAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4_QEFCQ0RFRkdISUpLTE1OT1BRUlNU";

/** The QR digits form of a token (docs/token-format.md §2.2): 7-byte groups as fixed-width decimals. */
function qrDigits(hex) {
  const width = [0, 3, 5, 8, 10, 13, 15, 17];
  let out = "";
  for (let i = 0; i < hex.length; i += 14) {
    const group = hex.slice(i, i + 14);
    out += BigInt(`0x${group}`).toString().padStart(width[group.length / 2], "0");
  }
  return out;
}
// tests/e2e/permit-qr.png is `icaze qr --png` of case 1 of the token vectors, whose
// QR form this is: what the camera must read and pass on, digit for digit.
const vectors = JSON.parse(readFileSync(join(ui, "..", "tests", "vectors", "permit-v1.json"), "utf8"));
const QR_DIGITS = qrDigits(vectors.cases[0].token_hex);

let server;
let browser;
let cameraBrowser;
let url;
const scratch = mkdtempSync(join(tmpdir(), "icaze-e2e-"));

before(async () => {
  mkdirSync(shots, { recursive: true });
  await build({
    root: ui,
    configFile: false,
    logLevel: "warn",
    build: {
      outDir: "dist-mock",
      emptyOutDir: true,
      lib: { entry: "tests/e2e/mock-ipc.ts", formats: ["iife"], name: "IcazeMock", fileName: () => "mock-ipc.js" },
    },
  });
  server = await preview({ root: ui, logLevel: "warn", preview: { host: "127.0.0.1", port: 4173, strictPort: false } });
  url = server.resolvedUrls.local[0];
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
});

after(async () => {
  await cameraBrowser?.close();
  await browser?.close();
  rmSync(scratch, { recursive: true, force: true });
  await new Promise((resolve) => server?.httpServer.close(resolve));
});

/**
 * A fresh page with the mock installed, the app booted and its zone set to 1
 * (picked in Settings' list, where the bundle names it Bakı); `init` scripts
 * run before the mock and the app (in `on`, a browser), in a window of `viewport`.
 */
async function openApp({ zone = 1, firstStart = false, on = browser, init = [], viewport = { width: 420, height: 820 } } = {}) {
  const context = await on.newContext({ viewport });
  const page = await context.newPage();
  page.on("pageerror", (e) => assert.fail(`page error: ${e.message}`));
  for (const script of init) await page.addInitScript(script);
  if (firstStart) await page.addInitScript(() => (window.__icazeMockFirstStart = true));
  await page.addInitScript({ path: join(ui, "dist-mock", "mock-ipc.js") });
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  if (zone) {
    await page.click("#tab-settings");
    await page.selectOption("#settings-zone", String(zone));
    await page.click("#settings-save");
    await page.waitForSelector(`#header-zone[title="${catalogue.az["zone.number"].replace("{zone}", zone)}"]`);
    await page.click("#tab-scan");
  }
  return page;
}

async function check(page, text) {
  await page.fill("#scan-text", text);
  await page.click("#scan-check");
  await page.waitForSelector("#result");
}

const background = (page) => page.$eval("#result", (el) => getComputedStyle(el).backgroundColor);

test("a valid token shows VALID in green with the document number", async () => {
  const page = await openApp();
  await check(page, `Icaze AZE11111111 15.12 10:00-13:00 ${TOKEN}`);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  assert.equal(await page.textContent("#result-title"), catalogue.az["verdict.valid"]);
  assert.equal(await page.textContent("#result-symbol"), "✓");
  assert.equal(await page.textContent("#result-document"), "AZE11111111");
  assert.equal(await background(page), "rgb(19, 128, 59)");
  assert.match(await page.textContent("#result-issued"), /^2 dəq əvvəl$/);
  assert.match(await page.textContent("#result-left"), /^2 saat 5[78] dəq$/);
  assert.equal(await page.textContent("#result-purpose"), catalogue.az["purpose.necessities"]);
  assert.equal(await page.textContent("#result-zones"), "Bakı, Sumqayıt");
  assert.equal(await page.textContent("#result-your-zone"), "Bakı");
  const calls = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text"));
  assert.deepEqual(calls[0].args, { text: `Icaze AZE11111111 15.12 10:00-13:00 ${TOKEN}`, zone: 1 });
  await page.screenshot({ path: join(shots, "ui-valid.png") });
  await page.close();
});

test("a revoked permit shows REVOKED in red with the reason", async () => {
  const page = await openApp();
  await check(page, `${TOKEN}REVOKED`);
  assert.equal(await page.getAttribute("#result", "data-level"), "red");
  assert.equal(await page.getAttribute("#result", "data-kind"), "revoked");
  assert.equal(await page.textContent("#result-title"), catalogue.az["verdict.revoked"]);
  assert.equal(await background(page), "rgb(192, 24, 43)");
  assert.equal(await page.textContent("#result-reasons li"), catalogue.az["reason.revoked"]);
  // Issue 22: a refusal shows the period as a period, and no time left under it.
  assert.equal(await page.textContent("#result-symbol"), "✗");
  assert.equal(await page.$("#result-left"), null, "no time left under a refusal");
  assert.equal(await page.$("#result-starts"), null);
  assert.match(await page.textContent("#result-window"), /\d\d:\d\d/);
  await page.screenshot({ path: join(shots, "ui-revoked.png") });
  await page.close();
});

test("a replaced permit says REPLACED BY A NEWER PERMIT in red, not plain REVOKED (issue 22)", async () => {
  const page = await openApp();
  for (const lang of ["az", "en", "ru"]) {
    if (lang !== "az") {
      await page.click("#tab-settings");
      await page.click(`#settings-language-${lang}`);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
      await page.click("#tab-scan");
    }
    await check(page, `${TOKEN}REPLACED`);
    assert.equal(await page.getAttribute("#result", "data-level"), "red");
    assert.equal(await page.getAttribute("#result", "data-kind"), "revoked");
    assert.equal(await page.textContent("#result-title"), catalogue[lang]["verdict.replaced"]);
    assert.notEqual(await page.textContent("#result-title"), catalogue[lang]["verdict.revoked"]);
    assert.equal(await page.textContent("#result-reasons li"), catalogue[lang]["reason.replaced"]);
    assert.equal(await page.textContent("#result-symbol"), "✗");
    await page.screenshot({ path: join(shots, `ui-replaced-${lang}.png`) });
    await page.click("#result-next");
  }
  await page.close();
});

test("a permit not yet valid says when it starts, and nothing of time left", async () => {
  const page = await openApp();
  await check(page, `${TOKEN}LATER`);
  assert.equal(await page.getAttribute("#result", "data-kind"), "not_yet_valid");
  assert.equal(await page.getAttribute("#result", "data-level"), "red");
  assert.equal(await page.textContent("#result-symbol"), "✗");
  assert.equal(await page.$("#result-left"), null);
  assert.match(await page.textContent("#result-starts"), /^\d\d:\d\d, 1[12] dəq sonra$/);
  await page.screenshot({ path: join(shots, "ui-not-yet-valid.png") });
  await page.close();
});

test("switching the language changes every visible string", async () => {
  const page = await openApp();
  assert.equal(await page.textContent("#tab-scan"), catalogue.az["nav.scan"]);
  for (const lang of ["en", "ru"]) {
    await page.click("#tab-settings");
    await page.click(`#settings-language-${lang}`);
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    assert.equal(await page.textContent("#tab-scan"), catalogue[lang]["nav.scan"]);
    assert.equal(await page.textContent("#tab-settings"), catalogue[lang]["nav.settings"]);
    await page.click("#tab-scan");
    assert.equal(await page.textContent("#scan-check"), catalogue[lang]["scan.check"]);
    await check(page, `${TOKEN}REVOKED`);
    assert.equal(await page.textContent("#result-title"), catalogue[lang]["verdict.revoked"]);
    assert.equal(await page.textContent("#result-reasons li"), catalogue[lang]["reason.revoked"]);
    assert.equal(await page.textContent("#result-zones"), { en: "Baku, Sumgayit", ru: "Баку, Сумгайыт" }[lang]);
    await page.screenshot({ path: join(shots, `ui-revoked-${lang}.png`) });
    await page.click("#result-next");
  }
  await page.close();
});

test("the result returns to Scan by itself", async () => {
  const page = await openApp();
  await page.clock.install();
  await check(page, TOKEN);
  await page.clock.runFor(5_000);
  assert.ok(await page.$("#result"), "still showing the result after 5 s");
  await page.clock.runFor(10_000);
  await page.waitForSelector("#scan-text");
  await page.close();
});

test("an unreadable image and a bad zone are explained in the officer's language", async () => {
  const page = await openApp();
  await page.setInputFiles("#scan-image", { name: "photo.png", mimeType: "image/png", buffer: Buffer.from("not a png") });
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.qr_not_found"]);
  await page.click("#tab-settings");
  await page.selectOption("#settings-zone", "other");
  await page.fill("#settings-zone-number", "70000");
  await page.click("#settings-save");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.bad_zone"]);
  await page.close();
});

test("with no zone yet, Scan asks where the officer is checking, by name, in the app's language", async () => {
  const page = await openApp({ zone: 0 });
  await page.waitForSelector("#scan-zone-step");
  assert.equal(await page.textContent("#scan-zone-step h1"), catalogue.az["scan.zone_title"]);
  assert.equal(await page.$("#scan-camera"), null, "no scanning before a zone");
  assert.equal(await page.$("#scan-check"), null);
  const names = () => page.$$eval("#scan-zone-list .zone-choice .name", (els) => els.map((e) => e.textContent));
  assert.deepEqual(await names(), ["Bakı", "Sumqayıt", "Gəncə", "Mingəçevir", "Lənkəran şəhəri"]);
  assert.equal(await page.textContent("#scan-zone-2 .zone-id"), "№ 2");
  assert.equal(await page.isHidden("#scan-zone-form"), true, "the number field waits behind 'another zone'");
  await page.screenshot({ path: join(shots, "ui-scan-zone-step.png") });

  // In Russian, the question and the names are Russian.
  await page.click("#tab-settings");
  await page.click("#settings-language-ru");
  await page.waitForFunction(() => document.documentElement.lang === "ru");
  await page.click("#tab-scan");
  assert.equal(await page.textContent("#scan-zone-step h1"), catalogue.ru["scan.zone_title"]);
  assert.deepEqual(await names(), ["Баку", "Сумгайыт", "Гянджа", "Мингечевир", "город Ленкорань"]);
  assert.equal(await page.textContent("#scan-zone-other"), catalogue.ru["settings.zone_other"]);
  await page.screenshot({ path: join(shots, "ui-scan-zone-step-ru.png") });

  // One tap saves the setting, as Settings does, and the Scan screen follows.
  await page.click("#scan-zone-2");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Сумгайыт");
  const saved = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").at(-1).args);
  assert.deepEqual(saved.settings, { language: "ru", zone: 2, officer: null, theme: "light", server: null });
  await page.waitForSelector("#scan-camera:not([disabled])");
  assert.equal(await page.$("#scan-zone-step"), null);
  assert.equal(await page.isDisabled("#scan-check"), false);
  await check(page, TOKEN);
  const calls = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text"));
  assert.equal(calls.at(-1).args.zone, 2);
  await page.click("#result-next");
  await page.click("#tab-settings");
  assert.equal(await page.inputValue("#settings-zone"), "2", "Settings shows the zone chosen");
  await page.close();
});

test("the first-run step takes a zone by number: one the data does not name, or any before the first bundle", async () => {
  const page = await openApp({ zone: 0 });
  await page.click("#scan-zone-other");
  assert.equal(await page.isVisible("#scan-zone-form"), true);
  assert.equal(await page.isHidden("#scan-zone-other"), true);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "scan-zone-number");
  await page.fill("#scan-zone-number", "0");
  await page.click("#scan-zone-save");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.zone_number"]);
  assert.equal(await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length), 0);
  // The field stays open with the number, to be mended; the range is the core's to judge.
  assert.equal(await page.inputValue("#scan-zone-number"), "0");
  assert.equal(await page.isHidden("#scan-zone-other"), true);
  await page.fill("#scan-zone-number", "5000");
  await page.click("#scan-zone-save");
  await page.waitForFunction(
    (text) => document.querySelector("#error-banner span")?.textContent === text,
    catalogue.az["error.bad_zone"],
  );
  assert.equal(await page.inputValue("#scan-zone-number"), "5000");
  await page.fill("#scan-zone-number", "40");
  await page.click("#scan-zone-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Zona 40");
  await page.waitForSelector("#scan-camera");
  await page.close();

  const fresh = await openApp({ zone: 0, init: [() => (window.__icazeMockNoBundle = true)] });
  await fresh.waitForSelector("#scan-zone-step");
  assert.equal(await fresh.$("#scan-zone-list"), null, "no names before the first bundle");
  assert.equal(await fresh.$("#scan-zone-other"), null);
  assert.equal(await fresh.textContent("#scan-zone-no-names"), catalogue.az["settings.zone_no_names"]);
  assert.equal(await fresh.isVisible("#scan-zone-number"), true);
  await fresh.fill("#scan-zone-number", "3");
  await fresh.screenshot({ path: join(shots, "ui-scan-zone-step-no-data.png") });
  await fresh.press("#scan-zone-number", "Enter");
  await fresh.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Zona 3");
  await fresh.waitForSelector("#scan-check");
  await fresh.close();
});

test("a red result offers to record a violation, the Manual form opening with its document", async () => {
  const page = await openApp();
  const start = page.url();
  await check(page, TOKEN);
  assert.equal(await page.$("#result-violation"), null, "not on green");
  await page.click("#result-next");
  await check(page, `${TOKEN}MYIREVOKED`);
  assert.equal(await page.getAttribute("#result", "data-level"), "red");
  assert.equal(await page.textContent("#result-violation"), catalogue.az["result.violation"]);
  await page.screenshot({ path: join(shots, "ui-result-violation.png") });
  await page.click("#result-violation");
  await page.waitForSelector("#manual-form");
  assert.equal(page.url(), start, "handed over in the app's state, not the address");
  assert.equal(await page.getAttribute("#manual-kind-violation", "aria-selected"), "true");
  assert.equal(await page.inputValue("#manual-document"), "MYİ1234567", "as the Result showed it");
  assert.equal(await page.inputValue("#manual-protocol_number"), "");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "manual-protocol_number");
  await page.fill("#manual-protocol_number", "PR-0042");
  await page.fill("#manual-article", "211.2");
  await page.screenshot({ path: join(shots, "ui-manual-violation.png") });
  await page.click("#manual-save");
  await page.waitForSelector("#notice-banner");
  assert.equal(await page.textContent("#notice-banner span"), catalogue.az["manual.saved"].replace("{seq}", "3"));
  const recorded = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "record_manual"));
  assert.deepEqual(recorded.map((c) => c.args), [
    {
      request: {
        kind: "violation",
        protocol_number: "PR-0042",
        article: "211.2",
        // The log's form of the permit's document, as the revoked check before it was logged.
        document: "MYI1234567",
        zone: 1,
        note: null,
      },
    },
  ]);
  // Saved: the draft is gone, the violation form stays for the next one.
  assert.equal(await page.inputValue("#manual-document"), "");
  assert.equal(await page.getAttribute("#manual-kind-violation", "aria-selected"), "true");
  await page.click("#tab-log");
  await page.waitForSelector("#log-list .entry");
  const entries = await page.$$eval("#log-list .entry", (els) =>
    els.map((e) => [e.className, e.querySelector(".what").textContent, e.querySelector(".doc").textContent]),
  );
  assert.deepEqual(entries, [
    ["entry manual", catalogue.az["manual.kind.violation"], "MYİ1234567"],
    ["entry red", catalogue.az["verdict.revoked"], "MYİ1234567"],
    ["entry green", catalogue.az["verdict.valid"], "AZE11111111"],
  ]);

  // A draft left unsaved is dropped with the screen.
  await page.click("#tab-scan");
  await check(page, `${TOKEN}REVOKED`);
  await page.click("#result-violation");
  await page.waitForFunction(() => document.querySelector("#manual-document")?.value === "AZE11111111");
  await page.click("#tab-scan");
  await page.click("#tab-manual");
  assert.equal(await page.inputValue("#manual-document"), "");
  await page.close();
});

test("a service card answers ✓, ✗ or ? with the organisation's name and sector, several names listed to pick from", async () => {
  const page = await openApp();
  await page.click("#tab-manual");
  await page.waitForSelector("#manual-form");
  assert.equal(await page.getAttribute("#manual-kind-service_card", "aria-selected"), "true");
  const card = async (organisation) => {
    await page.fill("#manual-organisation", organisation);
    await page.fill("#manual-card_number", "4711");
    await page.click("#manual-save");
  };
  const shown = () =>
    page.$eval("#card-answer", (el) => ({
      standing: el.dataset.standing,
      symbol: el.querySelector("#card-symbol").textContent,
      title: el.querySelector("#card-title").textContent,
      name: el.querySelector("#card-name")?.textContent ?? null,
      sector: el.querySelector("#card-sector")?.textContent ?? null,
      reason: el.querySelector("#card-reason")?.textContent ?? null,
    }));

  await card("VÖEN 1700000001");
  await page.waitForSelector("#card-answer[data-standing=authorised]");
  assert.deepEqual(await shown(), {
    standing: "authorised",
    symbol: "✓",
    title: catalogue.az["card.authorised"],
    name: "Bakı Metropoliteni QSC",
    sector: "nəqliyyat",
    reason: null,
  });
  assert.equal(await page.textContent("#notice-banner span"), catalogue.az["manual.saved"].replace("{seq}", "1"));
  await page.screenshot({ path: join(shots, "ui-service-card-authorised.png") });

  await card("AZƏRSU");
  await page.waitForSelector("#card-answer[data-standing=several]");
  assert.equal((await shown()).symbol, "?");
  const matches = await page.$$eval("#card-matches button", (els) => els.map((e) => e.id));
  assert.deepEqual(matches, ["card-match-0101234567", "card-match-0202020202"]);
  await page.screenshot({ path: join(shots, "ui-service-card-several.png") });
  await page.click("#card-match-0101234567");
  await page.waitForSelector("#card-answer[data-standing=not_authorised]");
  assert.deepEqual(await shown(), {
    standing: "not_authorised",
    symbol: "✗",
    title: catalogue.az["card.not_authorised"],
    name: "Azərsu ASC",
    sector: "kommunal",
    reason: catalogue.az["card.reason.zone"],
  });

  await card("Yoxdur MMC");
  await page.waitForSelector("#card-answer[data-standing=unknown]");
  assert.deepEqual(await shown(), {
    standing: "unknown",
    symbol: "?",
    title: catalogue.az["card.unknown"],
    name: null,
    sector: null,
    reason: null,
  });
  const asked = await page.evaluate(() =>
    window.__icazeCalls.filter((c) => c.cmd === "check_service_card").map((c) => c.args.request.organisation),
  );
  assert.deepEqual(asked, ["VÖEN 1700000001", "AZƏRSU", "0101234567", "Yoxdur MMC"]);
  await page.close();
});

test("the log lists today's checks and the outbox", async () => {
  const page = await openApp();
  await check(page, TOKEN);
  await page.click("#result-next");
  await check(page, `${TOKEN}REVOKED`);
  await page.click("#result-next");
  await page.click("#tab-log");
  await page.waitForSelector("#log-list .entry");
  assert.equal(await page.textContent("#log-summary"), "Bu gün 2 · göndərilməyi gözləyən 2");
  const entries = await page.$$eval("#log-list .entry", (els) => els.map((e) => e.className));
  assert.deepEqual(entries, ["entry red", "entry green"]);
  assert.deepEqual(await page.$$eval("#log-list .entry .zone", (els) => els.map((e) => e.textContent)), ["Bakı", "Bakı"]);
  await page.click("#tab-settings");
  await page.click("#settings-enrollment");
  await page.waitForSelector("#enrollment-code");
  assert.equal(await page.textContent("#enrollment-code"), "ICZD1-AAAA-BBBB");
  await page.screenshot({ path: join(shots, "ui-enrollment.png") });
  await page.close();
});

test("the log titles a permit a newer one replaced as replaced, not revoked, in every language (issue 22)", async () => {
  const page = await openApp();
  await check(page, `${TOKEN}REPLACED`);
  await page.click("#result-next");
  await check(page, `${TOKEN}REVOKED`);
  await page.click("#result-next");
  for (const lang of ["az", "en", "ru"]) {
    if (lang !== "az") {
      await page.click("#tab-settings");
      await page.click(`#settings-language-${lang}`);
      await page.waitForFunction((l) => document.documentElement.lang === l, lang);
    }
    await page.click("#tab-log");
    await page.waitForSelector("#log-list .entry");
    const titles = await page.$$eval("#log-list .entry .what", (els) => els.map((e) => e.textContent));
    assert.deepEqual(titles, [catalogue[lang]["verdict.revoked"], catalogue[lang]["verdict.replaced"]], lang);
  }
  await page.screenshot({ path: join(shots, "ui-log-replaced.png") });
  await page.close();
});

test("a device not set up yet is set up from the root key, then scans", async () => {
  const page = await openApp({ zone: 0, firstStart: true });
  await page.waitForSelector("#setup-form");
  assert.equal(await page.$("nav.tabs"), null, "no tabs before set-up");
  await page.fill("#setup-root", "not a key");
  await page.click("#setup-save");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.bad_root_key"]);
  await page.fill("#setup-root", "icaze-public-key-v1 root AAAA");
  await page.fill("#setup-officer", "B-7");
  await page.click("#setup-save");
  await page.waitForSelector("#settings-form");
  // A new device has no data yet, so no zone names: the zone is given by number.
  assert.equal(await page.$("#settings-zone"), null);
  await page.fill("#settings-zone-number", "2");
  await page.click("#settings-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent?.includes("2"));
  await page.click("#tab-scan");
  await check(page, TOKEN);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  assert.equal(await page.textContent("#result-your-zone"), "Zona 2");
  await page.close();
});

test("the officer picks the zone by name and reads zones by name on Result, Log and the header", async () => {
  const page = await openApp({ zone: 0 });
  await page.click("#tab-settings");
  const options = () => page.$$eval("#settings-zone option", (els) => els.map((o) => [o.value, o.textContent]));
  assert.deepEqual(await options(), [
    ["", catalogue.az["settings.zone_choose"]],
    ["1", "Bakı"],
    ["2", "Sumqayıt"],
    ["3", "Gəncə"],
    ["4", "Mingəçevir"],
    ["7", "Lənkəran şəhəri"],
    ["other", catalogue.az["settings.zone_other"]],
  ]);
  assert.equal(await page.isHidden("#settings-zone-number-field"), true);
  await page.selectOption("#settings-zone", { label: "Sumqayıt" });
  assert.equal(await page.textContent("#settings-zone-id"), "№ 2");
  await page.screenshot({ path: join(shots, "ui-settings-zone.png") });
  await page.click("#settings-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Sumqayıt");
  const saved = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").at(-1).args);
  assert.equal(saved.settings.zone, 2, "the number stays on the wire");
  assert.equal(await page.inputValue("#settings-zone"), "2", "the saved zone is the one shown");

  await page.click("#tab-scan");
  await check(page, TOKEN);
  const calls = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text"));
  assert.equal(calls.at(-1).args.zone, 2);
  assert.equal(await page.textContent("#result-zones"), "Bakı, Sumqayıt");
  assert.equal(await page.textContent("#result-your-zone"), "Sumqayıt");
  await page.screenshot({ path: join(shots, "ui-result-zone-names.png") });
  await page.click("#result-next");

  // In Russian the list, the header and the result speak Russian.
  await page.click("#tab-settings");
  await page.click("#settings-language-ru");
  await page.waitForFunction(() => document.documentElement.lang === "ru");
  // Once a zone is chosen the list has no "choose" line left.
  assert.deepEqual((await options()).slice(0, 2), [
    ["1", "Баку"],
    ["2", "Сумгайыт"],
  ]);
  assert.equal(await page.textContent("#header-zone"), "Сумгайыт");

  // A zone the bundle does not name is given by number, and read as "Зона 40".
  await page.selectOption("#settings-zone", "other");
  assert.equal(await page.isVisible("#settings-zone-number-field"), true);
  assert.equal(await page.isHidden("#settings-zone-id"), true);
  await page.fill("#settings-zone-number", "40");
  await page.screenshot({ path: join(shots, "ui-settings-zone-other-ru.png") });
  await page.click("#settings-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Зона 40");
  assert.equal(await page.inputValue("#settings-zone"), "other");
  assert.equal(await page.inputValue("#settings-zone-number"), "40");
  await page.click("#tab-scan");
  await check(page, `${TOKEN}REVOKED`);
  assert.equal(await page.textContent("#result-zones"), "Баку, Сумгайыт");
  assert.equal(await page.textContent("#result-your-zone"), "Зона 40");
  await page.click("#result-next");
  await page.click("#tab-log");
  await page.waitForSelector("#log-list .entry");
  assert.deepEqual(await page.$$eval("#log-list .entry .zone", (els) => els.map((e) => e.textContent)), [
    "Зона 40",
    "Сумгайыт",
  ]);
  await page.screenshot({ path: join(shots, "ui-log-zones-ru.png") });
  await page.close();
});

test("without data the zone is typed by number, and the first sync brings the names", async () => {
  const page = await openApp({ zone: 0, init: [() => (window.__icazeMockNoBundle = true)] });
  await page.click("#tab-settings");
  assert.equal(await page.$("#settings-zone"), null, "no list without names");
  assert.equal(await page.textContent("#settings-zone-no-names"), catalogue.az["settings.zone_no_names"]);
  await page.fill("#settings-zone-number", "3");
  await page.screenshot({ path: join(shots, "ui-settings-zone-no-data.png") });
  await page.click("#settings-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Zona 3");
  await page.click("#tab-sync");
  await page.click("#sync-now");
  await page.waitForSelector("#sync-result");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Gəncə");
  await page.click("#tab-settings");
  assert.equal(await page.inputValue("#settings-zone"), "3");
  assert.equal(await page.$("#settings-zone-no-names"), null);
  await page.close();
});

test("the high-contrast theme applies at once and keeps the verdict colours apart", async () => {
  const page = await openApp();
  await page.click("#tab-settings");
  await page.click("#settings-theme-high_contrast");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "high_contrast");
  assert.equal(await page.getAttribute("#settings-theme-high_contrast", "aria-checked"), "true");
  await page.click("#tab-scan");
  await check(page, TOKEN);
  assert.equal(await background(page), "rgb(0, 192, 64)");
  await page.click("#result-next");
  await check(page, `${TOKEN}REVOKED`);
  assert.equal(await background(page), "rgb(255, 26, 26)");
  await page.screenshot({ path: join(shots, "ui-revoked-high-contrast.png") });
  await page.close();
});

test("Sync now shows the running state, then the result and the enrollment status", async () => {
  const page = await openApp();
  await check(page, TOKEN);
  await page.click("#result-next");
  await page.click("#tab-sync");
  assert.equal(await page.textContent("#sync-enrollment-state"), catalogue.az["enrollment.status.none"]);
  assert.equal(await page.textContent("#sync-outbox"), "1");
  await page.evaluate(() => (window.__icazeHoldSync = true));
  await page.click("#sync-now");
  await page.waitForSelector("#sync-now[disabled]");
  assert.equal(await page.textContent("#sync-now"), catalogue.az["sync.running"]);
  await page.evaluate(() => window.__icazeReleaseSync());
  await page.waitForSelector("#sync-result");
  assert.equal(await page.isDisabled("#sync-now"), false);
  assert.equal(await page.textContent("#sync-now"), catalogue.az["sync.now"]);
  assert.equal(await page.textContent("#sync-sent"), "1");
  assert.equal(await page.textContent("#sync-acknowledged"), "1");
  assert.equal(
    await page.textContent("#sync-bundle"),
    catalogue.az["sync.result_applied"].replace("{version}", "4").replace("{revocations}", "2"),
  );
  assert.equal(await page.textContent("#sync-outbox"), "0");
  assert.equal(await page.getAttribute("#sync-enrollment", "data-status"), "active");
  assert.equal(await page.textContent("#sync-enrollment-state"), catalogue.az["enrollment.status.active"]);
  const details = await page.$$eval("#sync-enrollment p.hint", (els) => els.map((e) => e.textContent));
  assert.deepEqual(details.slice(0, 2), ["Döş nişanı B-1042", "Şöbə P-12"]);
  await page.screenshot({ path: join(shots, "ui-sync.png") });
  // The Enrollment screen shows the same status.
  await page.click("#tab-settings");
  await page.click("#settings-enrollment");
  await page.waitForSelector("#enrollment-code");
  assert.equal(await page.textContent("#enrollment-status-state"), catalogue.az["enrollment.status.active"]);
  await page.close();
});

test("a failed sync shows the translated error; export shows the file's path", async () => {
  const page = await openApp();
  await page.click("#tab-settings");
  await page.click("#settings-language-ru");
  await page.waitForFunction(() => document.documentElement.lang === "ru");
  await page.fill("#settings-server", "http://offline.example:8103");
  await page.click("#settings-save");
  await page.waitForFunction(() => window.__icazeCalls.some((c) => c.cmd === "save_settings" && c.args.settings.server));
  await page.click("#tab-sync");
  await page.click("#sync-now");
  await page.waitForSelector("#sync-error");
  assert.equal(await page.getAttribute("#sync-result", "data-code"), "unreachable");
  assert.equal(
    await page.textContent("#sync-error"),
    catalogue.ru["sync.result_failed"].replace("{message}", catalogue.ru["error.unreachable"]),
  );
  assert.equal(await page.textContent("#sync-enrollment-state"), catalogue.ru["enrollment.status.none"]);
  await page.click("#sync-export");
  await page.waitForSelector("#sync-export-path");
  assert.equal(
    await page.textContent("#sync-export-path"),
    catalogue.ru["sync.exported"]
      .replace("{records}", "0")
      .replace("{path}", "/mock/device/exports/icaze-MOCKDEVICE000000-20201215T1030.iczu"),
  );
  const exports = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "export_outbox").length);
  assert.equal(exports, 1);
  await page.screenshot({ path: join(shots, "ui-sync-failed-ru.png") });
  await page.close();
});

// The camera. Init scripts for the page: each getUserMedia stream is kept in
// `__icazeStreams` so that a test can see whether its tracks were stopped.

/** What Tauri's `freezePrototype` does, so that the decoder is tested under it. */
const freezePrototype = () => Object.freeze(Object.prototype);

const recordStreams = () => {
  const media = navigator.mediaDevices;
  const open = media.getUserMedia.bind(media);
  window.__icazeStreams = [];
  media.getUserMedia = async (constraints) => {
    window.__icazeConstraints = constraints;
    const stream = await open(constraints);
    window.__icazeStreams.push(stream);
    return stream;
  };
};

/** A camera with a torch and no QR code in sight: a still canvas as the stream. */
const canvasCamera = () => {
  window.__icazeStreams = [];
  window.__icazeTorch = [];
  navigator.mediaDevices.getUserMedia = async () => {
    // With `__icazeHoldCamera` set, the camera opens when `__icazeReleaseCamera()` is called.
    if (window.__icazeHoldCamera) await new Promise((resolve) => (window.__icazeReleaseCamera = resolve));
    const canvas = document.createElement("canvas");
    canvas.width = 320;
    canvas.height = 240;
    canvas.getContext("2d").fillRect(0, 0, 320, 240);
    const stream = canvas.captureStream(5);
    const track = stream.getVideoTracks()[0];
    track.getCapabilities = () => ({ torch: true });
    track.applyConstraints = async (c) => void window.__icazeTorch.push(c.advanced[0].torch);
    window.__icazeStreams.push(stream);
    return stream;
  };
};

/** getUserMedia fails with the DOMException named in `__icazeCameraError`. */
const failingCamera = () => {
  navigator.mediaDevices.getUserMedia = async () => {
    throw new DOMException("the test's camera fails", window.__icazeCameraError);
  };
};

const trackStates = (page) =>
  page.evaluate(() => window.__icazeStreams.flatMap((s) => s.getTracks()).map((t) => t.readyState));

test("the camera reads a permit's QR code, checks exactly its text, and releases the camera", async () => {
  const video = join(scratch, "permit-qr.y4m");
  writeY4m(video, readGreyPng(join(ui, "tests", "e2e", "permit-qr.png")));
  cameraBrowser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      ...chromiumArgs,
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-video-capture=${video}`,
    ],
  });
  const page = await openApp({ on: cameraBrowser, init: [freezePrototype, recordStreams] });
  assert.equal(await page.textContent("#scan-camera"), catalogue.az["scan.camera"]);
  assert.equal(await page.getAttribute("#scan-camera-view", "hidden"), "");
  await page.click("#scan-camera");
  await page.waitForSelector("#result");
  const calls = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text"));
  assert.deepEqual(calls.map((c) => c.args), [{ text: QR_DIGITS, zone: 1 }]);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  assert.deepEqual(await page.evaluate(() => window.__icazeConstraints), {
    video: { facingMode: "environment" },
    audio: false,
  });
  assert.deepEqual(await trackStates(page), ["ended"]);
  await page.close();
});

test("Cancel, leaving the screen and hiding the page each release the camera; the torch switches", async () => {
  const page = await openApp({ init: [canvasCamera] });
  const opened = async (count) => {
    await page.click("#scan-camera");
    await page.waitForSelector("#scan-video");
    await page.waitForSelector("#scan-torch:not([hidden])");
    assert.deepEqual(await trackStates(page), [...Array(count - 1).fill("ended"), "live"]);
  };
  await opened(1);
  assert.equal(await page.textContent("#scan-camera-status"), catalogue.az["scan.camera_aim"]);
  assert.equal(await page.isDisabled("#scan-camera"), true);
  await page.click("#scan-torch");
  await page.waitForSelector("#scan-torch[aria-pressed=true]");
  assert.equal(await page.textContent("#scan-torch"), catalogue.az["scan.torch_off"]);
  assert.deepEqual(await page.evaluate(() => window.__icazeTorch), [true]);
  await page.screenshot({ path: join(shots, "ui-camera.png") });
  await page.click("#scan-camera-cancel");
  assert.deepEqual(await trackStates(page), ["ended"]);
  assert.equal(await page.$("#scan-video"), null);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  assert.equal(await page.isDisabled("#scan-camera"), false);

  await opened(2);
  assert.equal(await page.getAttribute("#scan-torch", "aria-pressed"), "false");
  await page.click("#tab-log");
  await page.waitForFunction(() =>
    window.__icazeStreams.every((s) => s.getTracks().every((t) => t.readyState === "ended")),
  );

  await page.click("#tab-scan");
  await opened(3);
  await page.evaluate(() => {
    Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
    document.dispatchEvent(new Event("visibilitychange"));
  });
  assert.deepEqual(await trackStates(page), ["ended", "ended", "ended"]);
  assert.equal(await page.$("#scan-video"), null);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  assert.equal(await page.isDisabled("#scan-camera"), false);
  await page.evaluate(() => delete document.visibilityState);

  // Cancel while the camera is still opening (a slow permission prompt): it is closed as it opens.
  await page.evaluate(() => (window.__icazeHoldCamera = true));
  await page.click("#scan-camera");
  await page.waitForFunction(() => window.__icazeReleaseCamera);
  await page.click("#scan-camera-cancel");
  await page.evaluate(() => window.__icazeReleaseCamera());
  await page.waitForFunction(() => window.__icazeStreams.length === 4);
  assert.deepEqual(await trackStates(page), ["ended", "ended", "ended", "ended"]);
  assert.equal(await page.$("#scan-video"), null);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  const checks = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text").length);
  assert.equal(checks, 0);
  await page.close();
});

test("a missing, refused or busy camera is explained, and the photo and paste paths still work", async () => {
  const page = await openApp({ init: [failingCamera] });
  for (const [name, code] of [
    ["NotFoundError", "camera_none"],
    ["NotAllowedError", "camera_denied"],
    ["NotReadableError", "camera_busy"],
    ["NotSupportedError", "camera_failed"],
  ]) {
    await page.evaluate((n) => (window.__icazeCameraError = n), name);
    await page.click("#scan-camera");
    await page.waitForSelector("#error-banner");
    assert.equal(await page.textContent("#error-banner span"), catalogue.az[`error.${code}`], name);
    assert.equal(await page.isHidden("#scan-camera-view"), true);
    await page.click("#error-banner .close");
  }
  // A webview without media devices at all (an insecure origin, or WebKitGTK without media streams).
  await page.evaluate(() =>
    Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: undefined }),
  );
  await page.click("#scan-camera");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.camera_none"]);
  await page.screenshot({ path: join(shots, "ui-camera-none.png") });
  const photo = { name: "photo.png", mimeType: "image/png", buffer: Buffer.from("not a png") };
  await page.setInputFiles("#scan-image", photo);
  await page.waitForFunction(
    (text) => document.querySelector("#error-banner span")?.textContent === text,
    catalogue.az["error.qr_not_found"],
  );
  await check(page, TOKEN);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  await page.close();
});

/**
 * A camera with a torch that shows the permit's QR code (tests/e2e/permit-qr.png)
 * while `__icazeQrInView` is set, on a white frame otherwise. Opening it fails
 * with the DOMException named in `__icazeCameraError`, if set; `__icazeOpens`
 * counts the openings asked for.
 */
const qrCamera = ({ width, height, luma }) => {
  window.__icazeStreams = [];
  window.__icazeTorch = [];
  window.__icazeOpens = 0;
  const grey = Uint8Array.from(atob(luma), (c) => c.charCodeAt(0));
  navigator.mediaDevices.getUserMedia = async () => {
    window.__icazeOpens += 1;
    if (window.__icazeCameraError) throw new DOMException("the test's camera fails", window.__icazeCameraError);
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 480;
    const g = canvas.getContext("2d");
    const code = new ImageData(width, height);
    grey.forEach((v, i) => code.data.set([v, v, v, 255], i * 4));
    const stream = canvas.captureStream(10);
    const track = stream.getVideoTracks()[0];
    // Painted again and again, so that the stream keeps giving frames.
    const paint = () => {
      if (track.readyState === "ended") return clearInterval(timer);
      g.fillStyle = "#fff";
      g.fillRect(0, 0, 640, 480);
      if (window.__icazeQrInView) g.putImageData(code, (640 - width) >> 1, (480 - height) >> 1);
    };
    const timer = setInterval(paint, 50);
    paint();
    track.getCapabilities = () => ({ torch: true });
    track.applyConstraints = async (c) => void window.__icazeTorch.push(c.advanced[0].torch);
    window.__icazeStreams.push(stream);
    return stream;
  };
};
/** The init script of a `qrCamera` showing tests/e2e/`file`. */
const qrCameraOf = (file) => {
  const { width, height, luma } = readGreyPng(join(ui, "tests", "e2e", file));
  return { content: `(${qrCamera})(${JSON.stringify({ width, height, luma: luma.toString("base64") })});` };
};
const permitQr = () => qrCameraOf("permit-qr.png");
// tests/e2e/card-qr.png is `icaze qr --png` of "Bakı Metropoliteni QSC\nVÖEN: 1700000001".
const cardQr = () => qrCameraOf("card-qr.png");

const checkTexts = (page) =>
  page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_text").map((c) => c.args.text));

test("after a camera check the camera opens again by itself, torch kept, and does not check that permit twice", async () => {
  const page = await openApp({ init: [permitQr()] });
  await page.click("#scan-camera");
  await page.waitForSelector("#scan-torch:not([hidden])");
  await page.click("#scan-torch");
  await page.waitForSelector("#scan-torch[aria-pressed=true]");
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.waitForSelector("#result");
  assert.deepEqual(await checkTexts(page), [QR_DIGITS]);
  assert.deepEqual(await trackStates(page), ["ended"]);

  // Next check: the camera is open again, its torch on as the officer left it.
  await page.click("#result-next");
  await page.waitForSelector("#scan-video");
  await page.waitForSelector("#scan-torch[aria-pressed=true]");
  assert.equal(await page.textContent("#scan-torch"), catalogue.az["scan.torch_off"]);
  assert.deepEqual(await page.evaluate(() => window.__icazeTorch), [true, true]);
  // The permit still in front of it is read, and not checked (nor logged) again.
  await page.waitForFunction(
    (text) => document.querySelector("#scan-camera-status")?.textContent === text,
    catalogue.az["scan.camera_same"],
  );
  assert.deepEqual(await checkTexts(page), [QR_DIGITS]);
  assert.deepEqual(await trackStates(page), ["ended", "live"]);
  assert.equal(await page.$("#error-banner"), null);
  // The photo and paste paths are there as before.
  assert.equal(await page.isVisible("#scan-text"), true);
  assert.equal(await page.isEnabled("#scan-image"), true);
  await page.screenshot({ path: join(shots, "ui-camera-reopened.png") });

  // Opened by hand, the camera checks whatever it reads, the same permit too.
  await page.click("#scan-camera-cancel");
  assert.equal(await page.getAttribute("#scan-torch", "aria-pressed"), "false");
  await page.click("#scan-camera");
  await page.waitForSelector("#result");
  assert.deepEqual(await checkTexts(page), [QR_DIGITS, QR_DIGITS]);
  // That check had the torch off: the camera opens again with it off.
  await page.click("#result-next");
  await page.waitForSelector("#scan-video");
  await page.waitForSelector("#scan-torch:not([hidden])");
  assert.equal(await page.getAttribute("#scan-torch", "aria-pressed"), "false");
  assert.deepEqual(await page.evaluate(() => window.__icazeTorch), [true, true]);

  // A pasted check does not open the camera after its result, even with the camera open before it.
  const opens = await page.evaluate(() => window.__icazeOpens);
  await check(page, TOKEN);
  await page.click("#result-next");
  await page.waitForSelector("#scan-text");
  assert.equal(await page.evaluate(() => window.__icazeOpens), opens);
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  assert.ok((await trackStates(page)).every((state) => state === "ended"));
  await page.close();
});

test("a camera that will not open again after a result leaves the Scan screen as it was, without a message", async () => {
  const page = await openApp({ init: [permitQr()] });
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.click("#scan-camera");
  await page.waitForSelector("#result");
  await page.evaluate(() => (window.__icazeCameraError = "NotAllowedError"));
  await page.click("#result-next");
  await page.waitForFunction(() => window.__icazeOpens === 2);
  await page.waitForSelector("#scan-camera:not([disabled])");
  assert.equal(await page.$("#error-banner"), null, "quietly");
  assert.equal(await page.isHidden("#scan-camera-view"), true);
  await page.screenshot({ path: join(shots, "ui-camera-reopen-refused.png") });
  // Asked for by the officer, the refusal is explained as before; paste still works.
  await page.click("#scan-camera");
  await page.waitForSelector("#error-banner");
  assert.equal(await page.textContent("#error-banner span"), catalogue.az["error.camera_denied"]);
  await check(page, TOKEN);
  assert.equal(await page.getAttribute("#result", "data-level"), "green");
  await page.close();
});

const cardChecks = (page) =>
  page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "check_service_card").map((c) => c.args.request));

test("a service card's code is scanned: its tax id checked as if typed, the card's number asked for first if missing", async () => {
  const page = await openApp({ init: [cardQr()] });
  await page.click("#tab-manual");
  await page.waitForSelector("#manual-form");
  assert.equal(await page.textContent("#card-camera"), catalogue.az["card.scan"]);
  assert.equal(await page.isHidden("#card-camera-view"), true);

  // The card's number typed first: the code's tax id is checked at once, and the camera released.
  await page.fill("#manual-card_number", "4711");
  await page.click("#card-camera");
  await page.waitForSelector("#scan-video");
  assert.equal(await page.textContent("#card-camera-status"), catalogue.az["card.camera_aim"]);
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.waitForSelector("#card-answer[data-standing=authorised]");
  assert.equal(await page.textContent("#card-symbol"), "✓");
  assert.equal(await page.textContent("#card-title"), catalogue.az["card.authorised"]);
  assert.equal(await page.textContent("#card-name"), "Bakı Metropoliteni QSC");
  assert.deepEqual(await cardChecks(page), [{ organisation: "1700000001", card_number: "4711", zone: 1, note: null }]);
  assert.equal(await page.inputValue("#manual-organisation"), "1700000001");
  assert.deepEqual(await trackStates(page), ["ended"]);
  await page.screenshot({ path: join(shots, "ui-service-card-scanned.png") });

  // No number yet: the tax id is filled in, the number asked for, nothing checked until it is typed.
  await page.fill("#manual-card_number", "");
  await page.fill("#manual-organisation", "");
  await page.click("#card-camera");
  await page.waitForSelector("#card-scanned:not([hidden])");
  assert.equal(await page.textContent("#card-scanned"), catalogue.az["card.scanned"].replace("{tax_id}", "1700000001"));
  assert.equal(await page.inputValue("#manual-organisation"), "1700000001");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "manual-card_number");
  assert.equal((await cardChecks(page)).length, 1);
  assert.deepEqual(await trackStates(page), ["ended", "ended"]);
  await page.fill("#manual-card_number", "4712");
  await page.click("#manual-save");
  await page.waitForFunction(() => window.__icazeCalls.filter((c) => c.cmd === "check_service_card").length === 2);
  assert.deepEqual((await cardChecks(page))[1], { organisation: "1700000001", card_number: "4712", zone: 1, note: null });
  await page.waitForSelector("#card-answer[data-standing=authorised]");
  // Logged as a typed card is: a service card with its organisation and number.
  await page.click("#tab-log");
  await page.waitForSelector("#log-list .entry");
  assert.deepEqual(await page.$$eval("#log-list .entry .what", (els) => els.map((e) => e.textContent)), [
    catalogue.az["manual.kind.service_card"],
    catalogue.az["manual.kind.service_card"],
  ]);
  await page.close();
});

test("a code with no tax id on it (a permit's) says so on the card's camera, checks nothing, and keeps looking", async () => {
  const page = await openApp({ init: [permitQr()] });
  await page.click("#tab-manual");
  await page.fill("#manual-card_number", "4711");
  await page.click("#card-camera");
  await page.waitForSelector("#scan-video");
  await page.evaluate(() => (window.__icazeQrInView = true));
  await page.waitForFunction(
    (text) => document.querySelector("#card-camera-status")?.textContent === text,
    catalogue.az["card.no_tax_id"],
  );
  await page.screenshot({ path: join(shots, "ui-service-card-no-tax-id.png") });
  assert.deepEqual(await cardChecks(page), []);
  assert.equal(await page.$("#card-answer"), null);
  assert.equal(await page.inputValue("#manual-organisation"), "");
  assert.deepEqual(await trackStates(page), ["live"]);
  // Nor does the permit's code reach the permit check from here.
  assert.deepEqual(await checkTexts(page), []);
  await page.click("#card-camera-cancel");
  assert.deepEqual(await trackStates(page), ["ended"]);
  assert.equal(await page.isHidden("#card-camera-view"), true);
  await page.close();
});

test("a supervisor signs in, sees the charts and totals, reads and filters the log, revokes from a row, approves, suspends beside the reason and imports", async () => {
  const page = await openApp();
  // Reached from Settings, not a tab of its own.
  await page.click("#tab-settings");
  await page.click("#settings-supervisor");
  await page.waitForSelector("#sv-login-form");
  const svCalls = (cmd) => page.evaluate((c) => window.__icazeCalls.filter((x) => x.cmd === c), cmd);

  // A refused sign-in shows the translated error, and the token field is emptied.
  await page.fill("#sv-server", "https://sync.icaze.example");
  await page.fill("#sv-token", "wrong-token");
  await page.click("#sv-login");
  await page.waitForSelector("#sv-error:not([hidden])");
  assert.equal(await page.getAttribute("#sv-error", "data-code"), "supervisor_unauthorized");
  assert.equal(await page.textContent("#sv-error .sv-error-text"), catalogue.az["error.supervisor_unauthorized"]);
  assert.equal(await page.inputValue("#sv-token"), "");
  await page.screenshot({ path: join(shots, "ui-supervisor-refused.png") });

  await page.fill("#sv-token", "sup-token");
  await page.click("#sv-login");
  await page.waitForSelector("#sv-dashboard");
  const who = await page.textContent("#sv-who");
  assert.ok(who.includes("aliyev") && who.includes("P-12"), who);
  assert.deepEqual((await svCalls("supervisor_login")).at(-1).args, {
    server: "https://sync.icaze.example",
    token: "sup-token",
  });

  // The charts: four hours with data, two bars each; two officers, the busiest first.
  await page.waitForSelector("#sv-chart-hourly rect.bar");
  assert.equal(await page.locator("#sv-chart-hourly rect.bar.inspections").count(), 4);
  assert.equal(await page.locator("#sv-chart-hourly rect.bar.violations").count(), 4);
  const heights = await page.$$eval("#sv-chart-hourly rect.bar.inspections", (bars) =>
    bars.map((b) => Number(b.getAttribute("height"))),
  );
  assert.ok(heights.every((x) => x > 0), String(heights));
  assert.deepEqual(heights, [170, 170, 85, 85], "oldest hour first; two records three hours ago and two hours ago");
  assert.deepEqual(
    await page.$$eval("#sv-chart-officers rect.bar.inspections", (bars) => bars.map((b) => b.dataset.label)),
    ["B-1042", "B-77"],
  );
  // The totals: red results (the expired and the forged check) and recorded violations side by side, labelled.
  const figure = (id) => page.textContent(`#sv-total-${id} dd`);
  const label = (id) => page.textContent(`#sv-total-${id} dt`);
  assert.deepEqual([await figure("inspections"), await figure("red"), await figure("violations")], ["6", "2", "2"]);
  assert.equal(await label("red"), catalogue.az["supervisor.total_red"]);
  assert.equal(await label("violations"), catalogue.az["supervisor.total_violations"]);

  // Devices not synced for more than 24 hours.
  await page.waitForSelector("#sv-stale-list li");
  assert.deepEqual(await page.$$eval("#sv-stale-list li", (li) => li.map((x) => x.dataset.device)), ["STALEDEVICE00000"]);
  assert.equal((await svCalls("supervisor_devices"))[0].args.hours, 24);
  // A device's last sync (sent in UTC) as dd.mm.yyyy HH:MM in Baku time.
  const lastSync = await page.textContent('#sv-device-list li[data-device="MOCKDEVICE000000"] .last');
  const lastSyncAt = lastSync.match(/(\d{2})\.(\d{2})\.(\d{4}) (\d{2}):(\d{2})/);
  assert.ok(lastSyncAt, lastSync);
  const shown = Date.parse(`${lastSyncAt[3]}-${lastSyncAt[2]}-${lastSyncAt[1]}T${lastSyncAt[4]}:${lastSyncAt[5]}:00+04:00`);
  assert.ok(Math.abs(Date.now() - 30 * 60_000 - shown) < 3 * 60_000, `${lastSync}: 30 minutes ago, in Baku time`);

  // The log: serial and reason columns, times as dd.mm.yyyy HH:MM in Baku time.
  await page.waitForFunction(() => document.querySelectorAll("#sv-log-rows tr[data-seq]").length === 6);
  assert.deepEqual(
    await page.$$eval("#sv-log thead th", (th) => th.map((x) => x.dataset.col)),
    ["col_time", "col_officer", "col_zone", "col_what", "col_serial", "col_reason", "col_document", "col_device", "col_action"],
  );
  const logRow = (seq) => `#sv-log-rows tr[data-seq="${seq}"]`;
  const cell = (seq, cls) => page.textContent(`${logRow(seq)} td.${cls}`);
  assert.equal(await cell(3, "serial"), "43");
  assert.equal(await cell(3, "reason"), catalogue.az["reason.expired"]);
  assert.equal(await cell(6, "reason"), catalogue.az["reason.bad_signature"]);
  assert.equal(await cell(2, "serial"), "", "a manual record has no serial");
  assert.equal(await cell(2, "reason"), "");
  for (const seq of [1, 2, 3, 4, 5, 6]) {
    const at = await page.getAttribute(logRow(seq), "data-at");
    const baku = new Date(Date.parse(at) + 4 * 3600_000);
    const two = (n) => String(n).padStart(2, "0");
    const expected = `${two(baku.getUTCDate())}.${two(baku.getUTCMonth() + 1)}.${baku.getUTCFullYear()} ${two(baku.getUTCHours())}:${two(baku.getUTCMinutes())}`;
    assert.equal(await cell(seq, "time"), expected, at);
  }
  // "Revoke…" on the rows with a serial the device verified: not on manual records, not on the forged token.
  assert.deepEqual(
    await page.$$eval("#sv-log-rows button.sv-row-revoke", (b) => b.map((x) => [x.closest("tr").dataset.seq, x.dataset.serial])),
    [["1", "41"], ["3", "43"], ["5", "45"]],
  );
  await page.screenshot({ path: join(shots, "ui-supervisor-phone.png"), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: join(shots, "ui-supervisor-desktop.png"), fullPage: true });

  // Revoke from a row: the form is filled with the serial and the reason field focused, on screen;
  // nothing is revoked until the reason and the confirmation are given.
  await page.click(`${logRow(3)} button.sv-row-revoke`);
  assert.equal(await page.inputValue("#sv-revoke-kind"), "serial");
  assert.equal(await page.inputValue("#sv-revoke-value"), "43");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "sv-revoke-reason");
  assert.equal(await page.isChecked("#sv-revoke-confirm"), false);
  const inView = await page.$eval("#sv-revoke-reason", (el) => {
    const r = el.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight;
  });
  assert.ok(inView, "the revocation form is scrolled into view");
  await page.screenshot({ path: join(shots, "ui-supervisor-revoke-from-row.png") });
  await page.fill("#sv-revoke-reason", "permit sold on");
  await page.click("#sv-revoke");
  await page.waitForSelector("#sv-revoke-error:not([hidden])");
  assert.equal(await page.getAttribute("#sv-revoke-error", "data-code"), "supervisor_confirm");
  assert.equal((await svCalls("supervisor_revoke")).length, 0, "nothing is revoked before the confirmation");
  await page.check("#sv-revoke-confirm");
  await page.click("#sv-revoke");
  await page.waitForFunction(() => (document.querySelector("#sv-revoke-result")?.textContent ?? "").includes("5"));
  assert.equal(
    await page.textContent("#sv-revoke-result"),
    catalogue.az["supervisor.revoked"].replace("{count}", "1").replace("{version}", "5"),
  );
  assert.deepEqual((await svCalls("supervisor_revoke")).at(-1).args, { serial: 43, document: null, reason: "permit sold on" });
  await page.setViewportSize({ width: 420, height: 820 });

  // Dates are typed as dd.mm.yyyy [HH:MM], Baku time; a bare "to" date includes its day.
  const inspectionCalls = (await svCalls("supervisor_inspections")).length;
  await page.fill("#sv-f-from", "31.02.2020");
  await page.click("#sv-f-apply");
  await page.waitForSelector("#sv-log-error:not([hidden])");
  assert.equal(await page.getAttribute("#sv-log-error", "data-code"), "supervisor_bad_date");
  assert.equal(await page.textContent("#sv-log-error .sv-error-text"), catalogue.az["error.supervisor_bad_date"]);
  assert.equal((await svCalls("supervisor_inspections")).length, inspectionCalls, "no request with a date that does not read");
  await page.fill("#sv-f-from", "01.12.2020 08:00");
  await page.fill("#sv-f-to", "31.12.2099");
  await page.click("#sv-f-apply");
  await page.waitForFunction((n) => window.__icazeCalls.filter((x) => x.cmd === "supervisor_inspections").length > n, inspectionCalls);
  const dated = (await svCalls("supervisor_inspections")).at(-1).args.filter;
  assert.deepEqual([dated.from, dated.to], ["2020-12-01T08:00:00+04:00", "2099-12-31T23:59:59+04:00"]);
  assert.equal(await page.isHidden("#sv-log-error"), true);
  await page.fill("#sv-f-from", "");
  await page.fill("#sv-f-to", "");

  // Filtered by officer, then violations only.
  await page.fill("#sv-f-officer", "B-77");
  await page.click("#sv-f-apply");
  await page.waitForFunction(() => document.querySelectorAll("#sv-log-rows tr[data-seq]").length === 3);
  await page.check("#sv-f-violations");
  await page.click("#sv-f-apply");
  await page.waitForFunction(() => document.querySelectorAll("#sv-log-rows tr[data-seq]").length === 1);
  assert.equal(await page.getAttribute("#sv-log-rows tr[data-seq]", "data-seq"), "4");
  assert.deepEqual((await svCalls("supervisor_inspections")).at(-1).args.filter, {
    officer: "B-77",
    zone: null,
    from: null,
    to: null,
    violations: true,
    limit: 500,
  });
  await page.screenshot({ path: join(shots, "ui-supervisor.png"), fullPage: true });

  // CSV export downloads the filtered page.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#sv-csv")]);
  assert.match(download.suggestedFilename(), /^icaze-inspections-\d+\.csv$/);
  const bytes = readFileSync(await download.path());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], "one byte-order mark, for spreadsheets");
  assert.notDeepEqual([...bytes.subarray(3, 6)], [0xef, 0xbb, 0xbf], "not two");
  const csv = bytes.subarray(3).toString("utf8").split("\r\n");
  assert.equal(csv.length, 2);
  assert.ok(csv[1].startsWith("STALEDEVICE00000,P-12,4,"), csv[1]);

  // Approve a device; a bad code shows the service's own words too.
  await page.fill("#sv-approve-code", "nonsense");
  await page.fill("#sv-approve-badge", "B-5");
  await page.click("#sv-approve");
  await page.waitForSelector("#sv-approve-error:not([hidden])");
  assert.equal(await page.textContent("#sv-approve-error .sv-error-text"), catalogue.az["error.supervisor_refused"]);
  assert.match(await page.textContent("#sv-approve-error .sv-error-detail"), /enrollment code/);
  await page.fill("#sv-approve-code", "ICZD1-AAAA-BBBB");
  await page.click("#sv-approve");
  await page.waitForFunction(() => document.querySelector("#sv-approve-result")?.textContent?.includes("NEWDEVICE0000000"));
  assert.equal(await page.isHidden("#sv-approve-error"), true);
  assert.deepEqual((await svCalls("supervisor_approve")).at(-1).args, {
    code: "ICZD1-AAAA-BBBB",
    badge: "B-5",
    precinct: "P-12",
  });
  await page.waitForSelector('#sv-device-list li[data-device="NEWDEVICE0000000"]');

  // Revoke a document: refused until confirmed, then done.
  await page.selectOption("#sv-revoke-kind", "document");
  await page.fill("#sv-revoke-value", "AZE11111111");
  await page.fill("#sv-revoke-reason", "document stolen");
  await page.click("#sv-revoke");
  await page.waitForSelector("#sv-revoke-error:not([hidden])");
  assert.equal(await page.getAttribute("#sv-revoke-error", "data-code"), "supervisor_confirm");
  assert.equal((await svCalls("supervisor_revoke")).length, 1, "nothing more is revoked before the confirmation");
  await page.check("#sv-revoke-confirm");
  await page.click("#sv-revoke");
  await page.waitForFunction(() => (document.querySelector("#sv-revoke-result")?.textContent ?? "").includes("2"));
  assert.equal(
    await page.textContent("#sv-revoke-result"),
    catalogue.az["supervisor.revoked"].replace("{count}", "2").replace("{version}", "5"),
  );
  assert.deepEqual((await svCalls("supervisor_revoke")).at(-1).args, {
    serial: null,
    document: "AZE11111111",
    reason: "document stolen",
  });

  // Suspend: each device's reason field sits beside its own button and names the device; a reason
  // typed for another device is not taken; then the device shows as suspended and can be resumed.
  const deviceItem = '#sv-device-list li[data-device="MOCKDEVICE000000"]';
  const toggle = `${deviceItem} button.sv-toggle`;
  const reasonField = `${deviceItem} input.sv-device-reason`;
  const staleReason = '#sv-device-list li[data-device="STALEDEVICE00000"] input.sv-device-reason';
  assert.equal(await page.$("#sv-device-reason"), null, "no shared reason field away from the buttons");
  assert.equal(
    await page.textContent(`${deviceItem} .sv-device-action label span`),
    catalogue.az["supervisor.suspend_reason"].replace("{device}", "B-1042"),
  );
  const beside = async () => {
    const [field, button] = await Promise.all([page.locator(reasonField).boundingBox(), page.locator(toggle).boundingBox()]);
    const grouped = await page.$eval(deviceItem, (li) => {
      const group = li.querySelector("input.sv-device-reason")?.closest(".sv-device-action");
      return group != null && group === li.querySelector("button.sv-toggle")?.parentElement;
    });
    assert.ok(grouped, "the field and the button share one group in the device's row");
    const sameLine = field.y < button.y + button.height && button.y < field.y + field.height;
    const gap = button.x - (field.x + field.width);
    assert.ok(sameLine && gap >= 0 && gap < 40, `field ${JSON.stringify(field)} beside button ${JSON.stringify(button)}`);
  };
  await beside();
  await page.fill(staleReason, "reason for the other device");
  await page.click(toggle);
  await page.waitForSelector("#sv-devices-error:not([hidden])");
  assert.equal(await page.getAttribute("#sv-devices-error", "data-code"), "supervisor_reason");
  assert.equal(await page.evaluate(() => document.activeElement?.closest("li")?.dataset.device), "MOCKDEVICE000000");
  assert.equal((await svCalls("supervisor_suspend")).length, 0);
  await page.fill(reasonField, "lost phone");
  await page.locator(deviceItem).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "ui-supervisor-suspend-phone.png") });
  await page.click(toggle);
  await page.waitForSelector(`${toggle}[data-action=resume]`);
  assert.deepEqual((await svCalls("supervisor_suspend"))[0].args, { device: "MOCKDEVICE000000", reason: "lost phone" });
  assert.equal(await page.inputValue(reasonField), "", "the reason is used once");
  assert.equal(await page.inputValue(staleReason), "reason for the other device", "the other device's draft survives the redraw");
  assert.equal(
    await page.textContent(`${deviceItem} .sv-device-action label span`),
    catalogue.az["supervisor.resume_reason"].replace("{device}", "B-1042"),
  );
  await page.setViewportSize({ width: 1280, height: 900 });
  await beside();
  await page.locator(deviceItem).scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "ui-supervisor-suspend-desktop.png") });
  await page.setViewportSize({ width: 420, height: 820 });

  // Import a device's export file.
  await page.setInputFiles("#sv-import-file", {
    name: "icaze-MOCKDEVICE000000.iczu",
    mimeType: "application/octet-stream",
    buffer: Buffer.from("ICZU export bytes"),
  });
  await page.waitForFunction(() => document.querySelector("#sv-import-result")?.textContent !== "");
  assert.match(await page.textContent("#sv-import-result"), /MOCKDEVICE000000/);
  assert.equal((await svCalls("supervisor_import"))[0].args, "<17 bytes>");

  // Signing out returns to the form.
  await page.click("#sv-logout");
  await page.waitForSelector("#sv-login-form");
  await page.close();
});

test("the Codes view draws a day's requests per hour and code, flags the hours past the usual share with a red band and a '!', masks people and saves the CSV", async () => {
  const page = await openApp();
  await page.click("#tab-settings");
  await page.click("#settings-supervisor");
  await page.fill("#sv-server", "https://sync.icaze.example");
  await page.fill("#sv-token", "sup-token");
  await page.click("#sv-login");
  await page.waitForSelector("#sv-codes-chart rect.bar", { state: "attached" });
  const svCalls = (cmd) => page.evaluate((c) => window.__icazeCalls.filter((x) => x.cmd === c), cmd);
  assert.deepEqual((await svCalls("supervisor_codes"))[0].args.filter, { day: null, code: 1, baseline_days: null });

  // 24 hours, three codes: a bar each per hour; code 1 at 10:00 is 7 requests on a scale of 10.
  assert.equal(await page.locator("#sv-codes-chart rect.bar").count(), 72);
  assert.equal(await page.getAttribute("#sv-codes-chart", "data-max"), "10");
  const at10 = await page.$$eval('#sv-codes-chart rect.bar[data-label="10"]', (bars) => bars.map((b) => [b.dataset.code, b.dataset.value]));
  assert.deepEqual(at10, [["1", "7"], ["2", "2"], ["3", "0"]]);
  // Flagged: 10:00 (7 of 9) and 11:00 (4 of 4), not 09:00 (2 of 10): a red band and a "!" each, not colour alone.
  const flags = await page.$$eval("#sv-codes-chart g.flag", (gs) => gs.map((g) => [g.querySelector("text").textContent, g.querySelector("title").textContent.slice(0, 5)]));
  assert.deepEqual(flags, [["!", "10:00"], ["!", "11:00"]]);
  const band = await page.$eval("#sv-codes-chart .flag-band", (el) => getComputedStyle(el).fill);
  assert.notEqual(band, "rgb(0, 0, 0)");
  assert.ok((await page.textContent("#sv-codes-flag-legend")).includes("2"));
  // The shares: code 1 flagged with its "!" and words; the top lists masked, and said so.
  const shares = await page.$$eval("#sv-codes-shares tbody tr", (rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
  assert.deepEqual(shares[0].slice(1, 4), ["13", "54%", "20%"]);
  assert.ok(shares[0][4].startsWith("! "), shares[0][4]);
  assert.equal(shares[1][4], "");
  assert.equal(await page.textContent("#sv-codes-masked"), catalogue.az["supervisor.codes_masked"]);
  assert.deepEqual(await page.$$eval("#sv-codes-phones tbody td:first-child", (c) => c.map((x) => x.textContent)), ["+99450•••••44", "+99455•••••01"]);
  await page.locator("#sv-codes").screenshot({ path: join(shots, "ui-supervisor-codes.png") });

  // Another day and code; a day that does not read asks again, with no request.
  await page.fill("#sv-codes-day", "14.12.2020");
  await page.fill("#sv-codes-code", "2");
  await page.click("#sv-codes-show");
  await page.waitForFunction(() => window.__icazeCalls.filter((x) => x.cmd === "supervisor_codes").length === 2);
  assert.deepEqual((await svCalls("supervisor_codes")).at(-1).args.filter, { day: "2020-12-14", code: 2, baseline_days: null });
  await page.fill("#sv-codes-day", "14/12/2020");
  await page.click("#sv-codes-show");
  assert.equal(await page.getAttribute("#sv-codes-error", "data-code"), "supervisor_bad_date");
  assert.equal((await svCalls("supervisor_codes")).length, 2);

  // The CSV is saved as a file.
  await page.fill("#sv-codes-day", "15.12.2020");
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#sv-codes-csv")]);
  assert.equal(download.suggestedFilename(), "icaze-codes-2020-12-15.csv");
  const csv = readFileSync(await download.path(), "utf8");
  assert.ok(csv.startsWith("\ufeffhour_utc,hour_baku,code,permits,refused,share_of_hour"), csv.slice(0, 60));
  await page.close();
});

test("at 360 px the Codes chart stays readable: bars 6 px wide or more, hour labels apart, scrolled sideways in its own box", async () => {
  const page = await openApp({ viewport: { width: 360, height: 740 } });
  await page.click("#tab-settings");
  await page.click("#settings-supervisor");
  await page.fill("#sv-server", "https://sync.icaze.example");
  await page.fill("#sv-token", "sup-token");
  await page.click("#sv-login");
  await page.waitForSelector("#sv-codes-chart rect.bar", { state: "attached" });
  await page.$eval("#sv-codes", (el) => el.scrollIntoView({ block: "start" }));
  // The boxes of the elements `selector` names, in CSS pixels of the page.
  const boxes = (selector) =>
    page.$$eval(selector, (els) =>
      els.map((el) => {
        const r = el.getBoundingClientRect();
        return { left: r.left, right: r.right, width: r.width, height: r.height };
      }),
    );
  const box = async (selector) => (await boxes(selector))[0];
  const bars = await boxes("#sv-codes-chart rect.bar");
  assert.equal(bars.length, 72);
  const narrowest = Math.min(...bars.map((b) => b.width));
  // 6 px, give or take the SVG's rounding to a tenth.
  assert.ok(narrowest >= 5.95, `the narrowest bar is ${narrowest.toFixed(2)} px wide`);
  // Every hour label at least 10 px high, and no two touching.
  const labels = await boxes("#sv-codes-chart text.label");
  assert.ok(labels.length >= 8, `${labels.length} hour labels`);
  assert.ok(Math.min(...labels.map((l) => l.height)) >= 10, `labels ${Math.min(...labels.map((l) => l.height))} px high`);
  labels.sort((a, b) => a.left - b.left);
  for (let i = 1; i < labels.length; i++) assert.ok(labels[i].left - labels[i - 1].right >= 4, `labels ${i - 1} and ${i} overlap or touch`);
  // It opens on the first flagged hour (10:00), its band in sight.
  const scrolled = await box("#sv-codes-scroll");
  const band = await box("#sv-codes-chart .flag-band");
  assert.ok(band.left >= scrolled.left + 36 && band.right <= scrolled.right, "the first flagged hour is in sight");
  assert.ok(await page.$eval("#sv-codes-scroll", (el) => el.scrollLeft > 0));
  await page.locator("#sv-codes").screenshot({ path: join(shots, "ui-supervisor-codes-360-flagged.png") });
  // The chart scrolls in its own box; the page does not scroll sideways.
  assert.ok(await page.$eval("#sv-codes-scroll", (el) => el.scrollWidth > el.clientWidth + 100));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), "the page is no wider than the phone");
  // Scrolled back to the morning.
  await page.$eval("#sv-codes-scroll", (el) => (el.scrollLeft = 0));
  await page.locator("#sv-codes").screenshot({ path: join(shots, "ui-supervisor-codes-360.png") });
  // Scrolled to the evening, the scale is still in sight at the left.
  await page.$eval("#sv-codes-scroll", (el) => (el.scrollLeft = el.scrollWidth));
  const scroller = await box("#sv-codes-scroll");
  const scale = await boxes("#sv-codes-scale text");
  assert.deepEqual(await page.$$eval("#sv-codes-scale text", (els) => els.map((e) => e.textContent)), ["0", "5", "10"]);
  assert.ok(scale.every((t) => t.left >= scroller.left && t.right <= scroller.right), "the scale is in sight");
  const last = (await boxes("#sv-codes-chart text.label")).at(-1);
  assert.ok(last.right <= scroller.right && last.left > scroller.left, "the last hour is in sight");
  await page.locator("#sv-codes").screenshot({ path: join(shots, "ui-supervisor-codes-360-evening.png") });
  await page.close();
});

test("the supervisor screen is reachable without a device and follows the dark theme", async () => {
  const page = await openApp({ zone: 0, firstStart: true });
  await page.click("text=" + catalogue.az["nav.settings"]);
  await page.click("#settings-supervisor");
  await page.waitForSelector("#sv-login-form");
  await page.fill("#sv-server", "https://offline.example");
  await page.fill("#sv-token", "sup-token");
  await page.click("#sv-login");
  await page.waitForSelector("#sv-error:not([hidden])");
  assert.equal(await page.textContent("#sv-error .sv-error-text"), catalogue.az["error.supervisor_unreachable"]);
  await page.evaluate(() => (document.documentElement.dataset.theme = "dark"));
  await page.fill("#sv-server", "https://sync.icaze.example");
  await page.fill("#sv-token", "sup-token");
  await page.click("#sv-login");
  await page.waitForSelector("#sv-chart-hourly rect.bar.inspections");
  const fill = await page.$eval("#sv-chart-hourly rect.bar.inspections", (el) => getComputedStyle(el).fill);
  assert.equal(fill, "rgb(90, 167, 240)", "the dark theme's accent");
  await page.screenshot({ path: join(shots, "ui-supervisor-dark.png"), fullPage: true });
  await page.close();
});

test("a typo is not a crime: text with no readable permit stays on Scan, neutral, unlogged", async () => {
  const page = await openApp();
  const typo = `${TOKEN.slice(0, 3)}!${TOKEN.slice(4)}`.replace(/IZ[12]/, "IZ?");
  await page.fill("#scan-text", typo);
  await page.click("#scan-check");
  await page.waitForSelector("#retry-banner");
  assert.equal(await page.$("#result"), null, "no verdict screen");
  assert.equal(await page.getAttribute("#screen", "data-screen"), "scan");
  assert.equal(await page.textContent("#retry-banner span"), catalogue.az["error.unreadable_token"]);
  const colour = await page.$eval("#retry-banner", (el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(colour, "rgb(192, 24, 43)", "not painted red");
  assert.equal(await page.inputValue("#scan-text"), typo, "the text stays, to be mended");
  await page.screenshot({ path: join(shots, "ui-unreadable-text.png") });
  await page.click("#tab-log");
  await page.waitForSelector("#screen[data-screen=log]");
  await page.waitForSelector("#log-summary");
  assert.equal(await page.$$eval("#log-list .entry", (items) => items.length), 0, "nothing was logged");
  await page.close();
});

test("the log writes a residence permit as the result does (MYİ, not MYI)", async () => {
  const page = await openApp();
  await check(page, `${TOKEN}MYI`);
  assert.equal(await page.textContent("#result-document"), "MYİ1234567");
  await page.click("#result-next");
  await page.click("#tab-log");
  await page.waitForSelector("#log-list .entry");
  assert.equal(await page.textContent("#log-list .entry .doc"), "MYİ1234567");
  await page.close();
});

// Issue 22 item 4: what the officer sees on a phone. Phone sizes: 360x740, and
// 320 px wide for the narrowest phones still in service.
const PHONE = { width: 360, height: 740 };
const PHONE_320 = { width: 320, height: 640 };

async function chooseLanguage(page, lang) {
  await page.click("#tab-settings");
  await page.click(`#settings-language-${lang}`);
  await page.waitForFunction((l) => document.documentElement.lang === l, lang);
}

test("a banner lies over the screen: the buttons under the thumb do not move when it comes or goes", async () => {
  const page = await openApp({ viewport: PHONE });
  const box = (selector) => page.locator(selector).boundingBox();
  let scanCheck;
  let camera;
  const measure = async () => {
    scanCheck = await box("#scan-check");
    camera = await box("#scan-camera");
  };
  await measure();
  const unmoved = async (banner) => {
    await page.waitForSelector(banner);
    assert.deepEqual(await box("#scan-check"), scanCheck, `${banner}: Check did not move`);
    assert.deepEqual(await box("#scan-camera"), camera, `${banner}: the camera button did not move`);
    const over = await box(banner);
    assert.ok(over.y + over.height <= camera.y, `${banner} ${JSON.stringify(over)} leaves the camera button free`);
  };
  // An error (nothing pasted), then closed.
  await page.click("#scan-check");
  await unmoved("#error-banner");
  await page.screenshot({ path: join(shots, "ui-banner-error-360.png") });
  await page.click("#error-banner .close");
  assert.equal(await page.$("#error-banner"), null);
  assert.deepEqual(await box("#scan-check"), scanCheck);
  // "Paste or scan again" over a typo, in Russian (a longer sentence).
  await chooseLanguage(page, "ru");
  await page.click("#tab-scan");
  await measure();
  await page.fill("#scan-text", "IZ?not a permit");
  await page.click("#scan-check");
  await unmoved("#retry-banner");
  await page.screenshot({ path: join(shots, "ui-banner-retry-ru-360.png") });

  // A notice (a violation recorded): the Save button stays where the thumb left it.
  await page.click("#tab-manual");
  await page.click("#manual-kind-violation");
  await page.fill("#manual-protocol_number", "PR-1");
  await page.fill("#manual-article", "211.2");
  const save = await box("#manual-save");
  await page.click("#manual-save");
  await page.waitForSelector("#notice-banner");
  assert.deepEqual(await box("#manual-save"), save, "Save did not move");
  await page.screenshot({ path: join(shots, "ui-banner-notice-360.png") });
  // The notice goes with its screen: it does not lie over the next one, nor over a verdict.
  await page.click("#tab-scan");
  assert.equal(await page.$("#notice-banner"), null);
  await page.close();
});

/** The tab bar as laid out: each tab's box, its text's lines and whether its text overflows. */
const tabLayout = (page) =>
  page.$$eval("nav.tabs .tab", (tabs) =>
    tabs.map((tab) => {
      const r = tab.getBoundingClientRect();
      const range = document.createRange();
      range.selectNodeContents(tab);
      const lines = new Set([...range.getClientRects()].map((l) => Math.round(l.top))).size;
      return { id: tab.id, text: tab.textContent, top: r.top, left: r.left, right: r.right, lines, overflow: tab.scrollWidth > tab.clientWidth };
    }),
  );

test("at 320 px the five officer tabs fit on one line in every language; the supervisor's screen is reached from Settings", async () => {
  const page = await openApp({ viewport: PHONE_320 });
  for (const lang of ["az", "ru", "en"]) {
    await chooseLanguage(page, lang);
    const tabs = await tabLayout(page);
    assert.deepEqual(
      tabs.map((t) => t.id),
      ["tab-scan", "tab-manual", "tab-log", "tab-sync", "tab-settings"],
      "five tabs, no supervisor's",
    );
    for (const tab of tabs) {
      assert.equal(tab.text, catalogue[lang][`nav.${tab.id.slice(4)}`]);
      assert.ok(tab.left >= 0 && tab.right <= 320, `${lang} ${tab.id} within the screen: ${JSON.stringify(tab)}`);
      assert.equal(tab.top, tabs[0].top, `${lang} ${tab.id} on the same row`);
      assert.equal(tab.lines, 1, `${lang} ${tab.id} on one line`);
      assert.equal(tab.overflow, false, `${lang} ${tab.id} does not overflow`);
    }
    const bar = await page.$eval("nav.tabs", (nav) => [nav.scrollWidth, nav.clientWidth]);
    assert.ok(bar[0] <= bar[1], `${lang}: the tab bar does not scroll sideways (${bar})`);
    await page.screenshot({ path: join(shots, `ui-tabs-320-${lang}.png`) });
  }
  // The supervisor's screen: an entry of Settings, which stays lit.
  await page.click("#tab-settings");
  assert.equal(await page.textContent("#settings-supervisor"), catalogue.en["supervisor.title"]);
  await page.click("#settings-supervisor");
  await page.waitForSelector("#sv-login-form");
  assert.equal(await page.getAttribute("#tab-settings", "aria-current"), "page");
  await page.screenshot({ path: join(shots, "ui-supervisor-from-settings-320.png") });
  await page.close();
});

/** The buttons, tab labels and freshness steps on screen whose text is wider than their box. */
const overflowing = (page) =>
  page.$$eval("nav.tabs .tab, button, .file-button, .ladder .step", (els) =>
    els
      .filter((e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")
      .filter((e) => e.scrollWidth > e.clientWidth || e.scrollHeight > e.clientHeight + 1)
      .map((e) => `${e.id || e.className}: "${e.textContent}" ${e.scrollWidth}x${e.scrollHeight} in ${e.clientWidth}x${e.clientHeight}`),
  );

test("in Russian at 320 px no tab label or button overflows its box, on any screen", async () => {
  const page = await openApp({ viewport: PHONE_320 });
  await chooseLanguage(page, "ru");
  const screens = [];
  const fits = async (name) => {
    await page.waitForSelector("#screen");
    assert.deepEqual(await overflowing(page), [], `${name}: text wider than its button`);
    const [width, wide] = await page.evaluate(() => [
      document.documentElement.scrollWidth,
      [...document.querySelectorAll("#app *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map((e) => `${e.tagName}#${e.id}.${e.className}`)
        .slice(0, 5),
    ]);
    assert.ok(width <= 320, `${name}: the page does not scroll sideways (${width} px: ${wide})`);
    await page.screenshot({ path: join(shots, `ui-ru-320-${name}.png`), fullPage: true });
    screens.push(name);
  };
  await page.click("#tab-scan");
  await fits("scan");
  for (const kind of ["service_card", "summons", "danger", "violation"]) {
    await page.click("#tab-manual");
    await page.click(`#manual-kind-${kind}`);
    await fits(`manual-${kind}`);
  }
  await page.click("#tab-log");
  await page.waitForSelector("#log-list");
  await fits("log");
  await page.click("#tab-sync");
  await fits("sync");
  await page.click("#tab-settings");
  await fits("settings");
  await page.click("#settings-enrollment");
  await page.waitForSelector("#enrollment-code");
  await fits("enrollment");
  await page.click("#tab-settings");
  await page.click("#settings-supervisor");
  await page.waitForSelector("#sv-login-form");
  await fits("supervisor-sign-in");
  await page.fill("#sv-server", "https://sync.icaze.example");
  await page.fill("#sv-token", "sup-token");
  await page.click("#sv-login");
  await page.waitForSelector('#sv-device-list li[data-device="MOCKDEVICE000000"]');
  await page.waitForFunction(() => document.querySelectorAll("#sv-log-rows tr[data-seq]").length > 0);
  await fits("supervisor");
  await page.click("#tab-scan");
  await check(page, `${TOKEN}REVOKED`);
  assert.deepEqual(await overflowing(page), [], "result: text wider than its button");
  await page.screenshot({ path: join(shots, "ui-ru-320-result.png") });
  await page.close();
  assert.equal(screens.length, 11);

  // A device not set up yet: the Setup screen, in Russian.
  const fresh = await openApp({ zone: 0, firstStart: true, viewport: PHONE_320 });
  await fresh.click("text=" + catalogue.az["nav.settings"]);
  await fresh.click("#settings-language-ru");
  await fresh.waitForFunction(() => document.documentElement.lang === "ru");
  await fresh.click("text=" + catalogue.ru["setup.title"]);
  await fresh.waitForSelector("#setup-form");
  assert.deepEqual(await overflowing(fresh), [], "setup: text wider than its button");
  await fresh.screenshot({ path: join(shots, "ui-ru-320-setup.png") });
  await fresh.close();
});

/**
 * The visible, enabled buttons whose text has less than `min` contrast with what
 * lies behind it (WCAG 2 relative luminance; translucent backgrounds laid over
 * their parents'), as "id: ratio colour on background".
 */
const lowContrast = (page, min = 4.5) =>
  page.$$eval(
    "button, .file-button",
    (els, min) => {
      const parse = (c) => {
        const p = /rgba?\(([^)]+)\)/.exec(c)[1].split(/[\s,/]+/).filter(Boolean).map(Number);
        return [p[0], p[1], p[2], p[3] ?? 1];
      };
      const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
      const behind = (el) => {
        const layers = [];
        for (let e = el; e; e = e.parentElement) {
          const c = parse(getComputedStyle(e).backgroundColor);
          if (c[3] > 0) layers.push(c);
          if (c[3] >= 1) break;
        }
        return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]);
      };
      const luminance = (rgb) => {
        const [r, g, b] = rgb.slice(0, 3).map((v) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      return els
        .filter((e) => e.getClientRects().length > 0 && !e.disabled && e.textContent.trim() !== "")
        .map((e) => {
          const bg = behind(e);
          const fg = over(parse(getComputedStyle(e).color), bg);
          const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
          return { id: e.id || e.className, ratio: (a + 0.05) / (b + 0.05), fg, bg };
        })
        .filter((r) => r.ratio < min)
        .map((r) => `${r.id}: ${r.ratio.toFixed(2)} rgb(${r.fg.slice(0, 3).map(Math.round)}) on rgb(${r.bg.slice(0, 3).map(Math.round)})`);
    },
    min,
  );

test("buttons have WCAG AA contrast (4.5:1) in the light, dark and high-contrast themes", async () => {
  for (const theme of ["light", "dark", "high_contrast"]) {
    const page = await openApp({ viewport: PHONE });
    await page.click("#tab-settings");
    await page.click(`#settings-theme-${theme}`);
    await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    const seen = [];
    const readable = async (name) => {
      assert.deepEqual(await lowContrast(page), [], `${theme} ${name}`);
      seen.push(name);
    };
    await readable("settings");
    await page.click("#tab-scan");
    await readable("scan");
    await page.click("#scan-check");
    await page.waitForSelector("#error-banner");
    await readable("scan with an error");
    await page.fill("#scan-text", "IZ?typo");
    await page.click("#scan-check");
    await page.waitForSelector("#retry-banner");
    await readable("scan with 'scan again'");
    await page.click("#tab-manual");
    await page.click("#manual-kind-violation");
    await readable("manual");
    await page.fill("#manual-protocol_number", "PR-1");
    await page.fill("#manual-article", "211.2");
    await page.click("#manual-save");
    await page.waitForSelector("#notice-banner");
    await readable("manual with a notice");
    await page.click("#tab-log");
    await page.waitForSelector("#log-list .entry");
    await readable("log");
    await page.click("#tab-sync");
    await page.click("#sync-now");
    await page.waitForSelector("#sync-result");
    await readable("sync");
    await page.click("#tab-settings");
    await page.click("#settings-supervisor");
    await page.waitForSelector("#sv-login-form");
    await readable("supervisor");
    await page.click("#tab-scan");
    await check(page, TOKEN);
    await readable("green result");
    await page.click("#result-next");
    await check(page, `${TOKEN}REVOKED`);
    await readable("red result");
    await page.screenshot({ path: join(shots, `ui-contrast-red-${theme}.png`) });
    await page.click("#result-next");
    await page.click("#tab-settings");
    await page.screenshot({ path: join(shots, `ui-contrast-settings-${theme}.png`) });
    assert.equal(seen.length, 11);
    await page.close();
  }
});

/** Records, for every field now on the page, whether its `invalid` events were cancelled (no browser bubble). */
const watchBubbles = (page) =>
  page.evaluate(() => {
    window.__icazeBubbles = [];
    for (const f of document.querySelectorAll("input, textarea, select")) {
      f.addEventListener("invalid", (e) => window.__icazeBubbles.push([f.id, e.defaultPrevented]));
    }
  });

test("a field left wrong is explained by the app in its language, under the field, not by the browser's bubble", async () => {
  const page = await openApp({ viewport: PHONE });
  // Azerbaijani: the Manual form sent empty.
  await page.click("#tab-manual");
  await page.click("#manual-kind-violation");
  await watchBubbles(page);
  const save = await page.locator("#manual-save").boundingBox();
  await page.click("#manual-save");
  await page.waitForSelector("#manual-protocol_number-error");
  assert.deepEqual(await page.evaluate(() => window.__icazeBubbles), [
    ["manual-protocol_number", true],
    ["manual-article", true],
  ]);
  assert.equal(await page.textContent("#manual-protocol_number-error"), catalogue.az["validation.required"]);
  assert.equal(await page.textContent("#manual-article-error"), catalogue.az["validation.required"]);
  assert.equal(await page.$("#manual-document-error"), null, "the document is optional");
  assert.equal(await page.getAttribute("#manual-protocol_number", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#manual-protocol_number", "aria-describedby"), "manual-protocol_number-error");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "manual-protocol_number");
  assert.equal(await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "record_manual").length), 0);
  await page.screenshot({ path: join(shots, "ui-validation-az-360.png") });
  // Mended, each message goes; sent, the record is made.
  await page.fill("#manual-protocol_number", "PR-7");
  assert.equal(await page.$("#manual-protocol_number-error"), null);
  assert.notEqual(await page.$("#manual-article-error"), null, "the other field's message stays until it is mended");
  await page.fill("#manual-article", "211.2");
  assert.equal(await page.$("#manual-article-error"), null);
  assert.ok((await page.locator("#manual-save").boundingBox()).y >= save.y);
  await page.click("#manual-save");
  await page.waitForSelector("#notice-banner");

  // Russian: a server address that is not one, and a zone number with a fraction.
  await chooseLanguage(page, "ru");
  await watchBubbles(page);
  await page.fill("#settings-server", "sync.icaze");
  await page.click("#settings-save");
  await page.waitForSelector("#settings-server-error");
  assert.equal(await page.textContent("#settings-server-error"), catalogue.ru["validation.url"]);
  assert.deepEqual(await page.evaluate(() => window.__icazeBubbles), [["settings-server", true]]);
  const saves = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length);
  await page.screenshot({ path: join(shots, "ui-validation-ru-360.png") });
  await page.selectOption("#settings-zone", "other");
  await page.fill("#settings-zone-number", "2.5");
  await page.fill("#settings-server", "https://sync.icaze.example");
  assert.equal(await page.$("#settings-server-error"), null);
  await page.click("#settings-save");
  await page.waitForSelector("#settings-zone-number-error");
  assert.equal(await page.textContent("#settings-zone-number-error"), catalogue.ru["validation.number"]);
  assert.equal(await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length), saves);
  // The Manual form in Russian too.
  await page.click("#tab-manual");
  await page.click("#manual-kind-danger");
  await watchBubbles(page);
  await page.click("#manual-save");
  await page.waitForSelector("#manual-what-error");
  assert.equal(await page.textContent("#manual-what-error"), catalogue.ru["validation.required"]);
  assert.deepEqual(await page.evaluate(() => window.__icazeBubbles), [["manual-what", true]]);
  await page.screenshot({ path: join(shots, "ui-validation-manual-ru-360.png") });
  await page.close();
});

test("Sync shows one 'waiting for upload' figure, its progress with Cancel, then what it received and when", async () => {
  const page = await openApp({ viewport: PHONE });
  for (const text of [TOKEN, `${TOKEN}REVOKED`, `${TOKEN}LATER`]) {
    await check(page, text);
    await page.click("#result-next");
  }
  await page.click("#tab-sync");
  const waiting = () =>
    page.$$eval("#screen dt", (dts, label) => dts.filter((dt) => dt.textContent === label).length, catalogue.az["sync.outbox"]);
  assert.equal(await waiting(), 1);
  assert.equal(await page.textContent("#sync-outbox"), "3");

  // Under way: what it sends, an indeterminate bar, Cancel.
  await page.evaluate(() => (window.__icazeHoldSync = true));
  await page.click("#sync-now");
  await page.waitForSelector("#sync-progress");
  assert.equal(await page.textContent("#sync-progress-text"), catalogue.az["sync.progress_records"].replace("{records}", "3"));
  assert.equal(await page.getAttribute("#sync-progress-bar", "value"), null, "no value the command cannot give");
  assert.equal(await page.isDisabled("#sync-now"), true);
  assert.equal(await page.textContent("#sync-cancel"), catalogue.az["sync.cancel"]);
  await page.screenshot({ path: join(shots, "ui-sync-progress-360.png") });

  // Cancel: the screen stops waiting; the answer that comes later is not shown.
  await page.click("#sync-cancel");
  assert.equal(await page.$("#sync-progress"), null);
  assert.equal(await page.getAttribute("#sync-result", "data-state"), "cancelled");
  assert.equal(await page.textContent("#sync-cancelled"), catalogue.az["sync.cancelled"]);
  assert.equal(await page.isDisabled("#sync-now"), false);
  await page.screenshot({ path: join(shots, "ui-sync-cancelled-360.png") });
  const statuses = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "status").length);
  await page.evaluate(() => window.__icazeReleaseSync());
  await page.waitForFunction((n) => window.__icazeCalls.filter((c) => c.cmd === "status").length > n, statuses);
  await page.waitForFunction(() => document.querySelector("#sync-outbox")?.textContent === "0");
  assert.equal(await page.getAttribute("#sync-result", "data-state"), "cancelled", "the late answer is not shown");
  assert.equal(await page.$("#sync-sent"), null);

  // A sync to its end: records sent, bytes received, the time, and still one waiting figure.
  await page.click("#tab-scan");
  await check(page, TOKEN);
  await page.click("#result-next");
  await page.click("#tab-sync");
  await page.evaluate(() => (window.__icazeHoldSync = false));
  await page.click("#sync-now");
  await page.waitForSelector("#sync-result[data-state=done]");
  assert.equal(await page.textContent("#sync-sent"), "1");
  assert.equal(await page.textContent("#sync-bytes"), "900");
  assert.match(
    await page.textContent("#sync-updated"),
    new RegExp(`^${catalogue.az["sync.updated_at"].replace("{time}", "\\d\\d\\.\\d\\d \\d\\d:\\d\\d")}$`),
  );
  assert.equal(await page.$("#sync-left"), null, "no second waiting figure in the result");
  assert.equal(await waiting(), 1);
  assert.equal(await page.textContent("#sync-outbox"), "0");
  await page.screenshot({ path: join(shots, "ui-sync-done-360.png"), fullPage: true });
  await page.close();
});

/** A `navigator.wakeLock` that records what the app asks: "request" and "release", in order. */
const fakeWakeLock = () => {
  window.__icazeWake = [];
  Object.defineProperty(navigator, "wakeLock", {
    configurable: true,
    value: {
      async request(type) {
        window.__icazeWake.push(`request ${type}`);
        return { release: async () => void window.__icazeWake.push("release"), addEventListener() {} };
      },
    },
  });
};

test("the screen stays awake while Scan and its result show, and may dim elsewhere", async () => {
  const page = await openApp({ viewport: PHONE, init: [fakeWakeLock] });
  const wake = () => page.evaluate(() => window.__icazeWake);
  // openApp went Scan → Settings → Scan.
  await page.waitForFunction(() => window.__icazeWake.at(-1) === "request screen");
  await check(page, TOKEN);
  await page.click("#result-next");
  const held = (await wake()).length;
  assert.equal((await wake()).at(-1), "request screen", "held through the result and back");
  await page.click("#tab-log");
  await page.waitForFunction(() => window.__icazeWake.at(-1) === "release");
  assert.equal((await wake()).length, held + 1);
  await page.click("#tab-scan");
  await page.waitForFunction(() => window.__icazeWake.at(-1) === "request screen");
  await page.close();

  // Without the API (WebKitGTK), Scan works as before.
  const bare = await openApp({
    viewport: PHONE,
    init: [() => Object.defineProperty(Navigator.prototype, "wakeLock", { configurable: true, get: () => undefined })],
  });
  await check(bare, TOKEN);
  assert.equal(await bare.getAttribute("#result", "data-level"), "green");
  await bare.close();
});

/** Counts the tones the page starts (`__icazeTones`): every AudioContext made plays one. */
const countTones = () => {
  window.__icazeTones = 0;
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    constructor(...args) {
      super(...args);
      window.__icazeTones += 1;
    }
  };
};

test("the result's sound can be turned off in Settings, and stays off after a restart", async () => {
  const page = await openApp({ viewport: PHONE, init: [countTones] });
  const tones = () => page.evaluate(() => window.__icazeTones);
  await check(page, TOKEN);
  assert.equal(await tones(), 1, "on by default");
  await page.click("#result-next");
  await page.click("#tab-settings");
  assert.equal(await page.getAttribute("#settings-sound-on", "aria-checked"), "true");
  await page.click("#settings-sound-off");
  assert.equal(await page.getAttribute("#settings-sound-off", "aria-checked"), "true");
  assert.equal(await page.textContent("#settings-sound-off"), catalogue.az["settings.sound.off"]);
  await page.locator("#settings-sound").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "ui-settings-sound-off-360.png") });
  await page.click("#tab-scan");
  await check(page, `${TOKEN}REVOKED`);
  assert.equal(await page.getAttribute("#result", "data-level"), "red");
  assert.equal(await tones(), 1, "no tone with the sound off");
  // A restart keeps the choice (the webview's storage), and the core's settings never saw it.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  await page.click("#tab-settings");
  assert.equal(await page.getAttribute("#settings-sound-off", "aria-checked"), "true");
  const saved = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings"));
  assert.ok(saved.every((c) => !("sound" in c.args.settings)));
  await page.click("#settings-sound-on");
  await page.selectOption("#settings-zone", "1");
  await page.click("#settings-save");
  await page.waitForFunction(() => document.querySelector("#header-zone")?.textContent === "Bakı");
  await page.click("#tab-scan");
  await check(page, TOKEN);
  assert.equal(await page.evaluate(() => window.__icazeTones), 1, "on again");
  await page.close();
});

test("the theme can follow the system's light or dark, and keeps following it after a restart", async () => {
  const page = await openApp({ viewport: PHONE });
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  await page.emulateMedia({ colorScheme: "dark" });
  await page.click("#tab-settings");
  assert.equal(await theme(), "light", "the saved theme until asked to follow");
  assert.equal(await page.textContent("#settings-theme-system"), catalogue.az["settings.theme.system"]);
  const saves = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length);
  await page.click("#settings-theme-system");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  assert.equal(await page.getAttribute("#settings-theme-system", "aria-checked"), "true");
  assert.equal(await page.getAttribute("#settings-theme-light", "aria-checked"), "false");
  await page.screenshot({ path: join(shots, "ui-theme-system-dark-360.png") });
  // The system turns light: the app follows at once.
  await page.emulateMedia({ colorScheme: "light" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "light");
  await page.emulateMedia({ colorScheme: "dark" });
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  assert.equal(
    await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").length),
    saves,
    "the core's theme is not touched",
  );
  // After a restart it still follows.
  await page.reload();
  await page.waitForSelector("body[data-ready=true]");
  assert.equal(await theme(), "dark");
  await page.click("#tab-settings");
  assert.equal(await page.getAttribute("#settings-theme-system", "aria-checked"), "true");
  // A theme of its own ends the following.
  await page.click("#settings-theme-high_contrast");
  await page.waitForFunction(() => document.documentElement.dataset.theme === "high_contrast");
  assert.equal(await page.getAttribute("#settings-theme-system", "aria-checked"), "false");
  await page.emulateMedia({ colorScheme: "light" });
  assert.equal(await theme(), "high_contrast");
  const last = await page.evaluate(() => window.__icazeCalls.filter((c) => c.cmd === "save_settings").at(-1).args);
  assert.equal(last.settings.theme, "high_contrast");
  await page.close();
});
