// Sync: the device's standing on the server, "Sync now" with its progress and
// Cancel, and its result, the age of the data on the freshness ladder, the
// last good sync, one "waiting for upload" figure, an export file for the
// precinct, and importing a bundle file from the precinct.
//
// The `sync_now` command answers once, at the end: there are no progress
// events to show and no command to stop a sync. While it runs the screen says
// what it is sending (the outbox as it was) and offers Cancel, which stops
// waiting: the answer, when it comes, is not shown, and the screen says that a
// transfer already under way may still finish (the next sync, or the status,
// counts what reached the server).
import { type AppError, api, type Exported, type Freshness, type Language, type SyncReport } from "../api";
import { type Ctx, errorText } from "../app";
import { fileInput, h } from "../dom";
import { type Key, language, t, units } from "../i18n";
import { dayTime, formatDuration } from "../time";
import { enrollmentBox } from "./enrollment";

export const LADDER: Freshness[] = ["fresh", "stale", "very_stale", "too_old"];

/** A sync under way: the records it is sending (the outbox when it started). */
interface Running {
  records: number;
}

/** What became of the last sync: its report and when it ended, its error, or Cancel. */
export type Outcome = { report: SyncReport; at: string } | { error: AppError } | { cancelled: true };

// Kept across renders (and across visits to other screens) until the next
// sync or export: the screen is redrawn from these.
let running: Running | null = null;
let outcome: Outcome | null = null;
let exported: Exported | null = null;
// Each sync gets a number; Cancel moves it on, so that a sync's late answer is not shown.
let attempt = 0;

/** What the sync under way is doing, as one sentence in `lang`. */
export function progressLine(run: Running, lang: Language = language()): string {
  return run.records > 0
    ? t("sync.progress_records", { records: run.records }, lang)
    : t("sync.progress_data", {}, lang);
}

/** The bytes of data a sync received, when the report knows them (a bundle applied); else null. */
export function receivedBytes(report: SyncReport): number | null {
  return report.bundle.result === "applied" ? report.bundle.bytes : null;
}

/** The present moment as the device core writes times (RFC 3339 in Baku time), for "updated as of". */
export function bakuNow(now: Date = new Date()): string {
  return new Date(now.getTime() + 4 * 3600_000).toISOString().replace(/\.\d{3}Z$/, "+04:00");
}

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
  if ("cancelled" in outcome) {
    return h("div", { class: "sync-result cancelled", id: "sync-result", "data-state": "cancelled" },
      h("p", { id: "sync-cancelled" }, t("sync.cancelled")));
  }
  if ("error" in outcome) {
    return h(
      "div",
      { class: "sync-result failed", id: "sync-result", role: "alert", "data-code": outcome.error.code },
      h("p", { id: "sync-error" }, t("sync.result_failed", { message: errorText(outcome.error) })),
    );
  }
  const r = outcome.report;
  const bytes = receivedBytes(r);
  // What still waits for upload is not repeated here: the one figure is the
  // status's, below, which the refresh after the sync has brought up to date.
  return h(
    "div",
    { class: "sync-result", id: "sync-result", "data-state": "done" },
    h("h2", {}, t("sync.result_title")),
    h(
      "dl",
      {},
      fact("sync.result_sent", String(r.sent), "sync-sent"),
      fact("sync.result_acknowledged", String(r.acknowledged), "sync-acknowledged"),
      bytes !== null ? fact("sync.result_received", String(bytes), "sync-bytes") : null,
    ),
    h("p", { id: "sync-bundle" }, bundleLine(r)),
    h("p", { class: "hint", id: "sync-updated" }, t("sync.updated_at", { time: dayTime(outcome.at) })),
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
    const mine = ++attempt;
    running = { records: device?.outbox ?? 0 };
    outcome = null;
    redraw();
    let ended: Outcome;
    try {
      ended = { report: await api.syncNow(), at: bakuNow() };
    } catch (e) {
      ended = { error: e as AppError };
    }
    // The status moves on either way (the header's data age); a cancelled
    // sync's answer is not shown.
    await ctx.refresh();
    if (mine !== attempt) {
      // Cancelled: the answer is not shown, but the figures below may have moved.
      if (!running) redraw();
      return;
    }
    running = null;
    outcome = ended;
    redraw();
  };
  const cancel = () => {
    attempt++;
    running = null;
    outcome = { cancelled: true };
    redraw();
  };
  const exportFile = async () => {
    const done = await ctx.run(api.exportOutbox);
    if (done) {
      exported = done;
      redraw();
    }
  };
  const file = fileInput({ id: "sync-bundle-file", label: t("sync.import") }, async (bytes) => {
    const applied = await ctx.run(async () => api.importBundle(await bytes()));
    if (applied) {
      await ctx.refresh();
      ctx.notify(t("sync.imported", { version: applied.version, revocations: applied.revocations }));
    }
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
        disabled: running !== null || !status?.server,
        "aria-busy": running ? "true" : null,
        onclick: () => void syncNow(),
      },
      running ? t("sync.running") : t("sync.now"),
    ),
    status?.server ? null : h("p", { class: "hint", id: "sync-no-server" }, t("sync.no_server")),
    running
      ? h(
          "div",
          { class: "sync-progress", id: "sync-progress", role: "status", "aria-live": "polite" },
          // No value: the command says nothing until it ends, so the bar is indeterminate.
          h("progress", { id: "sync-progress-bar", "aria-label": t("sync.running") }),
          h("p", { id: "sync-progress-text" }, progressLine(running)),
          h("button", { class: "big", id: "sync-cancel", onclick: cancel }, t("sync.cancel")),
        )
      : null,
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
