// The organisation's audit log, newest first, a page at a time.
import { api, guarded } from "./api.js";
import { el, errorBox, screen } from "./dom.js";
import { t } from "./i18n.js";
import { bakuTime } from "./time.js";

export function auditScreen() {
  const error = errorBox("audit-error");
  const tbody = el("tbody");
  const more = el("button", { type: "button", id: "audit-more", class: "secondary", text: t("action.more"), hidden: true });
  let after = null;
  async function load() {
    await guarded(error, async () => {
      const data = await api("GET", `/portal/api/audit${after !== null ? `?after=${encodeURIComponent(after)}` : ""}`);
      for (const entry of data?.entries ?? []) {
        tbody.append(
          el(
            "tr",
            { "data-action": entry.action },
            el("td", { text: bakuTime(entry.at) }),
            el("td", { text: entry.by }),
            el("td", { text: entry.action }),
            el("td", { text: typeof entry.details === "string" ? entry.details : JSON.stringify(entry.details ?? "") }),
          ),
        );
      }
      after = data?.next ?? null;
      more.hidden = after === null;
      if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colspan: 4, text: t("audit.none") })));
    });
  }
  more.addEventListener("click", load);
  queueMicrotask(load);
  return screen(
    "audit.title",
    error,
    el(
      "div",
      { class: "table-wrap" },
      el(
        "table",
        { id: "audit" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            [t("audit.at"), t("audit.by"), t("audit.action"), t("audit.details")].map((h) => el("th", { scope: "col", text: h })),
          ),
        ),
        tbody,
      ),
    ),
    more,
  );
}
