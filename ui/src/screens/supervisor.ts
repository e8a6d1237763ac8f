// Supervisor: for precinct supervisors at a desktop. Sign in with the sync
// service's address and a token; then the precinct's dashboard (inspections
// and violations per hour, inspections per officer, as plain SVG), devices
// not synced for N hours, the inspection log with filters and CSV export (a
// row's "Revoke…" fills the revocation form, which still wants a reason and a
// confirmation), revoking permits, approving, suspending and resuming devices
// (each with its reason beside its button), and importing a device's export
// file. Dates are dd.mm.yyyy HH:MM in Baku time, shown and typed. The token is kept by the app core in memory only;
// this screen never keeps it after the sign-in request.
//
// Sections update in place after each request, so that what the supervisor
// is typing elsewhere on the screen is never wiped.
import type { AppError } from "../api";
import { type Ctx, errorText } from "../app";
import { type Chart, hourlyChart, officerChart, totals } from "../charts";
import { fileInput, h } from "../dom";
import { codesSection } from "./codes";
import { type Key, t, tMaybe } from "../i18n";
import {
  type DeviceInfo,
  type Hourly,
  type Inspection,
  type InspectionFilter,
  revocableSerial,
  type SignedIn,
  supervisorApi,
} from "../supervisor-api";
import { bakuDateTime, parseBakuDateTime } from "../time";
import { recordTitle } from "../verdict";

// Kept across renders until sign-out.
let signedIn: SignedIn | null = null;
let lastServer = "";
let staleHours = 24;
let filter: InspectionFilter = {};

const SVG_NS = "http://www.w3.org/2000/svg";
const CHART_SIZE = { width: 640, height: 200 };
/** Codes whose server message says more than the catalogue's sentence. */
const DETAILED = new Set(["supervisor_refused", "supervisor_forbidden", "supervisor_server_error", "supervisor_bad_input"]);

function svg(tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  for (const child of children) el.append(typeof child === "string" ? document.createTextNode(child) : child);
  return el;
}

/** A chart as an SVG element: bars, axis labels, a legend in the caption. */
export function chartSvg(chart: Chart, id: string, title: string): SVGElement {
  const r = (n: number) => n.toFixed(1);
  return svg(
    "svg",
    {
      id,
      class: "chart",
      viewBox: `0 0 ${chart.width} ${chart.height}`,
      role: "img",
      "aria-label": title,
      "data-max": chart.max,
    },
    svg("title", {}, title),
    svg("line", { class: "axis", x1: 36, y1: chart.height - 22, x2: chart.width, y2: chart.height - 22 }),
    ...chart.scale.map((s) => svg("text", { class: "scale", x: r(s.x), y: r(s.y + 4), "text-anchor": "end" }, s.label)),
    ...chart.bars.map((b) =>
      svg(
        "rect",
        {
          class: `bar ${b.series}`,
          x: r(b.x),
          y: r(b.y),
          width: r(b.width),
          height: r(b.height),
          "data-label": b.label,
          "data-value": b.value,
        },
        svg("title", {}, `${b.label}: ${b.value}`),
      ),
    ),
    ...chart.labels.map((l) => svg("text", { class: "label", x: r(l.x), y: r(l.y), "text-anchor": "middle" }, l.label)),
  );
}

/** The error text: the catalogue's sentence, and the service's own words when they add something. */
function errorBox(box: HTMLElement, error: AppError | null): void {
  if (!error) {
    box.replaceChildren();
    box.hidden = true;
    return;
  }
  box.hidden = false;
  box.dataset.code = error.code;
  box.replaceChildren(
    h("p", { class: "sv-error-text" }, errorText(error)),
    ...(DETAILED.has(error.code) ? [h("p", { class: "hint sv-error-detail" }, error.message)] : []),
  );
}

function asError(e: unknown): AppError {
  return e && typeof e === "object" && "code" in e ? (e as AppError) : { code: "ipc", message: String(e) };
}

function field(key: Key, input: HTMLElement): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, t(key)), input);
}

