// Reactivation after a regime change: new permits for deactivated employees,
// all of them or those chosen.
import { api, guarded } from "./api.js";
import { $, el, errorBox, field, fill, screen, showError } from "./dom.js";
import { t } from "./i18n.js";
import { bakuDay } from "./time.js";

export async function reactivateScreen() {
  const error = errorBox("reactivate-error");
  const data = await api("GET", "/portal/api/employees?status=deactivated&limit=500");
  const list = data?.employees ?? [];
  const all = el("input", { type: "checkbox", id: "reactivate-all", checked: true });
  const boxes = list.map((e) => el("input", { type: "checkbox", id: `reactivate-${e.id}`, value: String(e.id) }));
  const picks = el(
    "fieldset",
    { id: "reactivate-list", disabled: true },
    el("legend", { text: t("employees.title") }),
    list.length
      ? list.map((e, i) => el("label", { class: "check", for: `reactivate-${e.id}` }, boxes[i], ` ${e.document} — ${e.name}`))
      : el("p", { id: "reactivate-empty", text: t("reactivate.none") }),
  );
  all.addEventListener("change", () => {
    picks.disabled = all.checked;
  });
  const result = el("div", { id: "reactivate-result" });
  const form = el(
    "form",
    { id: "reactivate-form", class: "card", novalidate: true },
    el("p", { class: "note", text: t("reactivate.help") }),
    el("label", { class: "check", for: "reactivate-all" }, all, ` ${t("reactivate.all")}`),
    picks,
    el(
      "div",
      { class: "row" },
      field("reactivate-from", t("field.valid_from"), { type: "date", value: bakuDay(), required: true }),
      field("reactivate-until", t("field.valid_until"), { type: "date", value: bakuDay(14), required: true }),
    ),
    error,
    el("button", { type: "submit", id: "reactivate-submit", text: t("reactivate.submit") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ids = boxes.filter((b) => b.checked).map((b) => Number(b.value));
    if (!all.checked && !ids.length) return showError(error, t("reactivate.pick"));
    await guarded(error, async () => {
      const r = await api("POST", "/portal/api/employees/reactivate", {
        ...(all.checked ? { all: true } : { ids }),
        valid_from: $("#reactivate-from").value,
        valid_until: $("#reactivate-until").value,
      });
      const problems = r?.problems ?? [];
      fill(
        result,
        el("p", { id: "reactivate-count", text: t("reactivate.done", { count: r?.reactivated ?? 0 }) }),
        problems.length
          ? el(
              "ul",
              { id: "reactivate-problems" },
              problems.map((p) =>
                el("li", { text: typeof p === "string" ? p : [p.document ?? p.id ?? p.line, p.message].filter(Boolean).join(": ") }),
              ),
            )
          : null,
      );
    });
  });
  return screen("reactivate.title", form, result);
}
