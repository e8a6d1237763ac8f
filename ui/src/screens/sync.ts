// Sync: the device's standing on the server, "Sync now" and its result, the
// age of the data on the freshness ladder, the last good sync, an export file
// for the precinct, and importing a bundle file from the precinct.
import { type AppError, api, type Exported, type Freshness, type Language, type SyncReport } from "../api";
import { type Ctx, errorText } from "../app";
import { fileBytes, h } from "../dom";
import { type Key, language, t, units } from "../i18n";
import { dayTime, formatDuration } from "../time";
import { enrollmentBox } from "./enrollment";

export const LADDER: Freshness[] = ["fresh", "stale", "very_stale", "too_old"];

// Kept across renders (and across visits to other screens) until the next
// sync or export: the screen is redrawn from these.
let running = false;
let outcome: { report: SyncReport } | { error: AppError } | null = null;
let exported: Exported | null = null;

/** What became of the bundle in a sync, as one sentence in `lang`. */
export function bundleLine(report: SyncReport, lang: Language = language()): string {
  const b = report.bundle;
  return b.result === "applied"
    ? t("sync.result_applied", { version: b.version, revocations: b.revocations }, lang)
    : t("sync.result_up_to_date", { version: b.version }, lang);
}

const fact = (key: Key, value: string, id: string) =>
  h("div", { class: "row" }, h("dt", {}, t(key)), h("dd", { id }, value));

function outcomeBox(): HTMLElement | null {
  if (!outcome) return null;
  if ("error" in outcome) {
    return h(
      "div",
      { class: "sync-result failed", id: "sync-result", role: "alert", "data-code": outcome.error.code },
      h("p", { id: "sync-error" }, t("sync.result_failed", { message: errorText(outcome.error) })),
    );
  }
  const r = outcome.report;
  return h(
    "div",
    { class: "sync-result", id: "sync-result" },
    h("h2", {}, t("sync.result_title")),
    h(
      "dl",
      {},
      fact("sync.result_sent", String(r.sent), "sync-sent"),
      fact("sync.result_acknowledged", String(r.acknowledged), "sync-acknowledged"),
      fact("sync.result_left", String(r.outbox_left), "sync-left"),
    ),
    h("p", { id: "sync-bundle" }, bundleLine(r)),
    r.diverged ? h("p", { class: "warning", id: "sync-diverged", role: "alert" }, t("sync.result_diverged")) : null,
  );
}

export function syncScreen(ctx: Ctx): HTMLElement {
  const status = ctx.state.status;
  const device = status?.device;
  const freshness = device?.freshness ?? "no_data";
  const redraw = () => {
    if (ctx.state.screen === "sync") ctx.go("sync");
  };
  const syncNow = async () => {
    running = true;
    outcome = null;
    redraw();
    try {
      outcome = { report: await api.syncNow() };
    } catch (e) {
      outcome = { error: e as AppError };
    } finally {
      running = false;
    }
    await ctx.refresh();
    redraw();
  };
  const exportFile = async () => {
    const done = await ctx.run(api.exportOutbox);
    if (done) {
      exported = done;
      redraw();
    }
  };
  const file = h("input", {
    type: "file",
    id: "sync-bundle-file",
    "aria-label": t("sync.import"),
    onchange: async () => {
      const chosen = file.files?.[0];
      file.value = "";
      if (!chosen) return;
      const applied = await ctx.run(async () => api.importBundle(await fileBytes(chosen)));
      if (applied) {
        await ctx.refresh();
        ctx.notify(t("sync.imported", { version: applied.version, revocations: applied.revocations }));
      }
    },
  });
  return h(
    "section",
    { class: "sync" },
    h("h1", {}, t("sync.title")),
    enrollmentBox(status?.enrollment ?? null, "sync-enrollment"),
    h(
      "button",
      {
        class: "primary big",
        id: "sync-now",
        disabled: running || !status?.server,
        "aria-busy": running ? "true" : null,
        onclick: () => void syncNow(),
      },
      running ? t("sync.running") : t("sync.now"),
    ),
    status?.server ? null : h("p", { class: "hint", id: "sync-no-server" }, t("sync.no_server")),
    outcomeBox(),
    h(
      "ol",
      { class: "ladder", id: "sync-ladder", "data-freshness": freshness },
      LADDER.map((step) =>
        h("li", { class: step === freshness ? `step ${step} current` : `step ${step}` }, t(`freshness.${step}` as Key)),
      ),
    ),
    h(
      "dl",
      {},
      fact(
        "sync.data_age",
        device?.data_age_minutes != null ? formatDuration(device.data_age_minutes, units()) : t("freshness.no_data"),
        "sync-age",
      ),
      fact("sync.data_time", device?.data_time ? dayTime(device.data_time) : "—", "sync-data-time"),
      fact("sync.last_sync", device?.last_sync ? dayTime(device.last_sync) : t("sync.never"), "sync-last"),
      fact("sync.bundle_version", device?.bundle_version != null ? String(device.bundle_version) : "—", "sync-version"),
      fact("sync.revocations", String(device?.revocations ?? 0), "sync-revocations"),
      fact("sync.outbox", String(device?.outbox ?? 0), "sync-outbox"),
      device && !device.chain_ok ? fact("sync.chain", t("sync.chain_broken"), "sync-chain") : null,
      device?.clock_suspect ? fact("sync.clock", t("reason.clock_suspicious"), "sync-clock") : null,
    ),
    h("button", { class: "big", id: "sync-export", onclick: () => void exportFile() }, t("sync.export")),
    exported
      ? h("p", { id: "sync-export-path", class: "path" }, t("sync.exported", { records: exported.records, path: exported.path }))
      : h("p", { class: "hint" }, t("sync.export_hint")),
    h("label", { class: "file-button big" }, t("sync.import"), file),
  );
}
