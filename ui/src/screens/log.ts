// Log: today's inspections, newest first, and how many wait for upload.
import { api, type LogRecord, type TodayLog } from "../api";
import type { Ctx } from "../app";
import { h } from "../dom";
import { type Key, t, tMaybe } from "../i18n";
import { printedDocument } from "../document";
import { clockTime } from "../time";
import { levelOf, recordTitle } from "../verdict";
import { zoneName } from "../zones";

let loaded: TodayLog | null = null;

function what(record: LogRecord): string {
  const title = recordTitle(record);
  if (title) return t(`verdict.${title}`);
  return tMaybe(`manual.kind.${record.input === "imminent_danger" ? "danger" : record.input}`) ?? record.input;
}

export function logScreen(ctx: Ctx): HTMLElement {
  const list = h("ol", { class: "log", id: "log-list" });
  const summary = h("p", { class: "summary", id: "log-summary" }, t("log.loading"));
  const fill = (log: TodayLog) => {
    summary.textContent = t("log.summary", { today: log.records.length, outbox: log.outbox });
    list.replaceChildren(
      ...(log.records.length === 0 ? [h("li", { class: "empty" }, t("log.empty"))] : []),
      ...log.records.map((r) =>
        h(
          "li",
          { class: `entry ${r.display ? levelOf({ display: r.display }) : "manual"}`, "data-seq": r.seq },
          h("span", { class: "time" }, clockTime(r.at)),
          h("span", { class: "what" }, what(r)),
          h("span", { class: "doc" }, r.document ? printedDocument(r.document) : ""),
          h("span", { class: "zone", title: t("zone.number", { zone: r.zone }) }, zoneName(ctx.state.zones, r.zone)),
        ),
      ),
    );
  };
  if (loaded) fill(loaded);
  void ctx.run(api.todayLog).then((log) => {
    if (log) {
      loaded = log;
      fill(log);
    }
  });
  return h("section", { class: "log-screen" }, h("h1", {}, t("log.title" as Key)), summary, list);
}
