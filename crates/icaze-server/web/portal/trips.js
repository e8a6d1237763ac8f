// An employee's business trips: each with its own permit, and the form that adds one.
import { api, guarded } from "./api.js";
import { $, checkRequired, el, errorBox, field, flashNext, formErrors } from "./dom.js";
import { t } from "./i18n.js";
import { permitBlock } from "./permit.js";
import { route } from "./router.js";
import { bakuDay, day } from "./time.js";
import { zoneList, zonePicker } from "./zones.js";

/** The trips section of an employee's screen; `base` is the employee's API path, `zones` the regime's. */
export function tripsSection(base, trips, zones) {
  const tripError = errorBox("trip-error");
  const picker = zonePicker("trip-zones", zones, []);
  const errors = formErrors(tripError, { zones: picker.id, valid_from: "trip-from", valid_until: "trip-until" });
  const tripForm = el(
    "form",
    { id: "trip-form", class: "card", novalidate: true },
    el("h3", { text: t("trips.add") }),
    picker.node,
    el(
      "div",
      { class: "row" },
      field("trip-from", t("field.valid_from"), { type: "date", value: bakuDay(), required: true }),
      field("trip-until", t("field.valid_until"), { type: "date", value: bakuDay(3), required: true }),
    ),
    tripError,
    el("button", { type: "submit", id: "trip-submit", text: t("trips.add") }),
  );
  tripForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const zonesChosen = [picker.id, () => !picker.value().length, t("zones.pick")];
    if (!checkRequired(errors, [zonesChosen, "trip-from", "trip-until"])) return;
    const chosen = picker.value();
    await guarded(errors, async () => {
      const trip = await api("POST", `${base}/trips`, {
        zones: chosen,
        valid_from: $("#trip-from").value,
        valid_until: $("#trip-until").value,
      });
      flashNext(t("trips.added", { serial: trip?.permit?.serial ?? "—" }));
      route();
    });
  });
  return [
    el("h2", { text: t("trips.title") }),
    trips.length
      ? el(
          "div",
          { id: "trips" },
          trips.map((trip) =>
            el(
              "section",
              { class: "card trip", "data-trip": trip.id },
              el("p", { text: `${zoneList(trip.zones)} · ${day(trip.valid_from)} – ${day(trip.valid_until)}` }),
              permitBlock(`trip-${trip.id}`, `/portal/api/trips/${encodeURIComponent(trip.id)}`, trip.permit),
            ),
          ),
        )
      : el("p", { id: "trips-empty", text: t("trips.none") }),
    tripForm,
  ];
}
