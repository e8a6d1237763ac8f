// Issue 22 item 9: the 102 operator sends the permit just issued to the
// caller's phone by SMS. Two servers: one without --sms-send-url (the page
// says, in Azerbaijani, that the service sends no SMS), and one whose
// --sms-send-url is a small HTTP stub standing in for the operator's Kannel
// (crates/icaze-server/tests/portal.rs sends through a real Kannel).
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { apiRequestsDuring } from "./portal-page.mjs";
import { DEMO, bakuDateTime, launchChromium, shotsDir, startServer } from "./server.mjs";

const PASSWORD = "Yeni-şifrə-2020!";
let browser;
const servers = [];
/** What the stub gateway was asked to send: the sendsms query's parameters. */
const sent = [];
let gateway;

before(async () => {
  mkdirSync(shotsDir, { recursive: true });
  browser = await launchChromium();
  gateway = createServer((req, res) => {
    const url = new URL(req.url, "http://stub");
    if (url.pathname !== "/cgi-bin/sendsms" || url.searchParams.get("password") !== "stub-password") {
      res.writeHead(403, { "content-type": "text/plain" }).end("Authorization failed for sendsms");
      return;
    }
    sent.push(Object.fromEntries(url.searchParams));
    res.writeHead(202, { "content-type": "text/plain" }).end("0: Accepted for delivery");
  });
  await new Promise((done) => gateway.listen(0, "127.0.0.1", done));
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.stop();
  await new Promise((done) => gateway?.close(done) ?? done());
});

/** A 360-pixel-wide page of an operator who just issued a funeral permit. */
async function issued(server, login) {
  const created = await server.adminPost("/v1/operators", { login, name: "Elnur Bağırov" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const context = await browser.newContext({ viewport: { width: 360, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on("pageerror", (e) => problems.push(e.message));
  await page.goto(`${server.url}/portal/`);
  await page.waitForSelector("body[data-ready=true]");
  await page.waitForSelector('body[data-route="login"]');
  await page.fill("#login-login", login);
  await page.fill("#login-password", created.body.password);
  await page.click("#login-submit");
  await page.waitForSelector('body[data-route="password"]');
  await page.fill("#password-old", created.body.password);
  await page.fill("#password-new", PASSWORD);
  await page.fill("#password-repeat", PASSWORD);
  await page.click("#password-submit");
  await page.waitForSelector('body[data-route="console"]');
  await page.fill("#funeral-document", DEMO.baku);
  if ((await page.$eval("#funeral-zone", (e) => e.tagName)) === "SELECT") await page.selectOption("#funeral-zone", "2");
  else await page.fill("#funeral-zone", "2");
  await page.fill("#funeral-from", bakuDateTime(60));
  await page.fill("#funeral-until", bakuDateTime(60 + 8 * 60));
  await page.click("#funeral-submit");
  await page.waitForSelector("#funeral-serial, #funeral-error:not([hidden])", { timeout: 10_000 });
  assert.ok(await page.$("#funeral-serial"), `no permit: ${await page.textContent("#funeral-error")}`);
  assert.equal(await page.inputValue("#funeral-sms-phone"), "", "the phone starts empty");
  assert.equal(await page.inputValue("#funeral-sms-language"), "az");
  return { page, problems, serial: (await page.textContent("#funeral-serial")).trim(), token: (await page.textContent("#funeral-token")).trim() };
}

test("without an SMS gateway the console says so in Azerbaijani", async () => {
  const server = await startServer();
  servers.push(server);
  const { page, problems } = await issued(server, "op-nosms");
  // No phone: said beside it, and nothing is sent.
  const sentEmpty = await apiRequestsDuring(page, async () => {
    await page.click("#funeral-sms-send");
    await page.waitForSelector("#funeral-sms-phone-error:not([hidden])");
  });
  assert.deepEqual(sentEmpty, [], "an SMS form without a phone sends nothing");
  assert.equal(await page.textContent("#funeral-sms-error"), "Qeyd olunmuş sahəni doldurun.");
  assert.equal(await page.textContent("#funeral-sms-phone-error"), "Bu sahəni doldurun.");
  assert.equal(await page.getAttribute("#funeral-sms-phone", "aria-invalid"), "true");
  await page.fill("#funeral-sms-phone", "+994 50 123 45 67");
  await page.click("#funeral-sms-send");
  await page.waitForSelector("#funeral-sms-error:not([hidden])");
  assert.equal(await page.textContent("#funeral-sms-error"), "Bu xidmət SMS göndərmir: icazəni zəng edənə oxuyun.");
  assert.ok(await page.isHidden("#funeral-sms-result"));
  await page.screenshot({ path: join(shotsDir, "console-sms-not-configured-360.png"), fullPage: true });
  // A phone that is not one is named as such.
  await page.fill("#funeral-sms-phone", "050 12x");
  await page.click("#funeral-sms-send");
  await page.waitForFunction(() => document.querySelector("#funeral-sms-error").textContent.startsWith("Telefon"));
  // The phone's own error, beside it.
  assert.equal(await page.textContent("#funeral-sms-phone-error"), await page.textContent("#funeral-sms-error"));
  assert.deepEqual(problems, []);
});

test("with a gateway the permit goes to the caller's phone in the language chosen", async () => {
  const { port } = gateway.address();
  const url = `http://127.0.0.1:${port}/cgi-bin/sendsms?username=icaze&password=stub-password`;
  const server = await startServer({ args: ["--sms-send-url", url] });
  servers.push(server);
  const { page, problems, token } = await issued(server, "op-sms");
  await page.fill("#funeral-sms-phone", "+994 50 123 45 67");
  await page.selectOption("#funeral-sms-language", "en");
  await page.click("#funeral-sms-send");
  await page.waitForSelector("#funeral-sms-result:not([hidden])");
  assert.equal(await page.textContent("#funeral-sms-result"), "İcazə SMS ilə +994501234567 nömrəsinə göndərildi.");
  assert.equal(sent.length, 1);
  const [sms] = sent;
  assert.equal(sms.to, "994501234567");
  assert.equal(sms.from, "8103");
  assert.equal(sms.username, "icaze");
  assert.ok(sms.text.includes(DEMO.baku) && sms.text.endsWith(token), sms.text);
  assert.ok(sms.text.length <= 160, sms.text);
  await page.screenshot({ path: join(shotsDir, "console-sms-sent-360.png"), fullPage: true });
  assert.deepEqual(problems, []);
});
