// Issue 22 item 4, what the officer sees on a phone: banners that do not move the
// buttons, tabs and labels that fit 320 px, contrast in every theme, fields
// explained by the app.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { shots, catalogue, TOKEN, openApp, check, PHONE, PHONE_320, chooseLanguage } from "./harness.mjs";

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
