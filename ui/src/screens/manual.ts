// Manual checks: a service card, a summons, imminent danger, a violation.
// Each is logged like an inspection, without a token. A red result can open
// this screen on the violation form with the document filled in
// (`State.manualDraft`). A service card is also looked up among the
// authorised organisations (`check_service_card`), and its answer shown
// under the form: ✓ authorised, ✗ not authorised, ? unknown or several.
// "Scan the card's code" reads the tax id from the card's QR code with the
// Scan screen's camera (camera-panel.ts; what a code may carry: `cardTaxId`)
// and checks it as if typed, once the card's number is there.
import { api, type ManualRequest, type Organisation, type ServiceCard } from "../api";
import type { Ctx } from "../app";
import { cameraPanel, stopCamera } from "../camera-panel";
import { cardLook, cardTaxId, hasTaxId } from "../cards";
import { canonicalDocument } from "../document";
import { h } from "../dom";
import { type Key, t } from "../i18n";
import { bakuDateTime } from "../time";
import { zoneNames } from "../zones";

type Kind = ManualRequest["kind"];

/** The fields of each kind, in order; `optional` ones may stay empty. */
export const MANUAL_FIELDS: Record<Kind, { name: string; optional?: boolean }[]> = {
  service_card: [{ name: "organisation" }, { name: "card_number" }],
  summons: [{ name: "issuer" }, { name: "document" }],
  danger: [{ name: "what" }],
  violation: [{ name: "protocol_number" }, { name: "article" }, { name: "document", optional: true }],
};

let chosen: Kind = "service_card";
/** The last service card's answer, shown under the form until another kind is chosen (a notice redraws the screen). */
let lastCard: ServiceCard | null = null;

export function manualScreen(ctx: Ctx): HTMLElement {
  stopCamera();
  const zone = ctx.state.settings.zone;
  // A draft (from a red result) stays in the state while this screen shows,
  // so that a render after a refused save fills it in again; choosing
  // another kind, a saved record or another screen drops it.
  const draft = ctx.state.manualDraft;
  if (draft) chosen = draft.kind;
  const inputs = new Map<string, HTMLInputElement | HTMLTextAreaElement>();
  const fields = MANUAL_FIELDS[chosen].map(({ name, optional }) => {
    const input = h(name === "what" ? "textarea" : "input", {
      id: `manual-${name}`,
      name,
      maxlength: name === "what" ? 1000 : 200,
      required: !optional,
      placeholder: name === "organisation" ? t("manual.field.organisation_hint") : null,
    }) as HTMLInputElement | HTMLTextAreaElement;
    // After a service card, its fields stay as checked (the screen is redrawn with the notice).
    const checked = chosen === "service_card" ? lastCard?.record.details.find((d) => d.name === name)?.value : undefined;
    input.value = draft?.fields[name] ?? checked ?? "";
    inputs.set(name, input);
    return h("label", { class: "field" }, h("span", {}, t(`manual.field.${name}` as Key)), input);
  });
  const note = h("textarea", { id: "manual-note", maxlength: 1000, rows: 2 });
  // From a draft, the officer's next step is the first field left empty (the protocol's number).
  if (draft) {
    const next = [...inputs.values()].find((input) => input.value === "");
    if (next) queueMicrotask(() => next.focus());
  }

  // The officer picked one of several: check it by its tax id.
  const choose = (taxId: string) => {
    const input = inputs.get("organisation");
    if (input) input.value = taxId;
    form.requestSubmit();
  };
  // The service card's code, read by the camera: the tax id goes in the
  // organisation field, and the card is checked (the same command, logged
  // the same way, as typed) if its number is there; else the number is asked for.
  const scanned = h("p", { class: "hint", id: "card-scanned", "aria-live": "polite", hidden: true });
  const cardCamera =
    chosen === "service_card"
      ? cameraPanel({
          id: "card",
          open: t("card.scan"),
          openClass: "big",
          aim: t("card.camera_aim"),
          other: (text) => {
            const code = cardTaxId(text);
            return t("problem" in code && code.problem === "several" ? "card.several_tax_ids" : "card.no_tax_id");
          },
          accept: hasTaxId,
          fail: (e) => ctx.fail(e),
          check: (text) => {
            const code = cardTaxId(text);
            const organisation = inputs.get("organisation");
            const number = inputs.get("card_number");
            if (!("taxId" in code) || !organisation || !number) return;
            organisation.value = code.taxId;
            if (number.value.trim()) return form.requestSubmit();
            scanned.textContent = t("card.scanned", { tax_id: code.taxId });
            scanned.hidden = false;
            number.focus();
          },
        })
      : null;
  const answerSlot = h(
    "div",
    { id: "card-answer-slot", "aria-live": "polite" },
    chosen === "service_card" && lastCard ? cardAnswerView(ctx, lastCard, choose) : null,
  );

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!zone) return ctx.go("settings");
    const v = (name: string) => inputs.get(name)?.value.trim() ?? "";
    const noteText = note.value.trim() || null;
    if (chosen === "service_card") {
      const request = { organisation: v("organisation"), card_number: v("card_number"), zone, note: noteText };
      const answer = await ctx.run(() => api.checkServiceCard(request));
      if (answer) {
        lastCard = answer;
        ctx.notify(t("manual.saved", { seq: answer.record.seq }));
      }
      return;
    }
    const request: ManualRequest =
      chosen === "summons"
        ? { kind: chosen, issuer: v("issuer"), document: v("document"), zone, note: noteText }
        : chosen === "danger"
          ? { kind: chosen, what: v("what"), zone, note: noteText }
          : {
              kind: chosen,
              protocol_number: v("protocol_number"),
              article: v("article"),
              // As the log keeps a permit's document (MYI…, not MYİ…).
              document: canonicalDocument(v("document")) || null,
              zone,
              note: noteText,
            };
    const record = await ctx.run(() => api.recordManual(request));
    if (record) {
      ctx.state.manualDraft = null;
      ctx.notify(t("manual.saved", { seq: record.seq }));
    }
  };

  const form = h(
    "form",
    { onsubmit: submit, id: "manual-form" },
    cardCamera,
    scanned,
    fields,
    h("label", { class: "field" }, h("span", {}, t("manual.field.note")), note),
    h("button", { class: "primary big", type: "submit", id: "manual-save", disabled: !zone }, t("manual.save")),
  );

  return h(
    "section",
    { class: "manual" },
    h("h1", {}, t("manual.title")),
    h(
      "div",
      { class: "segmented", role: "tablist" },
      (Object.keys(MANUAL_FIELDS) as Kind[]).map((kind) =>
        h(
          "button",
          {
            role: "tab",
            id: `manual-kind-${kind}`,
            class: kind === chosen ? "active" : "",
            "aria-selected": kind === chosen ? "true" : "false",
            onclick: () => {
              chosen = kind;
              lastCard = null;
              ctx.state.manualDraft = null;
              ctx.go("manual");
            },
          },
          t(`manual.kind.${kind}` as Key),
        ),
      ),
    ),
    form,
    answerSlot,
  );
}

