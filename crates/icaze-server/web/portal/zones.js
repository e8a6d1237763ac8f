// The regime's zones: asked of the server once, named in the page's language,
// and chosen with checkboxes (or typed by number when the server lists none).
import { api, isSessionEnd } from "./api.js";
import { el, field, fieldErrorLine } from "./dom.js";
import { language, t } from "./i18n.js";

/** The regime's zones `[{id, az, ru, en}]`, null when the server does not list them, undefined before asking. */
let zonesCache;

export async function zones() {
  if (zonesCache !== undefined) return zonesCache;
  try {
    const data = await api("GET", "/portal/api/zones");
    const list = Array.isArray(data) ? data : data?.zones;
    zonesCache = Array.isArray(list) ? list.filter((z) => Number.isInteger(z?.id)) : null;
  } catch (e) {
    if (isSessionEnd(e)) throw e;
    zonesCache = null;
  }
  return zonesCache;
}

/** Forgets the zones (signing out): the next zones() asks again. */
export function forgetZones() {
  zonesCache = undefined;
}

/** Asks again on the next zones() if the server listed none last time (a change of language). */
export function retryMissingZones() {
  zonesCache = zonesCache === null ? undefined : zonesCache;
}

export function zoneName(id) {
  const z = zonesCache?.find((x) => x.id === id);
  return z ? `${z[language()] ?? z.en ?? z.name ?? id} (${id})` : String(id);
}

export const zoneList = (ids) => (Array.isArray(ids) ? ids.map(zoneName).join(", ") : "");

/**
 * A zone picker: checkboxes when the server lists zones, a typed comma list
 * otherwise. Returns {node, id, value()}: `id` is the element an error about
 * the zones is shown beside, value() the chosen ids.
 */
export function zonePicker(idPrefix, list, selected = []) {
  if (list && list.length) {
    const boxes = list.map((z) =>
      el("input", { type: "checkbox", id: `${idPrefix}-${z.id}`, value: String(z.id), checked: selected.includes(z.id) }),
    );
    const node = el(
      "fieldset",
      { class: "zones", id: idPrefix },
      el("legend", { text: t("field.zones") }),
      list.map((z, i) => el("label", { class: "check", for: `${idPrefix}-${z.id}` }, boxes[i], ` ${zoneName(z.id)}`)),
      fieldErrorLine(idPrefix),
    );
    node.setAttribute("aria-describedby", `${idPrefix}-error`);
    return { node, id: idPrefix, value: () => boxes.filter((b) => b.checked).map((b) => Number(b.value)) };
  }
  const f = field(`${idPrefix}-typed`, t("field.zones_typed"), { value: selected.join(", "), inputmode: "numeric" });
  const input = f.querySelector("input");
  return {
    node: f,
    id: `${idPrefix}-typed`,
    value: () =>
      input.value
        .split(/[,;\s]+/)
        .filter(Boolean)
        .map(Number)
        .filter((n) => Number.isInteger(n) && n >= 0),
  };
}
