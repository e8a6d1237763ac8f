// Where the officer checks: the first-run zone step, zones by name in Settings,
// on the Result, the Log and the header, by number without data; a device set
// up from the root key.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, TOKEN, openApp, check } from "./harness.mjs";

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
