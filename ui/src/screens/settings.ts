// Settings: language, zone, badge, theme, the result's sound. Language, theme
// and sound apply at once. "Follow the system" and the sound are this phone's
// own (preferences.ts), the rest the app core's settings.
// The zone is picked by name from those the bundle names; a zone it does not
// name, or any zone before the first bundle, is given by its number.
import { api, type Language, type Settings, type Theme, type Zone } from "../api";
import type { Ctx } from "../app";
import { h } from "../dom";
import { type Key, LANGUAGES, t } from "../i18n";
import { followsSystem, setFollowsSystem, setSoundOn, soundOn } from "../preferences";
import { isNamed, zoneName } from "../zones";

/** A theme of the core's settings, or "follow the system" (kept on the phone). */
type ThemeChoice = Theme | "system";
const THEMES: ThemeChoice[] = ["system", "light", "dark", "high_contrast"];
const SOUND = ["on", "off"] as const;
const LANGUAGE_NAMES: Record<Language, string> = { az: "Azərbaycanca", ru: "Русский", en: "English" };

export function settingsScreen(ctx: Ctx): HTMLElement {
  const s = ctx.state.settings;
  const save = async (next: Settings) => {
    const saved = await ctx.run(() => api.saveSettings(next));
    if (saved) {
      ctx.applySettings(saved);
      await ctx.refresh();
    }
  };
  const zone = zonePicker(ctx.state.zones, s.zone);
  const officer = h("input", { id: "settings-officer", maxlength: 32, value: s.officer ?? "", autocomplete: "off" });
  const server = h("input", {
    id: "settings-server",
    type: "url",
    inputmode: "url",
    maxlength: 512,
    value: s.server ?? "",
    placeholder: ctx.state.status?.server ?? "https://",
    autocomplete: "off",
  });
  const choice = <T extends string>(group: string, values: readonly T[], current: T, label: (v: T) => string, pick: (v: T) => void) =>
    h(
      "div",
      { class: "segmented", role: "radiogroup", id: `settings-${group}` },
      values.map((v) =>
        h(
          "button",
          {
            role: "radio",
            id: `settings-${group}-${v}`,
            class: v === current ? "active" : "",
            "aria-checked": v === current ? "true" : "false",
            onclick: () => pick(v),
          },
          label(v),
        ),
      ),
    );
  const saveFields = (e: Event) => {
    e.preventDefault();
    const z = zone.value();
    void save({
      ...s,
      zone: z ? Number(z) : null,
      officer: officer.value.trim() || null,
      server: server.value.trim() || null,
    });
  };
  const has_device = Boolean(ctx.state.status?.device);
  return h(
    "section",
    { class: "settings" },
    h("h1", {}, t("settings.title")),
    h("h2", {}, t("settings.language")),
    choice("language", LANGUAGES, s.language, (l) => LANGUAGE_NAMES[l], (language) => void save({ ...s, language })),
    h("h2", {}, t("settings.theme")),
    choice(
      "theme",
      THEMES,
      followsSystem() ? "system" : s.theme,
      (v) => t(`settings.theme.${v}` as Key),
      (theme) => {
        setFollowsSystem(theme === "system");
        // The core keeps a theme of its own as before; following the system only changes what is drawn.
        if (theme === "system") ctx.applySettings(ctx.state.settings);
        else void save({ ...s, theme });
      },
    ),
    h("h2", {}, t("settings.sound")),
    choice(
      "sound",
      SOUND,
      soundOn() ? "on" : "off",
      (v) => t(`settings.sound.${v}` as Key),
      (v) => {
        setSoundOn(v === "on");
        ctx.go("settings");
      },
    ),
    h(
      "form",
      { onsubmit: saveFields, id: "settings-form" },
      ...zone.fields,
      h(
        "label",
        { class: "field" },
        h("span", {}, t("settings.officer")),
        officer,
        ctx.state.status?.officer && !s.officer
          ? h("small", {}, t("settings.officer_issued", { badge: ctx.state.status.officer }))
          : null,
      ),
      h("label", { class: "field" }, h("span", {}, t("settings.server")), server),
      h("button", { class: "primary big", type: "submit", id: "settings-save" }, t("settings.save")),
    ),
    has_device
      ? h("button", { class: "big", id: "settings-enrollment", onclick: () => ctx.go("enrollment") }, t("enrollment.title"))
      : h("button", { class: "big", onclick: () => ctx.go("setup") }, t("setup.title")),
    // The supervisor's screen is here rather than a sixth tab: few officers use it, and
    // five tabs fit a 320 px phone. It needs no device (a precinct desktop may have none).
    h("h2", {}, t("settings.supervisor")),
    h("button", { class: "big", id: "settings-supervisor", onclick: () => ctx.go("supervisor") }, t("supervisor.title")),
    h("p", { class: "hint" }, t("settings.dir", { dir: ctx.state.status?.dir ?? "" })),
  );
}

/** The select's value for a zone the bundle does not name. */
const OTHER = "other";

/**
 * The zone fields: a select of the named zones (the name in the app's
 * language, its number small beside it) with "another zone" revealing a
 * number field; with no names (no bundle yet) the number field alone, and a
 * hint that the names come with the data. `value()` is the number chosen, as
 * text ("" for none).
 */
function zonePicker(zones: readonly Zone[], current: number | null): { fields: HTMLElement[]; value: () => string } {
  const named = isNamed(zones, current);
  const number = h("input", {
    id: "settings-zone-number",
    type: "number",
    inputmode: "numeric",
    // No min/max: the browser's own validation bubble would speak the
    // system's language; the core's `bad_zone` is shown translated instead.
    // Behind "another zone" it starts empty unless the saved zone is one the list lacks.
    value: named ? "" : (current ?? ""),
  });
  if (zones.length === 0) {
    return {
      fields: [
        h("label", { class: "field" }, h("span", {}, t("settings.zone_number")), number),
        h("p", { class: "hint", id: "settings-zone-no-names" }, t("settings.zone_no_names")),
      ],
      value: () => number.value.trim(),
    };
  }
  const select = h(
    "select",
    { id: "settings-zone" },
    current === null ? h("option", { value: "", selected: true }, t("settings.zone_choose")) : null,
    zones.map((z) => h("option", { value: z.id, selected: z.id === current }, zoneName(zones, z.id))),
    h("option", { value: OTHER, selected: current !== null && !named }, t("settings.zone_other")),
  );
  const id = h("small", { class: "zone-id", id: "settings-zone-id" });
  const numberField = h(
    "label",
    { class: "field", id: "settings-zone-number-field" },
    h("span", {}, t("settings.zone_number")),
    number,
    h("small", {}, t("settings.zone_other_hint")),
  );
  const show = () => {
    const picked = select.value;
    const isOther = picked === OTHER;
    numberField.hidden = !isOther;
    id.hidden = isOther || picked === "";
    id.textContent = isOther || picked === "" ? "" : t("settings.zone_id", { zone: picked });
  };
  select.addEventListener("change", show);
  show();
  return {
    fields: [
      h("label", { class: "field" }, h("span", {}, t("settings.zone")), h("div", { class: "zone-pick" }, select, id)),
      numberField,
    ],
    value: () => (select.value === OTHER ? number.value.trim() : select.value),
  };
}
