// The 102 call-centre console: issue a funeral permit by telephone (its QR,
// token and a link to the citizen page to pass on, or the permit sent by SMS
// to the caller's phone), and the operator's own permits, each revocable with
// a reason.
import { api, guarded } from "./api.js";
import { $, checkRequired, el, errorBox, field, fieldErrorLine, fill, formErrors, labelRow, screen, table } from "./dom.js";
import { t } from "./i18n.js";
import { bakuRange, funeralDefaults } from "./time.js";
import { zoneList, zoneName, zones } from "./zones.js";

export async function consoleScreen() {
  const error = errorBox("funeral-error");
  const list = await zones();
  const zoneField = list?.length
    ? el(
        "div",
        { class: "field" },
        el("label", { for: "funeral-zone", text: t("funeral.zone") }),
        el(
          "select",
          { id: "funeral-zone", required: true, "aria-describedby": "funeral-zone-error" },
          list.map((z) => el("option", { value: String(z.id), text: zoneName(z.id) })),
        ),
        fieldErrorLine("funeral-zone"),
      )
    : field("funeral-zone", t("funeral.zone"), { type: "number", min: 0, step: 1, required: true, inputmode: "numeric" });
  const errors = formErrors(error, {
    document: "funeral-document",
    zones: "funeral-zone",
    valid_from: "funeral-from",
    valid_until: "funeral-until",
    note: "funeral-note",
  });
  const result = el("div", { id: "funeral-result", "aria-live": "polite" });
  const form = el(
    "form",
    { id: "funeral-form", class: "card", novalidate: true },
    field("funeral-document", t("field.document"), { required: true, autocapitalize: "characters" }),
    zoneField,
    el(
      "div",
      { class: "row" },
      field("funeral-from", t("funeral.from"), { type: "datetime-local", value: funeralDefaults().from, required: true, step: 900 }),
      field("funeral-until", t("funeral.until"), { type: "datetime-local", value: funeralDefaults().until, required: true }),
    ),
    field("funeral-note", t("funeral.note"), { rows: 2 }, "textarea"),
    error,
    el("button", { type: "submit", id: "funeral-submit", text: t("funeral.issue") }),
  );
  const tbody = el("tbody");
  // The last two columns (the citizen page's link, the revocation) need no name: their contents say what they are.
  const headers = [t("permit.serial"), t("field.document"), t("field.zones"), t("field.validity"), "", ""];
  const more = el("button", { type: "button", id: "funeral-more", class: "secondary", text: t("action.more"), hidden: true });
  let after = null;
  const row = (p) =>
    labelRow(
      headers,
      el(
        "tr",
        { "data-serial": p.serial },
        el("td", { class: "serial", text: p.serial }),
        el("td", { text: p.document }),
        el("td", { text: zoneList(p.zones) }),
        el("td", { text: bakuRange(p.valid_from, p.valid_until) }),
        el("td", {}, p.token ? el("a", { href: `/p#${p.token}`, target: "_blank", rel: "noopener", text: t("funeral.citizen_page") }) : null),
        el("td", {}, revokeCell(p)),
      ),
    );
  // A revoked permit says so; a live one has a button that asks why, then revokes it.
  function revokeCell(p) {
    if (p.revoked) return el("span", { class: "status revoked", text: t("funeral.revoked") });
    const button = el("button", { type: "button", class: "secondary revoke", "data-serial": p.serial, text: t("funeral.revoke") });
    button.addEventListener("click", async () => {
      const reason = window.prompt(t("funeral.revoke_reason", { serial: p.serial }));
      if (!reason || !reason.trim()) return;
      await guarded(error, async () => {
        const done = await api("POST", `/portal/api/funeral/${encodeURIComponent(p.serial)}/revoke`, { reason: reason.trim() });
        button.replaceWith(revokeCell(done));
        // The permit card above, if it shows this permit, says so too.
        const card = $("#funeral-permit");
        if (card && card.dataset.serial === String(p.serial) && !card.querySelector(".status.revoked")) {
          card.classList.add("revoked");
          card.prepend(el("p", { class: "status revoked", id: "funeral-permit-revoked", text: t("funeral.revoked") }));
        }
      });
    });
    return button;
  }
  async function load() {
    await guarded(error, async () => {
      const data = await api("GET", `/portal/api/funeral${after !== null ? `?after=${encodeURIComponent(after)}` : ""}`);
      const permits = Array.isArray(data) ? data : data?.permits ?? data?.entries ?? [];
      for (const p of permits) tbody.append(row(p));
      after = Array.isArray(data) ? null : data?.next ?? null;
      more.hidden = after === null;
    });
  }
  more.addEventListener("click", load);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!checkRequired(errors, ["funeral-document", "funeral-zone", "funeral-from", "funeral-until"])) return;
    const note = $("#funeral-note").value.trim();
    $("#funeral-submit").disabled = true;
    await guarded(errors, async () => {
      const p = await api("POST", "/portal/api/funeral", {
        document: $("#funeral-document").value.trim().toUpperCase(),
        zone: Number($("#funeral-zone").value),
        valid_from: $("#funeral-from").value,
        valid_until: $("#funeral-until").value,
        ...(note ? { note } : {}),
      });
      fill(result, el("h2", { text: t("funeral.issued", { serial: p.serial }) }), await permitCard(p));
      tbody.prepend(row(p));
      // Ready for the next call: the caller's details cleared, the times as they start.
      form.reset();
      const defaults = funeralDefaults();
      $("#funeral-from").value = defaults.from;
      $("#funeral-until").value = defaults.until;
    });
    const submit = $("#funeral-submit");
    if (submit) submit.disabled = false;
  });
  queueMicrotask(load);
  return screen(
    "funeral.title",
    form,
    result,
    el("h2", { text: t("funeral.mine") }),
    table("funeral-list", headers, [], tbody),
    more,
  );
}

