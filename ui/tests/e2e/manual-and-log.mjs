// The Manual screen (a violation recorded from a red result, a service card's
// answer) and the Log (today's checks, replaced permits, documents as printed).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, TOKEN, openApp, check } from "./harness.mjs";

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