/** A service card's answer: its sign and words, the organisation judged, or the ones to choose from. */
function cardAnswerView(ctx: Ctx, answer: ServiceCard, choose: (taxId: string) => void): HTMLElement {
  const look = cardLook(answer.standing, answer.reason);
  const row = (label: string, value: string | null, id: string) =>
    value ? h("div", { class: "row" }, h("dt", {}, label), h("dd", { id }, value)) : null;
  const about = (o: Organisation) => [
    row(t("card.sector"), o.sector, "card-sector"),
    row(t("card.tax_id"), o.tax_id, "card-tax-id"),
    row(t("card.zones"), o.zones.length ? zoneNames(ctx.state.zones, o.zones) : t("card.everywhere"), "card-zones"),
    row(t("card.until"), o.until ? bakuDateTime(o.until) : null, "card-until"),
  ];
  const o = answer.organisation;
  return h(
    "section",
    { class: `card-answer ${look.level}`, id: "card-answer", "data-standing": answer.standing, role: "status" },
    h(
      "h2",
      {},
      h("span", { class: "symbol", id: "card-symbol", "aria-hidden": "true" }, look.symbol),
      h("span", { id: "card-title" }, t(look.title)),
    ),
    o ? h("p", { class: "name", id: "card-name" }, o.name) : null,
    look.reason ? h("p", { id: "card-reason" }, t(look.reason)) : null,
    o ? h("dl", {}, about(o)) : null,
    answer.matches.length
      ? h(
          "ul",
          { id: "card-matches" },
          answer.matches.map((m) =>
            h(
              "li",
              {},
              h(
                "button",
                { type: "button", class: "match", id: `card-match-${m.tax_id}`, onclick: () => choose(m.tax_id) },
                h("strong", {}, m.name),
                ` · ${m.sector} · ${m.tax_id}`,
              ),
            ),
          ),
        )
      : null,
  );
}
