// The citizen page, /p#<token> (crates/icaze-server/web/p/), in headless Chromium
// against the real `icaze serve`:
//
// - a real SMS permit is drawn as a QR code that the Rust decoder (`icaze qr --decode`)
//   reads back as exactly the token's QR form, as the Rust encoder makes it;
// - the page's own QR encoder (qr.js) at many lengths, versions 1 to 15, each decoded
//   by the Rust decoder and checked against the version the Rust encoder picks;
// - the validity in Baku time and the countdown, with the browser's clock pinned;
// - a missing, damaged or foreign token gives a clear message, not a QR code;
// - /p takes the whole SMS pasted as it arrived (the real replies in az and ru, broken
//   across lines, with Cyrillic around them, or carrying the token as a link) and shows
//   its permit; a text without one gets a message in the page's language;
// - the token is sent nowhere, and the strict CSP is never violated;
// - after the first visit the page opens with the network off and the server stopped
//   (service worker);
// - qr.js makes, module for module, the symbol the Rust encoder makes (versions 1 to 40);
// - p.js reads every token of the known-answer vectors of formats v1 and v2 as the Rust
//   verifier does: the same claims, the same QR form, the same reason for a malformed one,
//   and finds the token in every longer text of those files as the verifier does (no
//   browser).
//
// Run: bash tests/web/run.sh citizen  (builds target/debug/icaze, then node --test).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { bakuTime, findToken, readToken, toQrDigits } from "../../crates/icaze-server/web/p/p.js";
import { encodeDigits, versionFor } from "../../crates/icaze-server/web/p/qr.js";
import { bakuDate, DEMO, launchChromium, repo, shotsDir, startServer } from "./server.mjs";

const icaze = process.env.ICAZE_BINARY ?? join(repo, "target", "debug", "icaze");
const outDir = join(shotsDir, "citizen");

/** Runs the icaze binary; returns stdout, failing with stderr when it exits non-zero. */
function run(args) {
  const result = spawnSync(icaze, args, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`icaze ${args.join(" ")} failed (${result.status}):\n${result.stderr}`);
  return { stdout: result.stdout, stderr: result.stderr };
}

/** The texts of every QR code in an image, read by the Rust decoder (crates/icaze-qr). */
function decodeImage(path) {
  return run(["qr", "--decode", path]).stdout.trim().split("\n");
}

/** The token's QR form as the Rust side makes it: encoded by `icaze qr`, read back. */
function rustQrDigits(token) {
  const png = join(outDir, "rust-reference.png");
  run(["qr", token, "--png", png]);
  const [digits] = decodeImage(png);
  assert.match(digits, /^[0-9]+$/);
  return digits;
}

/** The QR version the Rust encoder picks for `digits` (from `icaze qr --raw`'s report). */
function rustVersion(digits) {
  const { stderr } = run(["qr", "--raw", digits, "--png", join(outDir, "rust-version.png")]);
  const m = /QR version (\d+) .*error correction M/.exec(stderr);
  assert.ok(m, stderr);
  return Number(m[1]);
}

/** The reply of the SMS service to `text` sent from the phone `from`, as the phone gets it. */
async function smsReply(url, from, text) {
  const query = new URLSearchParams({ from, text });
  return (await fetch(`${url}/sms/8103?${query}`)).text();
}

/**
 * A permit by SMS to 8103, as a citizen gets it; returns the token (SMS form): the word
 * that starts with `IZ` and the format version's digit (`IZ2…` from today's issuers).
 */
async function smsPermit(url, from, text) {
  const reply = await smsReply(url, from, text);
  const token = reply.split(/\s+/).find((word) => /^IZ[0-9]/.test(word));
  assert.ok(token, `no token in the SMS reply: ${reply}`);
  return token;
}

/**
 * Puts `text` into the paste box and presses its button. (The value is set without an
 * input event, which would show a permit at once: a paste is tested on its own.)
 */
async function paste(page, text) {
  await page.$eval("#sms", (field, value) => {
    field.value = value;
  }, text);
  await page.click("#show");
}

/** A phone's screen: 360 CSS pixels wide, the narrowest of the common Android phones. */
const PHONE = { viewport: { width: 360, height: 760 }, deviceScaleFactor: 2 };

/** Claims of a token as the Rust verifier reads them (`icaze verify` with the server's keys). */
function verify(data, token) {
  const result = spawnSync(icaze, ["verify", "--trust", join(data, "authority", "trustlist"), token], {
    encoding: "utf8",
  });
  return JSON.parse(result.stdout);
}

