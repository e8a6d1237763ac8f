// The Supervisor screen's "Codes" view (issue 23 items 4 and 7): the abuse
// report of the SMS codes for a chosen Baku day. Bars of requests per code
// for each hour, the hours where the watched code's share is past its
// threshold marked red with a "!" (never colour alone), each code's share
// against its usual share, the watched code's top phones and documents
// (masked by the service for a plain supervisor, and said so), and the
// day's CSV. Every view is written to the service's audit trail: the hint
// says so. SVG drawn by hand from the pure functions of code-charts.ts, at
// its own pixel size: as wide as the view, or wider on a phone (bars of
// `MIN_BAR_WIDTH` at least), scrolled sideways in its box with the scale
// kept in sight at the left.
import type { AppError } from "../api";
import { codeChart, type CodeChart, type CodeReport, MIN_BAR_WIDTH, percent } from "../code-charts";
import { h } from "../dom";
import { t } from "../i18n";
import { supervisorApi } from "../supervisor-api";
import { parseBakuDateTime } from "../time";

const SVG_NS = "http://www.w3.org/2000/svg";
/** The chart's size when the view's width is not known (not on the page yet). */
const CHART_SIZE = { width: 640, height: 220 };
/** Never drawn narrower than this, whatever the view measures. */
const MIN_CHART_WIDTH = 200;
/** The codes' colours, by code; a code beyond them takes the last. Each bar also names its code in its title. */
const CODE_CLASSES = 6;

function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(typeof child === "string" ? document.createTextNode(child) : child);
  return el;
}

/**
 * The chart as SVG at its own size in pixels, in a box that scrolls sideways:
 * the scale (a little SVG of its own that stays at the left), then the plot
 * with red bands and "!" over the flagged hours, then the bars.
 */
export function codeChartSvg(chart: CodeChart, title: string, flagTitle: (label: string, share: string) => string): HTMLElement {
  const r = (n: number) => n.toFixed(1);
  const scale = svg(
    "svg",
    { id: "sv-codes-scale", class: "chart codes-scale", width: chart.left, height: chart.height, viewBox: `0 0 ${chart.left} ${chart.height}`, "aria-hidden": "true" },
    ...chart.scale.map((s) => svg("text", { class: "scale", x: r(s.x), y: r(s.y + 4), "text-anchor": "end" }, s.label)),
  );
  const plotWidth = chart.width - chart.left;
  const plot = svg(
    "svg",
    {
      id: "sv-codes-chart",
      class: "chart codes",
      width: r(plotWidth),
      height: chart.height,
      viewBox: `${chart.left} 0 ${r(plotWidth)} ${chart.height}`,
      role: "img",
      "aria-label": title,
      "data-max": chart.max,
    },
    svg("title", {}, title),
    ...chart.flags.map((f) =>
      svg(
        "g",
        { class: "flag", "data-hour": f.hour },
        svg("title", {}, flagTitle(f.label, percent(f.share))),
        svg("rect", { class: "flag-band", x: r(f.slotX), y: 0, width: r(f.slotWidth), height: chart.height - 22 }),
        svg("text", { class: "flag-mark", x: r(f.x), y: r(f.y), "text-anchor": "middle" }, "!"),
      ),
    ),
    svg("line", { class: "axis", x1: chart.left, y1: chart.height - 22, x2: chart.width, y2: chart.height - 22 }),
    ...chart.bars.map((b) =>
      svg(
        "rect",
        {
          class: `bar code-${Math.min(b.code, CODE_CLASSES)}`,
          x: r(b.x),
          y: r(b.y),
          width: r(b.width),
          height: r(b.height),
          "data-code": b.code,
          "data-label": b.label,
          "data-value": b.value,
        },
        svg("title", {}, `${b.label}: ${t("supervisor.codes_code", { code: b.code })} ${b.value}`),
      ),
    ),
    ...chart.labels.map((l) => svg("text", { class: "label", x: r(l.x), y: r(l.y), "text-anchor": "middle" }, l.label)),
  );
  return h("div", { class: "codes-scroll", id: "sv-codes-scroll" }, scale, plot);
}

/** The Baku day (`YYYY-MM-DD`) of `dd.mm.yyyy`; `undefined` for empty text, `null` for text that is no day. */
export function typedDay(text: string): string | null | undefined {
  if (text.trim() === "") return undefined;
  if (!/^\s*\d{1,2}\.\d{1,2}\.\d{4}\s*$/.test(text)) return null;
  const parsed = parseBakuDateTime(text);
  return parsed?.iso ? parsed.iso.slice(0, 10) : null;
}

function table(id: string, head: string[], rows: (string | Node)[][], empty: string): HTMLElement {
  return h(
    "table",
    { class: "sv-codes-table", id },
    h("thead", {}, h("tr", {}, head.map((c) => h("th", {}, c)))),
    h(
      "tbody",
      {},
      rows.length === 0 ? [h("tr", { class: "empty" }, h("td", { colspan: head.length }, empty))] : rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))),
    ),
  );
}