function signInForm(ctx: Ctx): HTMLElement {
  const server = h("input", {
    id: "sv-server",
    type: "url",
    value: lastServer || ctx.state.status?.server || "",
    placeholder: "https://sync.icaze.example",
    autocomplete: "url",
    maxlength: 512,
  });
  const token = h("input", { id: "sv-token", type: "password", autocomplete: "off", maxlength: 512 });
  const error = h("div", { class: "sv-error", id: "sv-error", role: "alert", hidden: true });
  const submit = h("button", { class: "primary big", type: "submit", id: "sv-login" }, t("supervisor.sign_in"));
  const onsubmit = async (e: Event) => {
    e.preventDefault();
    lastServer = server.value.trim();
    submit.disabled = true;
    errorBox(error, null);
    try {
      signedIn = await supervisorApi.login(lastServer, token.value);
      token.value = "";
      ctx.go("supervisor");
    } catch (err) {
      token.value = "";
      errorBox(error, asError(err));
    } finally {
      submit.disabled = false;
    }
  };
  return h(
    "form",
    { id: "sv-login-form", class: "sv-card", onsubmit },
    h("p", { class: "hint" }, t("supervisor.sign_in_hint")),
    field("supervisor.server", server),
    field("supervisor.token", token),
    submit,
    error,
  );
}

/** Runs one request for a section, showing its error in the section's box. */
async function attempt<T>(box: HTMLElement, work: () => Promise<T>): Promise<T | undefined> {
  errorBox(box, null);
  try {
    return await work();
  } catch (e) {
    errorBox(box, asError(e));
    return undefined;
  }
}

function errorSlot(id: string): HTMLElement {
  return h("div", { class: "sv-error", id, role: "alert", hidden: true });
}

function inputText(el: HTMLInputElement): string | null {
  const v = el.value.trim();
  return v === "" ? null : v;
}

