// The permit block of an employee or a trip: serial, validity, token, QR and
// the documents to download.
import { el } from "./dom.js";
import { language, t } from "./i18n.js";
import { bakuRange } from "./time.js";

/** `base`: the API path of the employee or trip, whose QR and certificate routes take `?serial=`. */
export function permitBlock(prefix, base, permit) {
  if (!permit) return el("p", { id: `${prefix}-no-permit`, text: t("permit.none") });
  const q = `?serial=${encodeURIComponent(permit.serial)}`;
  return el(
    "div",
    { class: "permit", id: `${prefix}-permit` },
    el(
      "img",
      {
        id: `${prefix}-qr`,
        class: "qr",
        src: `${base}/qr.svg${q}`,
        alt: t("permit.qr_alt"),
        width: 200,
        height: 200,
      },
    ),
    el(
      "dl",
      {},
      el("dt", { text: t("permit.serial") }),
      el("dd", { id: `${prefix}-serial`, text: permit.serial }),
      el("dt", { text: t("field.validity") }),
      el("dd", { id: `${prefix}-validity`, text: bakuRange(permit.valid_from, permit.valid_until) }),
      el("dt", { text: t("permit.token") }),
      el("dd", {}, el("code", { id: `${prefix}-token`, class: "token", text: permit.token })),
    ),
    el(
      "p",
      { class: "links" },
      el("a", { href: `${base}/certificate.pdf${q}&lang=${language()}`, id: `${prefix}-pdf`, download: `icaze-${permit.serial}.pdf`, text: t("permit.certificate") }),
      " ",
      el("a", { href: `${base}/qr.png${q}`, id: `${prefix}-png`, download: `icaze-${permit.serial}.png`, text: t("permit.qr_png") }),
      " ",
      el("a", { href: `${base}/qr.svg${q}`, id: `${prefix}-svg`, download: `icaze-${permit.serial}.svg`, text: t("permit.qr_svg") }),
    ),
  );
}
