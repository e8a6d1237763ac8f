// The CSV import: upload a file, then follow the import's progress to its end
// and name the lines that failed. The import's id goes into the address, so a
// reload keeps following it.
import { api, guarded, problemText } from "./api.js";
import { $, checkRequired, el, errorBox, field, fill, formErrors, screen, table } from "./dom.js";
import { t } from "./i18n.js";
import { currentView } from "./router.js";

const IMPORT_STATES = { checking: "import.checking", issuing: "import.issuing", done: "import.done", failed: "import.failed" };

export function importScreen(importId) {
  const error = errorBox("import-error");
  const errors = formErrors(error, { file: "import-file" });
  const progress = el("progress", { id: "import-progress", max: 1, value: 0, "aria-labelledby": "import-progress-text" });
  const state = el("p", { id: "import-state" });
  const counts = el("p", { id: "import-progress-text" });
  const result = el("div", { id: "import-result" });
  const status = el("div", { id: "import-status", hidden: !importId }, state, progress, counts, result);
  const form = el(
    "form",
    { id: "import-form", class: "card", novalidate: true },
    el("p", { class: "note", text: t("import.help") }),
    field("import-file", t("import.file"), { type: "file", accept: ".csv,text/csv" }),
    error,
    el("button", { type: "submit", id: "import-submit", text: t("import.upload") }),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!checkRequired(errors, [["import-file", () => !$("#import-file").files?.length, t("import.pick_file")]])) return;
    const file = $("#import-file").files[0];
    $("#import-submit").disabled = true;
    await guarded(errors, async () => {
      const answer = await api("POST", "/portal/api/imports", file, { contentType: "text/csv" });
      // The import's id goes into the address, so a reload keeps following it.
      history.replaceState(null, "", `#/import/${encodeURIComponent(answer.id)}`);
      status.hidden = false;
      await follow(answer.id);
    });
    const submit = $("#import-submit");
    if (submit) submit.disabled = false;
  });

  const view = currentView();
  async function follow(id) {
    for (;;) {
      if (currentView() !== view) return; // The user went elsewhere.
      const r = await api("GET", `/portal/api/imports/${encodeURIComponent(id)}`);
      const total = Math.max(1, Number(r.total) || 0);
      progress.max = total;
      progress.value = Math.min(total, Number(r.processed) || 0);
      state.textContent = t("import.state", { state: IMPORT_STATES[r.state] ? t(IMPORT_STATES[r.state]) : r.state });
      state.dataset.state = r.state;
      counts.textContent = t("import.progress", { processed: r.processed ?? 0, total: r.total ?? 0 });
      if (r.state === "done" || r.state === "failed") {
        if (r.state === "done") progress.value = total;
        const problems = r.problems ?? [];
        fill(
          result,
          el("p", { id: "import-imported", text: t("import.imported", { count: r.imported ?? 0 }) }),
          problems.length
            ? [
                el("h2", { text: t("import.problems", { count: r.problems_total ?? problems.length }) }),
                table(
                  "import-problems",
                  [t("import.line"), t("import.reason")],
                  problems.map((p) => el("tr", { "data-line": p.line }, el("td", { text: p.line }), el("td", { text: problemText(p) }))),
                ),
                (r.problems_total ?? 0) > problems.length
                  ? el("p", { text: t("import.problems_cut", { shown: problems.length, total: r.problems_total }) })
                  : null,
              ]
            : null,
        );
        document.body.dataset.importDone = r.state;
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
  }
  if (importId) queueMicrotask(() => guarded(error, () => follow(importId)));
  return screen("import.title", form, status);
}