/** What the view shows of a report, `width` pixels wide: the chart, the shares, the top lists. */
export function reportView(report: CodeReport, width: number = CHART_SIZE.width): HTMLElement {
  const watched = report.watched_code;
  const flag = (on: boolean) => (on ? h("span", { class: "sv-flag", title: t("supervisor.codes_flagged") }, "! ", t("supervisor.codes_flagged")) : "");
  const chart = codeChart(report, { width: Math.max(MIN_CHART_WIDTH, width), height: CHART_SIZE.height }, MIN_BAR_WIDTH);
  return h(
    "div",
    { id: "sv-codes-report", "data-alert": String(report.alert), "data-masked": String(report.masked) },
    h(
      "figure",
      {},
      codeChartSvg(chart, t("supervisor.codes_chart"), (hour, share) => t("supervisor.codes_flag_title", { hour, share, code: watched })),
      h(
        "figcaption",
        {},
        t("supervisor.codes_chart"),
        " ",
        h("span", { class: "legend" }, ...chart.codes.flatMap((c) => [h("span", { class: `swatch code-${Math.min(c, CODE_CLASSES)}` }), t("supervisor.codes_code", { code: c }), " "])),
        chart.flags.length > 0 ? h("span", { class: "sv-flag", id: "sv-codes-flag-legend" }, "! ", t("supervisor.codes_flag_legend", { count: chart.flags.length })) : "",
      ),
    ),
    table(
      "sv-codes-shares",
      [t("supervisor.codes_col_code"), t("supervisor.codes_col_requests"), t("supervisor.codes_col_share"), t("supervisor.codes_col_usual"), ""],
      report.shares.map((s) => [t("supervisor.codes_code", { code: s.code }), String(s.requests), percent(s.share), percent(s.usual_share), flag(s.alert)]),
      t("supervisor.codes_empty"),
    ),
    report.masked ? h("p", { class: "hint", id: "sv-codes-masked" }, t("supervisor.codes_masked")) : "",
    h("h3", {}, t("supervisor.codes_top_phones", { code: watched })),
    table("sv-codes-phones", [t("supervisor.codes_col_phone"), t("supervisor.codes_col_permits")], report.top_phones.map((p) => [p.key, String(p.permits)]), t("supervisor.codes_empty")),
    h("h3", {}, t("supervisor.codes_top_documents", { code: watched })),
    table("sv-codes-documents", [t("supervisor.codes_col_document"), t("supervisor.codes_col_permits")], report.top_documents.map((p) => [p.key, String(p.permits)]), t("supervisor.codes_empty")),
  );
}

/**
 * The view's section: the day (dd.mm.yyyy, Baku; today by default) and the
 * watched code, "Show" and "CSV"; `errorBox` shows a failure as the other
 * sections do. Loads the report once it is on the screen.
 */
export function codesSection(errorBox: (box: HTMLElement, e: AppError | null) => void): HTMLElement {
  const day = h("input", { id: "sv-codes-day", type: "text", maxlength: 10, autocomplete: "off", placeholder: t("supervisor.codes_day_placeholder") });
  const code = h("input", { id: "sv-codes-code", type: "number", min: 0, max: 255, value: 1 });
  const error = h("div", { class: "sv-error", id: "sv-codes-error", role: "alert", hidden: true });
  const body = h("div", { id: "sv-codes-body" });
  const readFilter = () => {
    const d = typedDay(day.value);
    const c = Number(code.value);
    if (d === null) {
      errorBox(error, { code: "supervisor_bad_date", message: "" });
      day.focus();
      return null;
    }
    return { day: d ?? null, code: Number.isInteger(c) && c >= 0 && c <= 255 ? c : 1, baseline_days: null };
  };
  const run = async <T>(work: () => Promise<T>): Promise<T | undefined> => {
    errorBox(error, null);
    try {
      return await work();
    } catch (e) {
      errorBox(error, e && typeof e === "object" && "code" in e ? (e as AppError) : { code: "ipc", message: String(e) });
      return undefined;
    }
  };
  const load = async () => {
    const filter = readFilter();
    if (!filter) return;
    const report = await run(() => supervisorApi.codes(filter));
    // The chart is drawn as wide as the view (the body is on the page by now).
    if (!report) return;
    body.replaceChildren(reportView(report, body.clientWidth || CHART_SIZE.width));
    // A chart wider than the view (a phone) opens on its first flagged hour, a third in from the left.
    const scroller = body.querySelector("#sv-codes-scroll");
    const band = body.querySelector("#sv-codes-chart .flag-band");
    if (scroller && band && scroller.scrollWidth > scroller.clientWidth) {
      scroller.scrollLeft = band.getBoundingClientRect().left - scroller.getBoundingClientRect().left - scroller.clientWidth / 3;
    }
  };
  const csv = async () => {
    const filter = readFilter();
    if (!filter) return;
    const text = await run(() => supervisorApi.codesCsv(filter));
    if (text === undefined) return;
    const url = URL.createObjectURL(new Blob(["\ufeff" + text.replace(/^\ufeff/, "")], { type: "text/csv;charset=utf-8" }));
    const link = h("a", { href: url, download: `icaze-codes-${filter.day ?? "today"}.csv`, id: "sv-codes-csv-link", class: "hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };
  void load();
  return h(
    "section",
    { class: "sv-card", id: "sv-codes" },
    h("h2", {}, t("supervisor.codes_title")),
    h("p", { class: "hint" }, t("supervisor.codes_hint")),
    h(
      "form",
      { class: "sv-inline", id: "sv-codes-form", onsubmit: (e: Event) => (e.preventDefault(), void load()) },
      h("label", { class: "field" }, h("span", {}, t("supervisor.codes_day")), day),
      h("label", { class: "field" }, h("span", {}, t("supervisor.codes_watched")), code),
      h("button", { type: "submit", class: "primary", id: "sv-codes-show" }, t("supervisor.show")),
      h("button", { type: "button", id: "sv-codes-csv", onclick: () => void csv() }, t("supervisor.csv")),
    ),
    error,
    body,
  );
}
