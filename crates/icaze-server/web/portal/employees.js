// An employer's employees: the searchable list, the form that registers or
// edits one (an edit of a signed field issues a new permit, after the
// employer confirms it), and one employee's screen with
// their permit and business trips.
import { api, errorText, guarded, isSessionEnd } from "./api.js";
import { $, checkRequired, el, errorBox, field, fill, flashNext, formErrors, screen, showError, table } from "./dom.js";
import { t } from "./i18n.js";
import { permitBlock } from "./permit.js";
import { bakuDay, day } from "./time.js";
import { tripsSection } from "./trips.js";
import { zoneList, zonePicker, zones } from "./zones.js";

export function statusText(status) {
  return status === "active" ? t("status.active") : status === "deactivated" ? t("status.deactivated") : status;
}

export async function employeesScreen(params) {
  const q = params.get("q") ?? "";
  const status = params.get("status") ?? "";
  const after = params.get("after") ?? "";
  const error = errorBox("employees-error");
  const search = el(
    "form",
    { id: "employees-search", class: "inline", role: "search" },
    field("employees-q", t("employees.search"), { type: "search", value: q }),
    el(
      "div",
      { class: "field" },
      el("label", { for: "employees-status", text: t("status.title") }),
      el(
        "select",
        { id: "employees-status" },
        el("option", { value: "", text: t("status.all") }),
        el("option", { value: "active", text: t("status.active") }),
        el("option", { value: "deactivated", text: t("status.deactivated") }),
      ),
    ),
    el("button", { type: "submit", id: "employees-search-submit", text: t("employees.search_button") }),
  );
  search.querySelector("#employees-status").value = status;
  search.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const p = new URLSearchParams();
    const qv = $("#employees-q").value.trim();
    const sv = $("#employees-status").value;
    if (qv) p.set("q", qv);
    if (sv) p.set("status", sv);
    if (params.get("limit")) p.set("limit", params.get("limit"));
    location.hash = `#/employees${p.size ? `?${p}` : ""}`;
  });
  const body = el("div", { id: "employees-body" }, el("p", { class: "loading", text: t("page.loading") }));
  const view = screen(
    "employees.title",
    el("p", {}, el("a", { href: "#/employees/new", id: "employees-new", class: "button", text: t("employees.register") })),
    search,
    error,
    body,
  );
  queueMicrotask(() =>
    guarded(error, async () => {
      await zones();
      // The page size can be set in the address (`#/employees?limit=20`); 50 by default.
      const limit = /^\d{1,4}$/.test(params.get("limit") ?? "") ? params.get("limit") : "50";
      const p = new URLSearchParams({ limit });
      if (q) p.set("q", q);
      if (status) p.set("status", status);
      if (after) p.set("after", after);
      const data = await api("GET", `/portal/api/employees?${p}`);
      const list = data?.employees ?? [];
      const rows = list.map((e) =>
        el(
          "tr",
          { "data-id": e.id, "data-document": e.document },
          el("td", {}, el("a", { href: `#/employees/${e.id}`, text: e.document })),
          el("td", { text: e.name }),
          el("td", { text: e.position }),
          el("td", { text: zoneList(e.zones) }),
          el("td", { text: `${day(e.valid_from)} – ${day(e.valid_until)}` }),
          el("td", { text: statusText(e.status) }),
          el("td", { class: "serial", text: e.permit?.serial ?? "—" }),
        ),
      );
      const nav = el("p", { class: "paging" });
      if (after) {
        const first = new URLSearchParams(params);
        first.delete("after");
        nav.append(el("a", { href: `#/employees${first.size ? `?${first}` : ""}`, id: "employees-first", text: t("paging.first") }));
      }
      if (data?.next !== null && data?.next !== undefined) {
        const next = new URLSearchParams(params);
        next.set("after", String(data.next));
        nav.append(" ", el("a", { href: `#/employees?${next}`, id: "employees-next", text: t("paging.next") }));
      }
      fill(
        body,
        list.length
          ? table(
              "employees-table",
              [
                t("field.document"),
                t("field.name"),
                t("field.position"),
                t("field.zones"),
                t("field.validity"),
                t("status.title"),
                t("permit.serial"),
              ],
              rows,
            )
          : el("p", { id: "employees-empty", text: t("employees.none") }),
        nav,
      );
    }),
  );
  return view;
}

