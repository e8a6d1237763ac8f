// The supervisor's screen, reached from Settings: sign-in, charts, totals, the log,
// revocation, devices, import, the Codes view (also at 360 px), the dark theme.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, openApp } from "./harness.mjs";

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
