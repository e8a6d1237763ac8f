// Sync: the age of the data on the freshness ladder, the last good sync, and
// importing a bundle file from the precinct. The sync service itself is not
// built yet: the screen says so instead of offering a button that cannot work.
import { api, type Freshness } from "../api";
import type { Ctx } from "../app";
import { fileBytes, h } from "../dom";
import { type Key, t, units } from "../i18n";
import { dayTime, formatDuration } from "../time";

export const LADDER: Freshness[] = ["fresh", "stale", "very_stale", "too_old"];

export function syncScreen(ctx: Ctx): HTMLElement {
  const device = ctx.state.status?.device;
  const freshness = device?.freshness ?? "no_data";
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
  const fact = (key: Key, value: string, id: string) =>
    h("div", { class: "row" }, h("dt", {}, t(key)), h("dd", { id }, value));
  return h(
    "section",
    { class: "sync" },
    h("h1", {}, t("sync.title")),
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
    h("p", { class: "hint", id: "sync-service" }, t("sync.no_service")),
    h("label", { class: "file-button big" }, t("sync.import"), file),
  );
}
