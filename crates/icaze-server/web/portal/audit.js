// The organisation's audit log, oldest first as the API gives it, a page at a
// time: each entry said as a sentence in the page's language, with its
// details filled in (the document, the serials, how many), never as its action
// code and JSON: an action this page does not know (a newer server's) is said
// as such in words, its code kept only in the row's `data-action`.
import { api, guarded } from "./api.js";
import { el, errorBox, labelRow, screen, table } from "./dom.js";
import { t } from "./i18n.js";
import { bakuTime, day } from "./time.js";
import { zoneList, zones } from "./zones.js";

/** A list of serials (or ids) as text: "1042, 1043", or "—" when empty. */
const serials = (list) => (Array.isArray(list) && list.length ? list.join(", ") : "—");

/** How many a list or number holds. */
const count = (value) => (Array.isArray(value) ? value.length : Number(value) || 0);

/**
 * The sentence of each action the server writes (crates/icaze-server/src/portal,
 * the `audit_row` calls; docs/portal-api.md §2): its catalogue key and its
 * parameters from the entry's details `d`. `employee(id)` names an employee
 * the details give only by id (their document when this page could read it).
 */
const ACTIONS = {
  organisation_created: (d) => ["audit.organisation_created", { name: d.name, tax_id: d.tax_id, login: d.login }],
  person_added: (d) => ["audit.person_added", { name: d.name, login: d.login }],
  person_deactivated: (d) => ["audit.person_deactivated", { login: d.login }],
  password_changed: (d, entry) => ["audit.password_changed", { login: d.login ?? entry.by }],
  employee_added: (d) => ["audit.employee_added", { document: d.document, serial: d.serial }],
  employee_edited: (d) => ["audit.employee_edited", { document: d.document, serial: d.serial, revoked: serials(d.revoked) }],
  employee_deleted: (d) => ["audit.employee_deleted", { document: d.document, revoked: serials(d.revoked) }],
  trip_added: (d, entry, employee) => [
    "audit.trip_added",
    { employee: employee(d.employee), zones: zoneList(d.zones), serial: d.serial },
  ],
  employees_imported: (d) => ["audit.employees_imported", { count: count(d.imported) }],
  employees_deactivated: (d) => ["audit.employees_deactivated", { count: count(d.deactivated), reason: d.reason }],
  employees_reactivated: (d) => [
    "audit.employees_reactivated",
    { count: count(d.employees), from: day(d.valid_from), until: day(d.valid_until) },
  ],
  organisation_revoked: (d) => ["audit.organisation_revoked", { count: count(d.revoked), reason: d.reason }],
  permits_reissued: (d) => [
    "audit.permits_reissued",
    {
      count: count(d.reissued),
      pairs: (d.reissued ?? []).map((p) => `${p.old} → ${p.new}`).join(", ") || "—",
    },
  ],
  operator_created: (d) => ["audit.operator_created", { name: d.name, login: d.login }],
  funeral_issued: (d) => ["audit.funeral_issued", { serial: d.serial, document: d.document, zones: zoneList(d.zones) }],
  funeral_revoked: (d) => ["audit.funeral_revoked", { serial: d.serial, reason: d.reason }],
  funeral_sms_sent: (d) => ["audit.funeral_sms_sent", { serial: d.serial, phone: d.phone }],
};

/** Who did it: a login, or the administrator or the key rotation in words. */
function byText(by) {
  if (by === "admin") return t("audit.by_admin");
  if (by === "key-rotation") return t("audit.by_key_rotation");
  return by ?? "";
}

/** What happened, in words: the action's sentence, or that it is one this page cannot describe. */
export function actionText(entry, employee = (id) => t("audit.employee_number", { id })) {
  const details = entry.details && typeof entry.details === "object" ? entry.details : {};
  const say = Object.hasOwn(ACTIONS, entry.action) ? ACTIONS[entry.action] : null;
  if (!say) return t("audit.other");
  const [key, params] = say(details, entry, employee);
  // A detail the server left out shows as a dash, not as an empty gap or "undefined".
  for (const k of Object.keys(params)) if (params[k] === undefined || params[k] === null || params[k] === "") params[k] = "—";
  return t(key, params);
}

export function auditScreen() {
  const error = errorBox("audit-error");
  const headers = [t("audit.at"), t("audit.by"), t("audit.action")];
  const tbody = el("tbody");
  const more = el("button", { type: "button", id: "audit-more", class: "secondary", text: t("action.more"), hidden: true });
  // Employees the details name by id (a business trip's): their documents, read once.
  const documents = new Map();
  let after = null;
  async function readDocuments(entries) {
    const ids = [...new Set(entries.filter((e) => e.action === "trip_added").map((e) => e.details?.employee))]
      .filter((id) => Number.isInteger(id) && !documents.has(id))
      .slice(0, 20);
    await Promise.all(
      ids.map(async (id) => {
        try {
          documents.set(id, (await api("GET", `/portal/api/employees/${id}`))?.document ?? null);
        } catch {
          documents.set(id, null); // Deleted since: named by its number.
        }
      }),
    );
  }
  const employee = (id) => documents.get(id) ?? t("audit.employee_number", { id });
  async function load() {
    await guarded(error, async () => {
      const data = await api("GET", `/portal/api/audit${after !== null ? `?after=${encodeURIComponent(after)}` : ""}`);
      const entries = data?.entries ?? [];
      await Promise.all([zones(), readDocuments(entries)]);
      for (const entry of entries) {
        tbody.append(
          labelRow(
            headers,
            el(
              "tr",
              { "data-action": entry.action, "data-id": entry.id },
              el("td", { class: "when", text: bakuTime(entry.at) }),
              el("td", { text: byText(entry.by) }),
              el("td", { class: "what", text: actionText(entry, employee) }),
            ),
          ),
        );
      }
      after = data?.next ?? null;
      more.hidden = after === null;
      if (!tbody.children.length) tbody.append(el("tr", {}, el("td", { colspan: 3, text: t("audit.none") })));
    });
  }
  more.addEventListener("click", load);
  queueMicrotask(load);
  return screen("audit.title", error, table("audit", headers, [], tbody), more);
}
