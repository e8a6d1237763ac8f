// Enrollment: the code a supervisor scans or types to enrol this device.
import { api, type Enrollment } from "../api";
import type { Ctx } from "../app";
import { h } from "../dom";
import { t } from "../i18n";

let cached: Enrollment | null = null;

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
    h("p", {}, t("enrollment.explain")),
    body,
    h("button", { class: "big", onclick: () => ctx.go("settings") }, t("action.back")),
  );
}