/** The form that registers an employee (`id` null) or edits one. */
export async function employeeForm(id) {
  const error = errorBox("employee-error");
  let employee = null;
  if (id) employee = await api("GET", `/portal/api/employees/${encodeURIComponent(id)}`).catch((e) => e);
  if (employee instanceof Error) {
    showError(error, errorText(employee));
    return screen("employee.edit_title", error);
  }
  const list = await zones();
  const picker = zonePicker("employee-zones", list, employee?.zones ?? []);
  const errors = formErrors(error, {
    document: "employee-document",
    name: "employee-name",
    position: "employee-position",
    zones: picker.id,
    valid_from: "employee-from",
    valid_until: "employee-until",
    plate: "employee-plate",
  });
  const form = el(
    "form",
    { id: "employee-form", class: "card", novalidate: true },
    field("employee-document", t("field.document"), {
      value: employee?.document ?? "",
      required: true,
      autocapitalize: "characters",
    }),
    field("employee-name", t("field.name"), { value: employee?.name ?? "", required: true }),
    field("employee-position", t("field.position"), { value: employee?.position ?? "" }),
    picker.node,
    el(
      "div",
      { class: "row" },
      field("employee-from", t("field.valid_from"), { type: "date", value: employee?.valid_from ?? bakuDay(), required: true }),
      field("employee-until", t("field.valid_until"), { type: "date", value: employee?.valid_until ?? bakuDay(14), required: true }),
    ),
    field("employee-plate", t("field.plate_optional"), { value: employee?.plate ?? "" }),
    error,
    el(
      "div",
      { class: "actions" },
      el("button", { type: "submit", id: "employee-submit", text: t("action.save") }),
      el("a", { href: id ? `#/employees/${id}` : "#/employees", class: "button secondary", text: t("action.cancel") }),
    ),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const required = ["employee-document", "employee-name", [picker.id, () => !picker.value().length, t("zones.pick")]];
    if (!checkRequired(errors, [...required, "employee-from", "employee-until"])) return;
    const chosen = picker.value();
    const plate = $("#employee-plate").value.trim();
    const body = {
      document: $("#employee-document").value.trim().toUpperCase(),
      name: $("#employee-name").value.trim(),
      position: $("#employee-position").value.trim(),
      zones: chosen,
      valid_from: $("#employee-from").value,
      valid_until: $("#employee-until").value,
      plate: plate || null,
    };
    $("#employee-submit").disabled = true;
    await guarded(errors, async () => {
      let reissues = true;
      if (id) {
        // The server tells whether this edit revokes the permit (a signed field
        // changed); only then is the employer asked.
        const preview = await api("POST", `/portal/api/employees/${encodeURIComponent(id)}/preview`, body);
        reissues = preview?.reissues !== false;
        if (reissues && !window.confirm(t("employee.confirm_reissue"))) return;
      }
      const saved = id
        ? await api("PUT", `/portal/api/employees/${encodeURIComponent(id)}`, body)
        : await api("POST", "/portal/api/employees", body);
      const done = !id ? "employee.registered" : reissues ? "employee.updated" : "employee.saved";
      flashNext(t(done, { serial: saved?.permit?.serial ?? "—" }));
      location.hash = `#/employees/${saved.id}`;
    });
    const submit = $("#employee-submit");
    if (submit) submit.disabled = false;
  });
  return screen(id ? "employee.edit_title" : "employee.register_title", form);
}

/** One employee: their facts, permit, edit and delete, and business trips. */
export async function employeeScreen(id) {
  const error = errorBox("employee-detail-error");
  const list = await zones();
  let e;
  try {
    e = await api("GET", `/portal/api/employees/${encodeURIComponent(id)}`);
  } catch (err) {
    if (isSessionEnd(err)) return [];
    showError(error, errorText(err));
    return [el("p", {}, el("a", { href: "#/employees", text: t("action.back") })), error];
  }
  const base = `/portal/api/employees/${encodeURIComponent(e.id)}`;
  const del = el("button", { type: "button", id: "employee-delete", class: "danger", text: t("action.delete") });
  del.addEventListener("click", async () => {
    if (!window.confirm(t("employee.confirm_delete", { employee: `${e.name} (${e.document})` }))) return;
    await guarded(error, async () => {
      const r = await api("DELETE", base);
      flashNext(t("employee.deleted", { serials: (r?.revoked ?? []).join(", ") || "—" }));
      location.hash = "#/employees";
    });
  });
  return [
    el("p", {}, el("a", { href: "#/employees", id: "employee-back", text: t("action.back") })),
    el("h1", { id: "employee-title", text: `${e.name} — ${e.document}` }),
    error,
    el(
      "dl",
      { class: "card facts" },
      el("dt", { text: t("field.document") }),
      el("dd", { id: "employee-document-value", text: e.document }),
      el("dt", { text: t("field.position") }),
      el("dd", { text: e.position }),
      el("dt", { text: t("field.zones") }),
      el("dd", { id: "employee-zones-value", text: zoneList(e.zones) }),
      el("dt", { text: t("field.validity") }),
      el("dd", { id: "employee-dates", text: `${day(e.valid_from)} – ${day(e.valid_until)}` }),
      el("dt", { text: t("field.plate") }),
      el("dd", { text: e.plate ?? "—" }),
      el("dt", { text: t("status.title") }),
      el("dd", { id: "employee-status", text: statusText(e.status) }),
    ),
    el("h2", { text: t("permit.title") }),
    permitBlock("employee", base, e.permit),
    el(
      "div",
      { class: "actions" },
      el("a", { href: `#/employees/${e.id}/edit`, id: "employee-edit", class: "button", text: t("action.edit") }),
      del,
    ),
    tripsSection(base, e.trips ?? [], list),
  ];
}
