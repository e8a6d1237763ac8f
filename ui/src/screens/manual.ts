// Manual checks: a service card, a summons, imminent danger, a violation.
// Each is logged like an inspection, without a token. A red result can open
// this screen on the violation form with the document filled in
// (`State.manualDraft`).
import { api, type ManualRequest } from "../api";
import type { Ctx } from "../app";
import { canonicalDocument } from "../document";
import { h } from "../dom";
import { type Key, t } from "../i18n";

type Kind = ManualRequest["kind"];

/** The fields of each kind, in order; `optional` ones may stay empty. */
export const MANUAL_FIELDS: Record<Kind, { name: string; optional?: boolean }[]> = {
  service_card: [{ name: "organisation" }, { name: "card_number" }],
  summons: [{ name: "issuer" }, { name: "document" }],
  danger: [{ name: "what" }],
  violation: [{ name: "protocol_number" }, { name: "article" }, { name: "document", optional: true }],
};

let chosen: Kind = "service_card";

export function manualScreen(ctx: Ctx): HTMLElement {
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
    }) as HTMLInputElement | HTMLTextAreaElement;
    input.value = draft?.fields[name] ?? "";
    inputs.set(name, input);
    return h("label", { class: "field" }, h("span", {}, t(`manual.field.${name}` as Key)), input);
  });
  const note = h("textarea", { id: "manual-note", maxlength: 1000, rows: 2 });
  // From a draft, the officer's next step is the first field left empty (the protocol's number).
  if (draft) {
    const next = [...inputs.values()].find((input) => input.value === "");
    if (next) queueMicrotask(() => next.focus());
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!zone) return ctx.go("settings");
    const v = (name: string) => inputs.get(name)?.value.trim() ?? "";
    const noteText = note.value.trim() || null;
    const request: ManualRequest =
      chosen === "service_card"
        ? { kind: chosen, organisation: v("organisation"), card_number: v("card_number"), zone, note: noteText }
        : chosen === "summons"
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
              ctx.state.manualDraft = null;
              ctx.go("manual");
            },
          },
          t(`manual.kind.${kind}` as Key),
        ),
      ),
    ),
    h(
      "form",
      { onsubmit: submit, id: "manual-form" },
      fields,
      h("label", { class: "field" }, h("span", {}, t("manual.field.note")), note),
      h("button", { class: "primary big", type: "submit", id: "manual-save", disabled: !zone }, t("manual.save")),
    ),
  );
}
