// Enrollment: the code a supervisor scans or types to enrol this device, and
// the device's standing on the server as the last sync learnt it.
import { api, type Enrollment, type EnrollmentStatus, type Language } from "../api";
import type { Ctx } from "../app";
import { h } from "../dom";
import { type Key, language, t } from "../i18n";
import { dayTime } from "../time";

let cached: Enrollment | null = null;

/**
 * The lines that describe the enrollment, in `lang`: the status first, then
 * badge and precinct when the server gave them, then when it was learnt.
 * Null (never synced) gives one line that says how to learn it.
 */
export function enrollmentLines(e: EnrollmentStatus | null, lang: Language = language()): string[] {
  if (!e) return [t("enrollment.status.none", {}, lang)];
  const known = ["active", "suspended", "unknown"].includes(e.status) ? e.status : "unknown";
  return [
    t(`enrollment.status.${known}` as Key, {}, lang),
    e.badge ? t("enrollment.badge", { badge: e.badge }, lang) : null,
    e.precinct ? t("enrollment.precinct", { precinct: e.precinct }, lang) : null,
    t("enrollment.checked_at", { time: dayTime(e.checked_at) }, lang),
  ].filter((line): line is string => line !== null);
}

/** The status box, shared by the Enrollment and Sync screens; `id` prefixes its elements' ids. */
export function enrollmentBox(e: EnrollmentStatus | null, id: string): HTMLElement {
  const [status, ...details] = enrollmentLines(e);
  return h(
    "div",
    { class: "enrollment-status", id, "data-status": e?.status ?? "none" },
    h("h2", {}, t("enrollment.status")),
    h("p", { class: "status", id: `${id}-state` }, status),
    details.map((line) => h("p", { class: "hint" }, line)),
  );
}

export function enrollmentScreen(ctx: Ctx): HTMLElement {
  const body = h("div", { class: "enrollment-body" }, t("log.loading"));
  const fill = (e: Enrollment) =>
    body.replaceChildren(
      h("img", { src: e.qr_svg, alt: t("enrollment.qr_alt"), class: "qr", id: "enrollment-qr" }),
      h("p", { class: "code", id: "enrollment-code" }, e.code),
      h("p", { class: "hint" }, t("enrollment.device_id", { id: e.device_id })),
    );
  if (cached) fill(cached);
  else
    void ctx.run(api.enrollment).then((e) => {
      if (e) {
        cached = e;
        fill(e);
      }
    });
  return h(
    "section",
    { class: "enrollment" },
    h("h1", {}, t("enrollment.title")),
    enrollmentBox(ctx.state.status?.enrollment ?? null, "enrollment-status"),
    h("p", {}, t("enrollment.explain")),
    body,
    h("button", { class: "big", onclick: () => ctx.go("settings") }, t("action.back")),
  );
}
