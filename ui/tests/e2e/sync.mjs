// The Sync screen: its running state, result and enrollment status, a failed
// sync, the export, the progress with Cancel.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, TOKEN, openApp, check, PHONE } from "./harness.mjs";

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
