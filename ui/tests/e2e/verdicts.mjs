// The Result screen: each verdict's title, colour, sign and time row, in each
// language; the return to Scan; errors explained; a typo kept off the log; the
// high-contrast theme's verdict colours.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, TOKEN, openApp, check, background } from "./harness.mjs";

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
