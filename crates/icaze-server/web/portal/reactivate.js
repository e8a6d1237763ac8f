// Reactivation after a regime change: new permits for deactivated employees,
// all of them or those chosen.
import { ApiError, api, errorText, guarded } from "./api.js";
import { $, checkRequired, el, errorBox, field, fieldErrorLine, fill, formErrors, screen } from "./dom.js";
import { t } from "./i18n.js";
import { bakuDay } from "./time.js";

export async function reactivateScreen() {
  const error = errorBox("reactivate-error");
  const errors = formErrors(error, { valid_from: "reactivate-from", valid_until: "reactivate-until" });
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
  // A problem `{id, code, message}` names the employee by their document and
  // name, and says what is wrong in the page's language, as a form's error would.
  const problemLine = (p) => {
    if (typeof p === "string") return p;
    const e = list.find((x) => x.id === p.id);
    const who = e ? `${e.document} — ${e.name}` : p.id ?? "";
    const why = errorText(new ApiError(0, p.code ?? "", p.message ?? "", p));
    return [who, why].filter(Boolean).join(": ");
  };
  const form = el(
    "form",
    { id: "reactivate-form", class: "card", novalidate: true },
    el("p", { class: "note", text: t("reactivate.help") }),
    el("label", { class: "check", for: "reactivate-all" }, all, ` ${t("reactivate.all")}`),
    picks,
    fieldErrorLine("reactivate-list"),
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
    const picked = ["reactivate-list", () => !all.checked && !ids.length, t("reactivate.pick")];
    if (!checkRequired(errors, [picked, "reactivate-from", "reactivate-until"])) return;
    await guarded(errors, async () => {
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
              problems.map((p) => el("li", { "data-id": p?.id ?? null, text: problemLine(p) })),
            )
          : null,
      );
    });
  });
  return screen("reactivate.title", form, result);
}
