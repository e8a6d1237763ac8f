// Settings: language, zone, badge, theme. Language and theme apply at once.
import { api, type Language, type Settings, type Theme } from "../api";
import type { Ctx } from "../app";
import { h } from "../dom";
import { type Key, LANGUAGES, t } from "../i18n";

const THEMES: Theme[] = ["light", "dark", "high_contrast"];
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
  const zone = h("input", {
    id: "settings-zone",
    type: "number",
    inputmode: "numeric",
    // No min/max: the browser's own validation bubble would speak the
    // system's language; the core's `bad_zone` is shown translated instead.
    value: s.zone ?? "",
  });
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
    const z = zone.value.trim();
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
    choice("theme", THEMES, s.theme, (v) => t(`settings.theme.${v}` as Key), (theme) => void save({ ...s, theme })),
    h(
      "form",
      { onsubmit: saveFields, id: "settings-form" },
      h("label", { class: "field" }, h("span", {}, t("settings.zone")), zone),
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
    h("p", { class: "hint" }, t("settings.dir", { dir: ctx.state.status?.dir ?? "" })),
  );
}