/** The card of a permit just issued: its QR, details, token and the citizen page's link. */
async function permitCard(p) {
  return el(
    "div",
    { class: "permit card", id: "funeral-permit", "data-serial": String(p.serial) },
    await funeralQr(p),
    el(
      "dl",
      {},
      el("dt", { text: t("permit.serial") }),
      el("dd", { id: "funeral-serial", text: p.serial }),
      el("dt", { text: t("field.document") }),
      el("dd", { text: p.document }),
      el("dt", { text: t("field.zones") }),
      el("dd", { text: zoneList(p.zones) }),
      el("dt", { text: t("field.validity") }),
      el("dd", { id: "funeral-validity", text: bakuRange(p.valid_from, p.valid_until) }),
      p.note ? [el("dt", { text: t("funeral.note") }), el("dd", { id: "funeral-note-value", text: p.note })] : null,
      el("dt", { text: t("funeral.operator") }),
      el("dd", { text: typeof p.operator === "string" ? p.operator : p.operator?.login ?? "" }),
      el("dt", { text: t("permit.token") }),
      el("dd", {}, el("code", { id: "funeral-token", class: "token", text: p.token })),
    ),
    el("p", {}, el("a", { href: `/p#${p.token}`, id: "funeral-citizen", target: "_blank", rel: "noopener", text: t("funeral.citizen_page") })),
    smsForm(p),
  );
}

/**
 * "Send by SMS": the caller's phone and the SMS's language (the 8103
 * service's permit reply, in Azerbaijani unless the caller asks otherwise).
 * The server refuses a revoked permit; without a gateway it says so, and the
 * operator reads the permit out instead.
 */
function smsForm(p) {
  const error = errorBox("funeral-sms-error");
  const done = el("p", { id: "funeral-sms-result", class: "sms-sent", "aria-live": "polite", hidden: true });
  const languages = [
    ["az", "Azərbaycanca"],
    ["ru", "Русский"],
    ["en", "English"],
  ];
  const errors = formErrors(error, { phone: "funeral-sms-phone", language: "funeral-sms-language" });
  const form = el(
    "form",
    { id: "funeral-sms", class: "sms", novalidate: true },
    el("h3", { text: t("funeral.sms") }),
    el(
      "div",
      { class: "row" },
      field("funeral-sms-phone", t("funeral.sms_phone"), { type: "tel", required: true, autocomplete: "off", inputmode: "tel", placeholder: "+994…" }),
      el(
        "div",
        { class: "field" },
        el("label", { for: "funeral-sms-language", text: t("funeral.sms_language") }),
        el(
          "select",
          { id: "funeral-sms-language", "aria-describedby": "funeral-sms-language-error" },
          languages.map(([code, name]) => el("option", { value: code, lang: code, text: name })),
        ),
        fieldErrorLine("funeral-sms-language"),
      ),
    ),
    error,
    done,
    el("button", { type: "submit", id: "funeral-sms-send", class: "secondary", text: t("funeral.sms_send") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const phone = form.querySelector("#funeral-sms-phone").value.trim();
    done.hidden = true;
    if (!checkRequired(errors, ["funeral-sms-phone"])) return;
    const button = form.querySelector("#funeral-sms-send");
    button.disabled = true;
    await guarded(errors, async () => {
      const sent = await api("POST", `/portal/api/funeral/${encodeURIComponent(p.serial)}/sms`, {
        phone,
        language: form.querySelector("#funeral-sms-language").value,
      });
      done.textContent = t("funeral.sms_sent", { phone: `+${sent.phone}` });
      done.hidden = false;
    });
    button.disabled = false;
  });
  return form;
}

/**
 * The QR of a funeral permit. The contract has no QR route for funeral
 * permits, so the page tries the server's (`/portal/api/funeral/{serial}/qr.svg`)
 * and otherwise draws the token's QR form in the browser with the citizen
 * page's reader and encoder (`/p/p.js`, `/p/qr.js`), which follow
 * docs/token-format.md §2.2 as the server's encoder does.
 */
async function funeralQr(p) {
  const img = el("img", { id: "funeral-qr", class: "qr", alt: t("permit.qr_alt"), width: 200, height: 200 });
  const serverSvg = `/portal/api/funeral/${encodeURIComponent(p.serial)}/qr.svg`;
  try {
    const r = await fetch(serverSvg, { method: "HEAD", credentials: "same-origin" });
    if (r.ok && (r.headers.get("content-type") ?? "").startsWith("image/")) {
      img.src = serverSvg;
      return img;
    }
  } catch {
    // Fall through to the browser's encoder.
  }
  try {
    const [{ readToken }, { encodeDigits, drawQr }] = await Promise.all([import("/p/p.js"), import("/p/qr.js")]);
    const canvas = document.createElement("canvas");
    drawQr(canvas, encodeDigits(readToken(p.token).digits), 6);
    img.src = canvas.toDataURL("image/png");
    return img;
  } catch {
    // No encoder: the link to the citizen page still shows the QR.
  }
  return el(
    "p",
    { id: "funeral-qr-missing", class: "note" },
    el("a", { href: `/p#${p.token}`, target: "_blank", rel: "noopener", text: t("funeral.citizen_page") }),
  );
}