function dashboard(ctx: Ctx, who: SignedIn): HTMLElement {
  // Charts.
  const charts = h("div", { class: "sv-charts", id: "sv-charts" }, h("p", { class: "hint" }, t("supervisor.loading")));
  const chartsError = errorSlot("sv-charts-error");
  const loadCharts = async () => {
    const stats = await attempt(chartsError, () =>
      supervisorApi.hourly({ from: filter.from ?? null, to: filter.to ?? null }),
    );
    if (stats) drawCharts(stats);
  };
  const drawCharts = (stats: Hourly) => {
    const sum = totals(stats.hours);
    const figure = (id: string, key: Key, value: number) =>
      h("div", { class: `sv-total ${id}`, id: `sv-total-${id}` }, h("dt", {}, t(key)), h("dd", {}, String(value)));
    charts.replaceChildren(
      h(
        "dl",
        { id: "sv-totals", class: "sv-totals" },
        figure("inspections", "supervisor.total_inspections", sum.inspections),
        figure("red", "supervisor.total_red", sum.red),
        figure("violations", "supervisor.total_violations", sum.violations),
      ),
      h("p", { class: "hint", id: "sv-totals-hint" }, t("supervisor.totals_hint")),
      h(
        "figure",
        {},
        chartSvg(hourlyChart(stats.hours, CHART_SIZE), "sv-chart-hourly", t("supervisor.chart_hourly")),
        h("figcaption", {}, t("supervisor.chart_hourly"), " ", legend()),
      ),
      h(
        "figure",
        {},
        chartSvg(officerChart(stats.officers, CHART_SIZE), "sv-chart-officers", t("supervisor.chart_officers")),
        h("figcaption", {}, t("supervisor.chart_officers"), " ", legend()),
      ),
    );
  };
  const legend = () =>
    h(
      "span",
      { class: "legend" },
      h("span", { class: "swatch inspections" }),
      t("supervisor.series_inspections"),
      h("span", { class: "swatch violations" }),
      t("supervisor.series_violations"),
    );

  // Devices: the stale list and every device with suspend and resume.
  const hours = h("input", { id: "sv-stale-hours", type: "number", min: 1, max: 8760, value: staleHours });
  const staleList = h("ul", { class: "sv-devices", id: "sv-stale-list" });
  const deviceList = h("ul", { class: "sv-devices", id: "sv-device-list" });
  // What the supervisor typed as a reason, per device: kept when the list is drawn again
  // (after an approval, say) and dropped once that device's suspension or resumption is done.
  const reasonDrafts = new Map<string, string>();
  const devicesError = errorSlot("sv-devices-error");
  const devicesResult = h("p", { id: "sv-devices-result", role: "status" });
  const deviceRow = (d: DeviceInfo, actions: boolean) =>
    h(
      "li",
      { class: `sv-device ${d.status}`, "data-device": d.device_id },
      h("span", { class: "id" }, d.device_id),
      h("span", {}, d.badge),
      h("span", { class: "status" }, tMaybe(`supervisor.status.${d.status}`) ?? d.status),
      h(
        "span",
        { class: "last" },
        d.last_sync ? t("supervisor.last_sync", { time: bakuDateTime(d.last_sync) }) : t("supervisor.never_synced"),
      ),
      actions ? deviceAction(d) : null,
    );
  // The reason's field and its button side by side in the device's own row, the field
  // named after the device, so that no reason can be read as another device's.
  const deviceAction = (d: DeviceInfo) => {
    const suspended = d.status === "suspended";
    const reason = h("input", {
      class: "sv-device-reason",
      maxlength: 500,
      autocomplete: "off",
      value: reasonDrafts.get(d.device_id) ?? "",
      oninput: () => reasonDrafts.set(d.device_id, reason.value),
    });
    return h(
      "div",
      { class: "sv-device-action" },
      h(
        "label",
        { class: "field" },
        h("span", {}, t(suspended ? "supervisor.resume_reason" : "supervisor.suspend_reason", { device: d.badge || d.device_id })),
        reason,
      ),
      h(
        "button",
        { class: "sv-toggle", "data-action": suspended ? "resume" : "suspend", onclick: () => void toggle(d, reason) },
        suspended ? t("supervisor.resume") : t("supervisor.suspend"),
      ),
    );
  };
  const loadDevices = async () => {
    const n = Number(hours.value);
    staleHours = Number.isInteger(n) && n >= 1 ? n : 24;
    const [stale, all] = (await attempt(devicesError, () =>
      Promise.all([supervisorApi.devices(staleHours), supervisorApi.devices(null)]),
    )) ?? [null, null];
    if (stale) {
      staleList.replaceChildren(
        ...(stale.devices.length === 0 ? [h("li", { class: "empty" }, t("supervisor.no_stale"))] : []),
        ...stale.devices.map((d) => deviceRow(d, false)),
      );
    }
    if (all) {
      deviceList.replaceChildren(
        ...(all.devices.length === 0 ? [h("li", { class: "empty" }, t("supervisor.no_devices"))] : []),
        ...all.devices.map((d) => deviceRow(d, true)),
      );
    }
  };
  const toggle = async (d: DeviceInfo, field: HTMLInputElement) => {
    const reason = field.value.trim();
    if (!reason) {
      errorBox(devicesError, { code: "supervisor_reason", message: "" });
      field.focus();
      return;
    }
    devicesResult.textContent = "";
    const done = await attempt(devicesError, () =>
      d.status === "suspended" ? supervisorApi.resume(d.device_id, reason) : supervisorApi.suspend(d.device_id, reason),
    );
    if (done) {
      reasonDrafts.delete(d.device_id);
      devicesResult.textContent = t(done.status === "suspended" ? "supervisor.suspended" : "supervisor.resumed", {
        device: done.device_id,
      });
      await loadDevices();
    }
  };

  // The log with its filters.
  const officer = h("input", { id: "sv-f-officer", maxlength: 32, value: filter.officer ?? "", autocomplete: "off" });
  const zone = h("input", { id: "sv-f-zone", type: "number", min: 1, max: 65535, value: filter.zone ?? "" });
  // Typed as dd.mm.yyyy [hh:mm] in Baku time: a datetime-local field would show the
  // browser's locale (mm/dd/yyyy, AM/PM in an English one) instead.
  const dateInput = (id: string, iso: string | null | undefined) =>
    h("input", {
      id,
      type: "text",
      maxlength: 16,
      autocomplete: "off",
      placeholder: t("supervisor.date_placeholder"),
      value: iso ? bakuDateTime(iso) : "",
    });
  const from = dateInput("sv-f-from", filter.from);
  const to = dateInput("sv-f-to", filter.to);
  const violations = h("input", { id: "sv-f-violations", type: "checkbox", checked: filter.violations === true });
  const rows = h("tbody", { id: "sv-log-rows" });
  const logSummary = h("p", { class: "hint", id: "sv-log-summary" });
  const logError = errorSlot("sv-log-error");
  /** The filter as typed, or null (the error shown, the field focused) when a date does not read. */
  const readFilter = (): InspectionFilter | null => {
    const z = Number(zone.value);
    const since = parseBakuDateTime(from.value);
    const until = parseBakuDateTime(to.value, true);
    if (!since || !until) {
      errorBox(logError, { code: "supervisor_bad_date", message: "" });
      (since ? to : from).focus();
      return null;
    }
    return {
      officer: inputText(officer),
      zone: zone.value.trim() !== "" && Number.isInteger(z) ? z : null,
      from: since.iso,
      to: until.iso,
      violations: violations.checked,
      limit: 500,
    };
  };
  // A cell carries its column's name for the phone layout's labels (style.css); an empty
  // cell has no child at all, so that it is left out there.
  const cell = (col: (typeof LOG_COLUMNS)[number], attrs: Record<string, string | null>, content: Node | string | null) =>
    h("td", { ...attrs, "data-label": t(`supervisor.${col}` as Key) }, content);
  const fillLog = (list: Inspection[], more: boolean) => {
    logSummary.textContent = more ? t("supervisor.log_more", { count: list.length }) : t("supervisor.log_count", { count: list.length });
    rows.replaceChildren(
      ...(list.length === 0 ? [h("tr", { class: "empty" }, h("td", { colspan: LOG_COLUMNS.length }, t("supervisor.log_empty")))] : []),
      ...list.map((r) => {
        const serial = revocableSerial(r);
        const reason = r.reasons?.[0];
        return h(
          "tr",
          { "data-seq": r.seq, "data-device": r.device_id, "data-at": r.at, class: r.display ? `display-${r.display}` : "manual" },
          cell("col_time", { class: "time" }, bakuDateTime(r.at)),
          cell("col_officer", {}, r.officer),
          cell("col_zone", {}, String(r.zone)),
          cell("col_what", {}, what(r)),
          cell("col_serial", { class: "serial" }, r.serial === null ? null : String(r.serial)),
          cell("col_reason", { class: "reason", "data-code": reason ?? null }, reason ? (tMaybe(`reason.${reason}`) ?? reason) : null),
          cell("col_document", { class: "doc" }, r.document),
          cell("col_device", { class: "id" }, r.device_id),
          cell(
            "col_action",
            { class: "action" },
            serial === null
              ? null
              : h(
                  "button",
                  {
                    type: "button",
                    class: "sv-row-revoke",
                    "data-serial": serial,
                    "aria-label": t("supervisor.revoke_row_label", { serial }),
                    onclick: () => prefillRevoke(serial),
                  },
                  t("supervisor.revoke_row"),
                ),
          ),
        );
      }),
    );
  };
  const loadLog = async () => {
    const typed = readFilter();
    if (!typed) return;
    filter = typed;
    const page = await attempt(logError, () => supervisorApi.inspections(filter));
    if (page) fillLog(page.inspections, page.next !== null);
  };
  const exportCsv = async () => {
    const typed = readFilter();
    if (!typed) return;
    const csv = await attempt(logError, () => supervisorApi.inspectionsCsv(typed));
    if (csv === undefined) return;
    // One byte-order mark first (the HTTP client may have taken the server's off), so that
    // spreadsheets read the file as UTF-8: names with ə, ş, ğ.
    const withBom = "\ufeff" + csv.replace(/^\ufeff/, "");
    const url = URL.createObjectURL(new Blob([withBom], { type: "text/csv;charset=utf-8" }));
    const link = h("a", { href: url, download: `icaze-inspections-${Date.now()}.csv`, id: "sv-csv-link", class: "hidden" });
    document.body.append(link);
    link.click();
    link.remove();
    // The download has started from the object URL: it can go once the click is handled.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  };

  // Revocation.
  const revokeKind = h(
    "select",
    { id: "sv-revoke-kind" },
    h("option", { value: "serial" }, t("supervisor.revoke_serial")),
    h("option", { value: "document" }, t("supervisor.revoke_document")),
  );
  const revokeValue = h("input", { id: "sv-revoke-value", maxlength: 64, autocomplete: "off" });
  const revokeReason = h("input", { id: "sv-revoke-reason", maxlength: 500, autocomplete: "off" });
  const revokeConfirm = h("input", { id: "sv-revoke-confirm", type: "checkbox" });
  const revokeResult = h("p", { id: "sv-revoke-result", role: "status" });
  const revokeError = errorSlot("sv-revoke-error");
  const revoke = async (e: Event) => {
    e.preventDefault();
    revokeResult.textContent = "";
    const value = revokeValue.value.trim();
    const serial = Number(value);
    const target =
      revokeKind.value === "serial"
        ? /^\d{1,10}$/.test(value) && serial <= 0xffff_ffff
          ? { serial }
          : null
        : value
          ? { document: value }
          : null;
    if (!target) return errorBox(revokeError, { code: "supervisor_revoke_target", message: "" });
    if (!revokeReason.value.trim()) return errorBox(revokeError, { code: "supervisor_reason", message: "" });
    if (!revokeConfirm.checked) return errorBox(revokeError, { code: "supervisor_confirm", message: "" });
    const done = await attempt(revokeError, () => supervisorApi.revoke(target, revokeReason.value.trim()));
    if (done) {
      revokeResult.textContent = t("supervisor.revoked", { count: done.revoked.length, version: done.version });
      revokeValue.value = "";
      revokeReason.value = "";
      revokeConfirm.checked = false;
    }
  };

  const revokeForm = h(
    "form",
    { id: "sv-revoke-form", onsubmit: revoke },
    field("supervisor.revoke_kind", revokeKind),
    field("supervisor.revoke_value", revokeValue),
    field("supervisor.reason", revokeReason),
    h("label", { class: "check" }, revokeConfirm, h("span", {}, t("supervisor.revoke_confirm"))),
    h("button", { type: "submit", class: "danger", id: "sv-revoke" }, t("supervisor.revoke")),
  );
  // A log row's "Revoke…" only fills the form: the reason and the confirmation are still
  // the supervisor's to give, and nothing is revoked until the form is sent.
  const prefillRevoke = (serial: number) => {
    revokeKind.value = "serial";
    revokeValue.value = String(serial);
    revokeConfirm.checked = false;
    errorBox(revokeError, null);
    revokeResult.textContent = t("supervisor.revoke_prefilled", { serial });
    revokeForm.scrollIntoView({ block: "center" });
    revokeReason.focus({ preventScroll: true });
  };

  // Approval.
  const code = h("input", { id: "sv-approve-code", maxlength: 200, autocomplete: "off", placeholder: "ICZD1-…" });
  const badge = h("input", { id: "sv-approve-badge", maxlength: 32, autocomplete: "off" });
  const precinct = h("input", { id: "sv-approve-precinct", maxlength: 64, value: who.whoami.precinct ?? "" });
  const approveResult = h("p", { id: "sv-approve-result", role: "status" });
  const approveError = errorSlot("sv-approve-error");
  const approve = async (e: Event) => {
    e.preventDefault();
    approveResult.textContent = "";
    const done = await attempt(approveError, () => supervisorApi.approve(code.value, badge.value, precinct.value));
    if (done) {
      approveResult.textContent = t("supervisor.approved", { device: done.device_id, badge: done.badge, precinct: done.precinct });
      code.value = "";
      badge.value = "";
      await loadDevices();
    }
  };

  // Import.
  const importResult = h("p", { id: "sv-import-result", role: "status" });
  const importError = errorSlot("sv-import-error");
  const file = fileInput(
    { id: "sv-import-file", accept: ".iczu,application/octet-stream", label: t("supervisor.import") },
    async (bytes) => {
      importResult.textContent = "";
      const receipt = await attempt(importError, async () => supervisorApi.importFile(await bytes()));
      if (receipt) {
        importResult.textContent = t("supervisor.imported", {
          device: receipt.device_id,
          accepted: receipt.accepted,
          duplicates: receipt.duplicates,
          conflicts: receipt.conflicts,
        });
        await Promise.all([loadLog(), loadCharts()]);
      }
    },
  );

  const signOut = async () => {
    await supervisorApi.logout().catch(() => undefined);
    signedIn = null;
    ctx.go("supervisor");
  };

  void loadCharts();
  void loadDevices();
  void loadLog();

  // A supervisor the administrator made an investigator is named so: they see people in full.
  const roleName = who.whoami.role === "supervisor" && who.whoami.investigator ? "investigator" : who.whoami.role;
  const role = tMaybe(`supervisor.role.${roleName}`) ?? roleName;
  return h(
    "div",
    { class: "sv-dashboard", id: "sv-dashboard" },
    h(
      "div",
      { class: "sv-who" },
      h(
        "p",
        { id: "sv-who" },
        who.whoami.precinct
          ? t("supervisor.signed_in_precinct", { name: who.whoami.name ?? "", role, precinct: who.whoami.precinct })
          : t("supervisor.signed_in", { name: who.whoami.name ?? "", role }),
      ),
      h("p", { class: "hint path" }, who.server),
      h("button", { id: "sv-refresh", onclick: () => void Promise.all([loadCharts(), loadDevices(), loadLog()]) }, t("supervisor.refresh")),
      h("button", { id: "sv-logout", onclick: () => void signOut() }, t("supervisor.sign_out")),
    ),
    h("section", { class: "sv-card" }, h("h2", {}, t("supervisor.dashboard")), chartsError, charts),
    codesSection(errorBox),
    h(
      "section",
      { class: "sv-card" },
      h("h2", {}, t("supervisor.stale_title")),
      h(
        "form",
        { class: "sv-inline", onsubmit: (e: Event) => (e.preventDefault(), void loadDevices()) },
        field("supervisor.stale_hours", hours),
        h("button", { type: "submit", id: "sv-stale-apply" }, t("supervisor.show")),
      ),
      staleList,
      h("h2", {}, t("supervisor.devices_title")),
      devicesError,
      devicesResult,
      deviceList,
    ),
    h(
      "section",
      { class: "sv-card" },
      h("h2", {}, t("supervisor.log_title")),
      h(
        "form",
        { class: "sv-filters", id: "sv-filters", onsubmit: (e: Event) => (e.preventDefault(), void loadLog()) },
        field("supervisor.f_officer", officer),
        field("supervisor.f_zone", zone),
        field("supervisor.f_from", from),
        field("supervisor.f_to", to),
        h("label", { class: "check" }, violations, h("span", {}, t("supervisor.f_violations"))),
        h("button", { type: "submit", class: "primary", id: "sv-f-apply" }, t("supervisor.apply")),
        h("button", { type: "button", id: "sv-csv", onclick: () => void exportCsv() }, t("supervisor.csv")),
      ),
      logError,
      logSummary,
      h(
        "div",
        { class: "sv-table-wrap" },
        h(
          "table",
          { class: "sv-log", id: "sv-log" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              LOG_COLUMNS.map((c) => h("th", { "data-col": c }, t(`supervisor.${c}` as Key))),
            ),
          ),
          rows,
        ),
      ),
    ),
    h(
      "section",
      { class: "sv-card" },
      h("h2", {}, t("supervisor.revoke_title")),
      revokeForm,
      revokeError,
      revokeResult,
    ),
    h(
      "section",
      { class: "sv-card" },
      h("h2", {}, t("supervisor.approve_title")),
      h(
        "form",
        { id: "sv-approve-form", onsubmit: approve },
        field("supervisor.approve_code", code),
        field("supervisor.approve_badge", badge),
        field("supervisor.approve_precinct", precinct),
        h("button", { type: "submit", class: "primary", id: "sv-approve" }, t("supervisor.approve")),
      ),
      approveError,
      approveResult,
    ),
    h(
      "section",
      { class: "sv-card" },
      h("h2", {}, t("supervisor.import_title")),
      h("p", { class: "hint" }, t("supervisor.import_hint")),
      h("label", { class: "file-button" }, t("supervisor.import"), file),
      importError,
      importResult,
    ),
  );
}

const LOG_COLUMNS = [
  "col_time",
  "col_officer",
  "col_zone",
  "col_what",
  "col_serial",
  "col_reason",
  "col_document",
  "col_device",
  "col_action",
] as const;

function what(r: Inspection): string {
  // Titled as the officer's result and Log title it: a replaced permit says so (issue 22).
  const title = recordTitle(r);
  if (title) return t(`verdict.${title}`);
  return tMaybe(`manual.kind.${r.input === "imminent_danger" ? "danger" : r.input}`) ?? r.input;
}

export function supervisorScreen(ctx: Ctx): HTMLElement {
  return h(
    "section",
    { class: "supervisor", id: "supervisor" },
    h("h1", {}, t("supervisor.title")),
    signedIn ? dashboard(ctx, signedIn) : signInForm(ctx),
  );
}