/** `2020-12-15T10:00:00+04:00` → `2020-12-15 10:00`: how the page writes a Baku time. */
const bakuText = (rfc3339) => {
  assert.match(rfc3339, /\+04:00$/);
  return rfc3339.slice(0, 16).replace("T", " ");
};

/** Opens the page for `hash` and waits until it has rendered a permit or a problem. */
async function open(page, url, hash) {
  await page.goto(`${url}/p${hash}`);
  await page.waitForSelector("body[data-state=ok], body[data-state=error]");
  return page.evaluate(() => document.body.dataset.state);
}

/** A page that records console CSP complaints and page errors, to assert there are none. */
async function watchedPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  return { page, problems };
}

describe("citizen page /p#<token>", () => {
  let server;
  let browser;
  let token;
  let claims;

  before(async () => {
    mkdirSync(outDir, { recursive: true });
    server = await startServer();
    browser = await launchChromium();
    token = await smsPermit(server.url, "994501112233", "2 AZE11111111");
    const verdict = verify(server.data, token);
    // An SMS permit starts a quarter of an hour after it is issued (the regime's lead time).
    assert.ok(["valid", "not_yet_valid"].includes(verdict.status), JSON.stringify(verdict));
    claims = verdict.permit;
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("draws the token's QR form, which the Rust decoder reads back exactly", async () => {
    const context = await browser.newContext({ locale: "az-AZ" });
    const { page, problems } = await watchedPage(context);
    const requests = [];
    page.on("request", (request) => requests.push(request.url()));
    assert.equal(await open(page, server.url, `#${token}`), "ok");
    const shot = join(outDir, "sms-permit-qr.png");
    await page.locator("#qr").screenshot({ path: shot });
    await page.screenshot({ path: join(outDir, "sms-permit-page.png"), fullPage: true });
    const expected = rustQrDigits(token);
    // docs/token-format.md §2.2: 17 digits per 7 bytes, then 3, 5, 8, 10, 13 or 15.
    const bytes = Math.floor(((token.length - 3) * 6) / 8);
    assert.equal(expected.length, 17 * Math.floor(bytes / 7) + [0, 3, 5, 8, 10, 13, 15][bytes % 7]);
    assert.deepEqual(decodeImage(shot), [expected]);
    assert.equal(await page.locator("#qr").getAttribute("data-version"), String(rustVersion(expected)));

    // The same permit given in its QR form (digits) gives the same code.
    assert.equal(await open(page, server.url, `#${expected}`), "ok");
    const fromDigits = join(outDir, "digits-form-qr.png");
    await page.locator("#qr").screenshot({ path: fromDigits });
    assert.deepEqual(decodeImage(fromDigits), [expected]);

    // Nothing but the page's own files was requested, and no request carried the token.
    for (const url of requests) {
      assert.ok(!url.includes(token.slice(3, 40)) && !url.includes(expected.slice(0, 40)), url);
      assert.match(new URL(url).pathname, /^\/p(\/(p\.js|qr\.js|p\.css|sw\.js|zones\.js)?)?$/, url);
    }
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("shows the holder's details and the validity in Baku time, in three languages", async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    assert.equal(await open(page, server.url, `#${token}`), "ok");
    await page.click("button[data-lang=az]");
    assert.equal(await page.textContent("h1"), "İcazə");
    assert.equal(await page.textContent(".brightness"), "Ekranın parlaqlığını artırın");
    assert.equal(await page.textContent("#document"), "AZE11111111");
    assert.equal(await page.textContent("#purpose"), "Zəruri ehtiyaclar");
    // Zones by name in the page's language (the regime's names, from /p/zones.js).
    assert.deepEqual(claims.zones, [1], "the demo holder of AZE11111111 lives in zone 1");
    await page.waitForFunction(() => !/\d/.test(document.getElementById("zones").textContent));
    assert.equal(await page.textContent("#zones"), "Bakı");
    assert.equal(await page.textContent("#serial"), String(claims.serial));
    assert.equal(await page.textContent("#valid-from"), `${bakuText(claims.valid_from)} (Bakı vaxtı)`);
    assert.equal(await page.textContent("#valid-until"), `${bakuText(claims.valid_until)} (Bakı vaxtı)`);
    assert.match(await page.textContent(".note"), /imzasını yoxlamır/);
    assert.equal(await page.isVisible("#vehicle-row"), false);

    await page.click("button[data-lang=ru]");
    assert.equal(await page.textContent("h1"), "Пропуск");
    assert.equal(await page.textContent(".brightness"), "Увеличьте яркость экрана");
    assert.equal(await page.textContent("#valid-until"), `${bakuText(claims.valid_until)} (время Баку)`);
    assert.equal(await page.textContent("#zones"), "Баку");
    await page.click("button[data-lang=en]");
    assert.equal(await page.textContent("h1"), "Permit");
    assert.equal(await page.textContent("#purpose"), "Necessities");
    assert.match(await page.textContent(".note"), /the officer's device checks it/);
    // The choice is remembered for the next visit.
    await page.reload();
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.textContent("h1"), "Permit");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("an employer's work permit runs from 00:00 of its first day to 24:00 of its last", async () => {
    const org = await server.adminPost("/v1/organisations", {
      tax_id: "1000000001",
      name: "Bakı Metropoliteni",
      login: "citizen.test",
      person_name: "Test Person",
    });
    assert.equal(org.status, 201, JSON.stringify(org.body));
    const login = await fetch(`${server.url}/portal/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "citizen.test", password: org.body.password }),
    });
    assert.equal(login.status, 200);
    const { csrf } = await login.json();
    const cookie = login.headers.getSetCookie().map((c) => c.split(";")[0]).find((c) => c.startsWith("icaze_portal="));
    // A one-time password allows nothing but setting one's own.
    const own = await fetch(`${server.url}/portal/api/password`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
      body: JSON.stringify({ old: org.body.password, new: "a password of my own" }),
    });
    assert.equal(own.status, 200, await own.text());
    const employee = await fetch(`${server.url}/portal/api/employees`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie, "x-csrf-token": csrf },
      body: JSON.stringify({
        document: DEMO.synthetic(0).document,
        name: "Leyla Məmmədova",
        position: "engineer",
        zones: [1],
        valid_from: bakuDate(0),
        valid_until: bakuDate(5),
      }),
    });
    const body = await employee.json();
    assert.equal(employee.status, 201, JSON.stringify(body));
    const workToken = body.permit.token;

    const context = await browser.newContext();
    const page = await context.newPage();
    assert.equal(await open(page, server.url, `#${workToken}`), "ok");
    await page.click("button[data-lang=en]");
    assert.equal(await page.textContent("#purpose"), "Work");
    assert.equal(await page.textContent("#document"), DEMO.synthetic(0).document);
    // The dates the server registered (Baku calendar days, both ends included).
    assert.equal(await page.textContent("#valid-from"), `${body.valid_from} 00:00 (Baku time)`);
    assert.equal(await page.textContent("#valid-until"), `${body.valid_until} 24:00 (Baku time)`);
    assert.match(await page.textContent("#countdown"), /^Time left: [4-6] d \d\d:\d\d:\d\d$/);
    const shot = join(outDir, "work-permit-qr.png");
    await page.locator("#qr").screenshot({ path: shot });
    assert.deepEqual(decodeImage(shot), [rustQrDigits(workToken)]);
    await context.close();
  });

  test("counts down to the end of validity, with the browser's clock pinned", async () => {
    const from = Date.parse(claims.valid_from);
    const until = Date.parse(claims.valid_until);
    const context = await browser.newContext();
    const page = await context.newPage();
    // 15 seconds after a whole minute, 30 minutes into the permit.
    await page.clock.setFixedTime(new Date(from + 30 * 60_000 + 15_000));
    assert.equal(await open(page, server.url, `#${token}`), "ok");
    await page.click("button[data-lang=en]");
    const left = Math.floor((until - from) / 1000) - 30 * 60 - 15;
    const hms = (s) =>
      [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60].map((n) => String(n).padStart(2, "0")).join(":");
    assert.equal(await page.textContent("#countdown"), `Time left: ${hms(left)}`);
    assert.equal(await page.getAttribute("#countdown", "data-phase"), "valid");

    // Ten minutes before the start, the page says when it starts.
    await page.clock.setFixedTime(new Date(from - 10 * 60_000));
    await page.reload();
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.textContent("#countdown"), "Starts in: 00:10:00");
    assert.equal(await page.getAttribute("#countdown", "data-phase"), "pending");

    // At the end minute it has expired; the QR code is still shown for the officer.
    await page.clock.setFixedTime(new Date(until));
    await page.reload();
    await page.waitForSelector("body[data-state=ok]");
    await page.click("button[data-lang=az]");
    assert.equal(await page.textContent("#countdown"), "İcazənin müddəti bitib");
    assert.equal(await page.getAttribute("#countdown", "data-phase"), "expired");
    assert.equal(await page.isVisible("#qr"), true);
    await context.close();
  });

  test("a missing, damaged or foreign token gives a clear message and no code", async () => {
    const context = await browser.newContext();
    const { page, problems } = await watchedPage(context);
    const cases = [
      ["", "no_token", /Ünvanda icazə yoxdur/],
      // 48 characters after the prefix (`IZ` and a digit) are 36 bytes, shorter than a
      // signature.
      [`#${token.slice(0, 51)}`, "truncated", /Bu icazə oxunmur/],
      [`#${token.slice(0, 20)}*${token.slice(21)}`, "bad_encoding", /Bu icazə oxunmur/],
      // Base64url of length 1 modulo 4 is never canonical, whatever the prefix.
      [`#${token.slice(0, 8)}`, "bad_encoding", /Bu icazə oxunmur/],
      // The prefix of the other format the page reads, on this token: its version and the
      // digit after IZ differ (docs/token-format.md §2.4 step 5).
      [`#IZ${token[2] === "1" ? "2" : "1"}${token.slice(3)}`, "invalid_field", /Bu icazə oxunmur/],
      // A format the page does not know yet: nothing after the prefix is read.
      [`#IZ3${token.slice(3)}`, "unsupported_version", /daha yeni formatdadır/],
      [`#${"1".repeat(406)}`, "too_long", /Bu icazə oxunmur/],
      [`#<img src=x onerror=alert(1)>`, "bad_encoding", /Bu icazə oxunmur/],
    ];
    await page.goto(`${server.url}/p`);
    await page.click("button[data-lang=az]");
    for (const [hash, code, message] of cases) {
      assert.equal(await open(page, server.url, hash), "error", hash);
      assert.equal(await page.isVisible("#permit"), false, hash);
      assert.match(await page.textContent("#problem-text"), message, hash);
      assert.equal(await page.textContent("#problem-code"), `(${code})`, hash);
      assert.equal(await page.locator("img").count(), 0, "token text never becomes markup");
    }
    await page.screenshot({ path: join(outDir, "bad-token.png"), fullPage: true });
    // A new fragment in the same page is read again.
    await page.evaluate((t) => {
      location.hash = t;
    }, token);
    await page.waitForSelector("body[data-state=ok]");
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("/p takes the whole SMS as it arrived, in az and ru, and shows its permit; nothing is sent", async () => {
    const context = await browser.newContext({ ...PHONE, locale: "az-AZ" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    const { page, problems } = await watchedPage(context);
    const requests = [];
    page.on("request", (request) => requests.push(request.url()));
    // The link of the SMS opens /p with no permit: the paste box, no alarm.
    assert.equal(await open(page, server.url, ""), "error");
    assert.equal(await page.isVisible("#paste"), true);
    assert.equal(await page.isVisible("#permit"), false);
    assert.equal(await page.isVisible("#problem h2"), false);
    assert.match(await page.textContent("#problem-text"), /Ünvanda icazə yoxdur\. 8103-dən gələn icazə SMS-ini aşağıya yapışdırın/);
    assert.equal(await page.textContent("label[for=sms]"), "8103-dən gələn icazə SMS-ini bütövlükdə bura yapışdırın:");
    await page.screenshot({ path: join(outDir, "paste-empty-360.png"), fullPage: true });

    // The real Azerbaijani reply (the day's permit of AZE11111111, sent again to its phone),
    // whole, with the phone's line breaks: between the words, and one inside the token where
    // the screen wrapped it, after a no-break space.
    const az = await smsReply(server.url, "994501112233", "2 AZE11111111");
    assert.match(az, /^Icaze AZE11111111 \d\d\.\d\d \d\d:\d\d-.* IZ2[A-Za-z0-9_-]+$/);
    assert.ok(az.endsWith(token), az);
    await paste(page, `8103\n${az.replace(/ /g, "\n")}\n`);
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.evaluate(() => location.hash), `#${token}`);
    assert.equal(await page.textContent("#document"), "AZE11111111");
    const broken = `${az.slice(0, -70)}\u00a0\n${az.slice(-70, -35)} ${az.slice(-35)}`;
    await page.goBack();
    await page.waitForSelector("body[data-state=error]");
    assert.equal(await page.isVisible("#paste"), true, "back returns to the paste box");
    await paste(page, broken);
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.evaluate(() => location.hash), `#${token}`);
    const shot = join(outDir, "paste-az-permit-360.png");
    await page.screenshot({ path: shot, fullPage: true });
    assert.deepEqual(decodeImage(shot), [rustQrDigits(token)]);

    // The real Russian reply, pasted by a citizen who forwarded it with a word of their own.
    const ru = await smsReply(server.url, "994502223344", "RU 2 MYI1234567");
    assert.match(ru, /^Propusk MYI1234567 .* IZ2[A-Za-z0-9_-]+$/);
    const ruToken = ru.split(" ").pop();
    await page.goto(`${server.url}/p`);
    await page.waitForSelector("body[data-state=error]");
    await page.click("button[data-lang=ru]");
    assert.equal(await page.textContent("#show"), "Показать пропуск");
    await paste(page, `Вот мой пропуск на сегодня:\n\n${ru}\n\nОтправлено с телефона`);
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.evaluate(() => location.hash), `#${ruToken}`);
    assert.equal(await page.textContent("h1"), "Пропуск");
    assert.equal(await page.textContent("#document"), "MYİ1234567");
    await page.screenshot({ path: join(outDir, "paste-ru-permit-360.png"), fullPage: true });
    assert.equal(verify(server.data, ruToken).permit.document, "MYİ1234567");

    // A real paste (the clipboard, Ctrl+V) shows the permit without the button, and so
    // does text put in by a keyboard (a keyboard's clipboard suggestion types it).
    await page.click(".another a");
    await page.waitForSelector("body[data-state=error]");
    await page.evaluate((text) => navigator.clipboard.writeText(text), az);
    await page.focus("#sms");
    await page.keyboard.press("Control+V");
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.evaluate(() => location.hash), `#${token}`);
    await page.goBack();
    await page.waitForSelector("body[data-state=error]");
    await page.fill("#sms", ru);
    await page.waitForSelector("body[data-state=ok]");
    assert.equal(await page.evaluate(() => location.hash), `#${ruToken}`);

    // Text with no permit: said in the page's language, and the page stays as it was.
    await page.goto(`${server.url}/p`);
    await page.waitForSelector("body[data-state=error]");
    await page.click("button[data-lang=az]");
    for (const text of ["Salam! 2 AZE11111111 göndərdim, cavab gəlmədi", "Привет, как дела?", "", "IZ iz2abc IZ-2"]) {
      await paste(page, text);
      assert.equal(await page.isVisible("#paste-problem"), true, text);
      assert.match(await page.textContent("#paste-problem"), /^Bu mətndə icazə tapılmadı\./, text);
      assert.equal(await page.evaluate(() => document.body.dataset.state), "error", text);
      assert.equal(await page.evaluate(() => location.hash), "", text);
    }
    await page.click("button[data-lang=ru]");
    assert.match(await page.textContent("#paste-problem"), /^В этом тексте нет пропуска\./);
    await page.click("button[data-lang=en]");
    assert.match(await page.textContent("#paste-problem"), /^No permit found in this text\./);
    await page.screenshot({ path: join(outDir, "paste-no-permit-360.png"), fullPage: true });
    // A permit cut short: the reason, as for a damaged address.
    await paste(page, az.slice(0, 70));
    assert.match(await page.textContent("#paste-problem"), /^This permit cannot be read/);
    await page.click("button[data-lang=az]");
    assert.match(await page.textContent("#paste-problem"), /^Bu icazə oxunmur/);

    // Nothing but the page's own files was requested, none with a token or the pasted text.
    for (const url of requests) {
      for (const secret of [token.slice(3, 40), ruToken.slice(3, 40), "AZE11111111", "MYI1234567", "Salam"]) {
        assert.ok(!decodeURIComponent(url).includes(secret), url);
      }
      assert.match(new URL(url).pathname, /^\/p(\/(p\.js|qr\.js|p\.css|sw\.js|zones\.js)?)?$/, url);
    }
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("qr.js encodes 1 to 1000 digits (versions 1 to 15) as the Rust decoder reads them", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/p`);
    // Deterministic pseudo-random digits (a linear congruential generator).
    let seed = 20201214;
    const digits = (n) =>
      Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return String(Math.floor(seed / 65536) % 10);
      }).join("");
    const versions = new Set();
    for (const n of [1, 2, 34, 35, 100, 128, 197, 283, 331, 405, 442, 513, 1000]) {
      const text = n === 1 ? "0" : digits(n);
      const version = await page.evaluate(async (d) => {
        const { encodeDigits, drawQr } = await import("/p/qr.js");
        const qr = encodeDigits(d);
        document.getElementById("unit-qr")?.remove();
        const canvas = document.createElement("canvas");
        canvas.id = "unit-qr";
        document.body.prepend(canvas);
        drawQr(canvas, qr, 4);
        return qr.version;
      }, text);
      const shot = join(outDir, `qrjs-${n}.png`);
      await page.locator("#unit-qr").screenshot({ path: shot });
      assert.deepEqual(decodeImage(shot), [text], `${n} digits`);
      assert.equal(version, rustVersion(text), `${n} digits: the smallest version at M`);
      versions.add(version);
    }
    assert.ok(versions.has(1) && versions.has(7) && versions.has(10) && versions.size >= 9, [...versions].join(","));
    // Not digits, or too many for version 40-M, is refused with a stable code.
    const refused = await page.evaluate(async () => {
      const { encodeDigits } = await import("/p/qr.js");
      const codes = [];
      for (const input of ["12a", "9".repeat(5597)]) {
        try {
          encodeDigits(input);
          codes.push("accepted");
        } catch (error) {
          codes.push(error.code);
        }
      }
      return codes;
    });
    assert.deepEqual(refused, ["not_digits", "too_long"]);
    await context.close();
  });
});

describe("citizen page offline", () => {
  test("after the first visit it opens with the network off and the server stopped", async () => {
    const server = await startServer({ count: 20 });
    const browser = await launchChromium();
    try {
      const token = await smsPermit(server.url, "994501112233", "2 AZE11111111");
      const context = await browser.newContext();
      const page = await context.newPage();
      assert.equal(await open(page, server.url, `#${token}`), "ok");
      // Wait until the service worker is active and has stored the page's files.
      const cached = await page.evaluate(async () => {
        await navigator.serviceWorker.ready;
        const cache = await caches.open("icaze-p-v2");
        return (await cache.keys()).map((request) => new URL(request.url).pathname).sort();
      });
      assert.deepEqual(cached, ["/p", "/p/", "/p/p.css", "/p/p.js", "/p/qr.js", "/p/sw.js", "/p/zones.js"]);
      const url = server.url;
      await server.stop();
      await context.setOffline(true);
      assert.equal(await open(page, url, `#${token}`), "ok");
      await page.reload();
      await page.waitForSelector("body[data-state=ok]");
      const shot = join(outDir, "offline-qr.png");
      await page.locator("#qr").screenshot({ path: shot });
      assert.deepEqual(decodeImage(shot), [rustQrDigits(token)]);
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});

describe("citizen page with the SMS link configured (icaze serve --citizen-page)", () => {
  test("the reply's link opens the permit, and the reply pasted whole shows it", async () => {
    const server = await startServer({ count: 20, args: ["--citizen-page", "https://icaze.az/p"] });
    const browser = await launchChromium();
    try {
      const reply = await smsReply(server.url, "994501112233", "RU 2 AZE11111111");
      // One GSM-7 SMS: the token is the link's fragment, not repeated.
      assert.ok(reply.length <= 160, `${reply.length}: ${reply}`);
      const m = /^(Propusk )?AZE11111111 [0-9.: -]+ icaze\.az\/p#(IZ2[A-Za-z0-9_-]+)$/.exec(reply);
      assert.ok(m, reply);
      const linkToken = m[2];
      assert.equal(verify(server.data, linkToken).permit.document, "AZE11111111");
      const context = await browser.newContext({ ...PHONE, locale: "ru-RU" });
      const { page, problems } = await watchedPage(context);
      // Tapped: the phone opens the link's address; here, the same path and fragment.
      const link = new URL(`http://${reply.split(" ").pop()}`);
      assert.equal(link.pathname, "/p");
      assert.equal(await open(page, server.url, link.hash), "ok");
      assert.equal(await page.textContent("#document"), "AZE11111111");
      // Pasted whole: the token is found after the link's `#`.
      await page.goto(`${server.url}/p`);
      await page.waitForSelector("body[data-state=error]");
      await paste(page, reply);
      await page.waitForSelector("body[data-state=ok]");
      assert.equal(await page.evaluate(() => location.hash), `#${linkToken}`);
      await page.screenshot({ path: join(outDir, "paste-link-ru-360.png"), fullPage: true });
      assert.deepEqual(problems, []);
      await context.close();
    } finally {
      await browser.close();
      await server.stop();
    }
  });
});

describe("p.js reads tokens as docs/token-format.md says (known-answer vectors)", () => {
  const hex = (bytes) => Buffer.from(bytes).toString("hex");
  const reading = (input) => {
    try {
      return { token: readToken(input) };
    } catch (error) {
      return { code: error.code };
    }
  };

  // Both formats a device reads (sections 9.1 and 9.4): the fewest readable and malformed
  // single-token cases each file is known to hold, and the first QR digit group of its
  // worked example (section 7 for v1, section 10.1 for v2).
  const formats = [
    { version: 1, readable: 15, malformed: 20, firstGroup: "05067680697357569" },
    { version: 2, readable: 20, malformed: 30, firstGroup: "09571280324728065" },
  ];
  for (const format of formats) {
    const file = `permit-v${format.version}`;
    const vectors = JSON.parse(readFileSync(join(repo, "tests", "vectors", `${file}.json`), "utf8"));
    // readToken takes one token; findToken, tested below, finds it in a whole text (section 2.3).
    const single = vectors.cases.filter((c) => /^(IZ[0-9][A-Za-z0-9_-]*|[0-9]{100,})$/.test(c.input));

    test(`${file}: well-formed tokens: the same bytes, QR form and claims`, () => {
      const readable = single.filter((c) => c.token_hex);
      assert.ok(readable.length >= format.readable, `${readable.length} cases`);
      for (const c of readable) {
        const { token, code } = reading(c.input);
        assert.ok(token, `${c.name}: refused (${code})`);
        assert.equal(hex(token.bytes), c.token_hex, c.name);
        assert.equal(token.digits, toQrDigits(Buffer.from(c.token_hex, "hex")), c.name);
        const { claims } = token;
        const utc = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
        assert.deepEqual(
          {
            document: claims.document.replace("İ", "I"),
            key_id: claims.keyId,
            purpose: claims.purpose,
            serial: claims.serial,
            valid_from: utc(claims.validFrom),
            valid_until: utc(claims.validUntil),
            vehicle: claims.vehicle,
            zones: claims.zones,
          },
          {
            document: c.claims.document,
            key_id: c.claims.key_id,
            purpose: c.claims.purpose,
            serial: c.claims.serial,
            valid_from: c.claims.valid_from,
            valid_until: c.claims.valid_until,
            vehicle: c.claims.vehicle,
            zones: c.claims.zones,
          },
          c.name,
        );
      }
      // The worked example's QR form, from docs/token-format.md.
      assert.equal(reading(single[0].input).token.digits.slice(0, 17), format.firstGroup);
    });

    test(`${file}: malformed tokens: the reason the Rust verifier gives`, () => {
      const malformed = single.filter((c) => c.status === "malformed");
      assert.ok(malformed.length >= format.malformed, `${malformed.length} cases`);
      for (const c of malformed) assert.equal(reading(c.input).code, c.reason, c.name);
      // Only the signature and the keys tell these apart from good ones: the page reads them.
      for (const c of single.filter((c) => c.status !== "malformed")) assert.ok(reading(c.input).token, c.name);
    });

    test(`${file}: every single bit flipped: the page refuses exactly the malformed ones, for the same reason`, () => {
      const lines = readFileSync(join(repo, "tests", "vectors", `${file}-bitflips.txt`), "utf8")
        .split("\n")
        .filter((line) => line && !line.startsWith("#"));
      assert.equal(lines.length, 81 * 8);
      for (const line of lines) {
        const [bit, status, reason, input] = line.split(" ");
        const { code } = reading(input);
        assert.equal(code, status === "malformed" ? reason : undefined, `bit ${bit}`);
      }
    });
  }

  test("findToken reads a whole text as §2.3 says: every case of both vector files", () => {
    for (const file of ["permit-v1", "permit-v2"]) {
      const vectors = JSON.parse(readFileSync(join(repo, "tests", "vectors", `${file}.json`), "utf8"));
      assert.ok(vectors.cases.some((c) => /\s/.test(c.input.trim())), `${file}: longer texts among the cases`);
      for (const c of vectors.cases) {
        let found;
        try {
          found = { hex: hex(findToken(c.input).token.bytes) };
        } catch (error) {
          found = { code: error.code };
        }
        // Well-formed whatever its signature or key: the token the verifier judged.
        if (c.token_hex) assert.deepEqual(found, { hex: c.token_hex }, `${file}: ${c.name}`);
        else if (c.status === "malformed") assert.deepEqual(found, { code: c.reason }, `${file}: ${c.name}`);
        else assert.ok(found.hex, `${file}: ${c.name}: ${found.code}`);
      }
    }
  });

  test("findToken joins an SMS token a phone broke across lines, and nothing else", () => {
    const vectors = JSON.parse(readFileSync(join(repo, "tests", "vectors", "permit-v2.json"), "utf8"));
    const token = vectors.cases.find((c) => c.name === "sms permit, SMS form").input;
    const reply = `Icaze AZE11111111 15.12 10:15-13:15 ${token}`;
    const found = (text) => {
      try {
        return findToken(text).text;
      } catch (error) {
        return error.code;
      }
    };
    assert.equal(found(reply), token);
    assert.equal(found(`Propusk AZE11111111\n15.12 10:15-13:15\r\nicaze.az/p#${token}`), token);
    // Broken by a line break, a space, a no-break space, a zero-width space, a soft hyphen.
    for (const gap of ["\n", " ", "\u00a0", "\u200b", "\u00ad", " \r\n "]) {
      assert.equal(found(`${reply.slice(0, 60)}${gap}${reply.slice(60)}`), token, JSON.stringify(gap));
    }
    assert.equal(found(`${reply.slice(0, 50)}\n${reply.slice(50, 90)}\n${reply.slice(90, 120)} ${reply.slice(120)}`), token);
    // Not across other characters, and not from a piece that is no candidate.
    assert.equal(found(`${reply.slice(0, 60)}.${reply.slice(60)}`), "bad_encoding");
    assert.equal(found(`${reply.slice(0, 38)}\n${reply.slice(38)}`), "no_token");
    // Texts without a permit.
    for (const text of ["", "Salam! 2 AZE11111111", "Привет, как дела?", "iz2" + token.slice(3), "IZ", "AZE11111111 " + "1".repeat(99)]) {
      assert.equal(found(text), "no_token", text);
    }
    // A permit cut short, the reason a damaged token has.
    assert.equal(found(reply.slice(0, 36 + 3 + 60)), "truncated");
  });

  test("Baku times: a midnight end is 24:00 of the day before", () => {
    assert.equal(bakuTime(Date.parse("2020-12-15T06:00:00Z")), "2020-12-15 10:00");
    assert.equal(bakuTime(Date.parse("2021-01-31T20:00:00Z"), { end: true }), "2021-01-31 24:00");
    assert.equal(bakuTime(Date.parse("2021-01-31T20:00:00Z")), "2021-02-01 00:00");
    assert.equal(bakuTime(Date.parse("2020-12-31T21:30:00Z"), { end: true }), "2021-01-01 01:30");
  });
});

/**
 * The modules of a QR code PNG written by `icaze qr --png` (8-bit greyscale, 8 px a
 * module, a quiet zone of 4 modules), as rows of 0 (light) and 1 (dark).
 */
function modulesOfPng(path) {
  const png = readFileSync(path);
  assert.equal(png.toString("latin1", 1, 4), "PNG");
  let at = 8;
  let width = 0;
  const idat = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.toString("latin1", at + 4, at + 8);
    const data = png.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      assert.deepEqual([data[8], data[9]], [8, 0], "8-bit greyscale");
    } else if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const rows = [];
  let previous = new Uint8Array(width);
  for (let y = 0; y * (width + 1) < raw.length; y++) {
    const filter = raw[y * (width + 1)];
    const line = Uint8Array.from(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)));
    for (let x = 0; x < width; x++) {
      const a = x > 0 ? line[x - 1] : 0;
      const b = previous[x];
      const c = x > 0 ? previous[x - 1] : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      line[x] = (line[x] + [0, a, b, (a + b) >> 1, paeth][filter]) & 0xff;
    }
    rows.push(line);
    previous = line;
  }
  const size = width / 8 - 8;
  return Array.from({ length: size }, (_, y) =>
    Array.from({ length: size }, (_, x) => (rows[(y + 4) * 8 + 4][(x + 4) * 8 + 4] < 128 ? "1" : "0")).join(""),
  );
}

describe("qr.js against the Rust encoder (crates/icaze-qr), no browser", () => {
  test("the same symbol, module for module, from version 1 to 40", () => {
    mkdirSync(outDir, { recursive: true });
    let seed = 18004;
    const versions = [];
    // For every version, the most digits it holds at level M (its capacity), so that
    // every version's block structure is compared, and a wrong capacity shows as a
    // symbol of another size.
    const capacities = [];
    for (let n = 1; n <= 5596; n++) if (versionFor(n + 1) !== versionFor(n)) capacities.push(n);
    assert.equal(capacities.length, 40);
    for (const n of [1, ...capacities]) {
      const digits = Array.from({ length: n }, () => {
        seed = (seed * 1103515245 + 12345) % 2147483648;
        return String(Math.floor(seed / 65536) % 10);
      }).join("");
      const png = join(outDir, "rust-symbol.png");
      run(["qr", "--raw", digits, "--png", png]);
      const rust = modulesOfPng(png);
      // The Rust encoder picks its mask by its own scoring, which is not always the
      // standard's: compare with qr.js at each mask; exactly one must match every module.
      const matching = [];
      for (let mask = 0; mask < 8; mask++) {
        const qr = encodeDigits(digits, { mask });
        const js = Array.from({ length: qr.size }, (_, y) =>
          Array.from({ length: qr.size }, (_, x) => (qr.dark(x, y) ? "1" : "0")).join(""),
        );
        if (js.length === rust.length && js.every((row, y) => row === rust[y])) matching.push(mask);
      }
      assert.equal(matching.length, 1, `${n} digits: masks matching the Rust symbol: ${matching}`);
      versions.push(encodeDigits(digits).version);
    }
    assert.deepEqual(versions, [1, ...Array.from({ length: 40 }, (_, i) => i + 1)]);
    // The capacities of the standard's table 7 at level M, numeric mode: versions 1, 5, 10, 40.
    assert.deepEqual([capacities[0], capacities[4], capacities[9], capacities[39]], [34, 202, 513, 5596]);
  });
});
