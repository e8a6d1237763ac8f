// The app shell: state, navigation, the header and the tab bar. Screens are
// functions from the context to an element; every change re-renders the
// current screen, which is cheap at this size and keeps no stale DOM.
import { api, type AppError, type AppStatus, type ManualRequest, type Settings, type Verdict, type Zone } from "./api";
import { h } from "./dom";
import { type Key, setLanguage, t, tMaybe } from "./i18n";
import { formatDuration } from "./time";
import { units } from "./i18n";
import { followsSystem, shownTheme } from "./preferences";
import { screenAwake } from "./wake-lock";
import { zoneName } from "./zones";

/**
 * Errors that ask the officer to try again rather than report a failure: text
 * that holds no readable permit is not a refusal of anyone, so its banner is
 * not red (a red screen is for a person who may not pass).
 */
const RETRY_CODES = new Set(["unreadable_token", "newer_token"]);

export type Screen =
  | "scan"
  | "result"
  | "manual"
  | "log"
  | "sync"
  | "enrollment"
  | "settings"
  | "setup"
  | "supervisor";

/**
 * The camera to reopen when Scan shows again after a result, because the
 * camera read that check: with its torch as it was, and the text just checked
 * (`skip`), which the reopened camera does not check again.
 */
export interface Rescan {
  torch: boolean;
  skip: string;
}

/** What the Manual screen opens filled in with: a kind and some of its fields (a red result's violation). */
export interface ManualDraft {
  kind: ManualRequest["kind"];
  fields: Record<string, string>;
}

export interface State {
  status: AppStatus | null;
  settings: Settings;
  /** The zones the bundle names (empty without a bundle), for the picker and for reading zones by name. */
  zones: Zone[];
  screen: Screen;
  verdict: Verdict | null;
  /** Set by Scan before a camera check's result; taken by the next Scan screen. */
  rescan: Rescan | null;
  /** Set by the Result's "record a violation"; read by the Manual screen while it shows. */
  manualDraft: ManualDraft | null;
  error: AppError | null;
  notice: string | null;
  busy: boolean;
}

export interface Ctx {
  state: State;
  go(screen: Screen): void;
  refresh(): Promise<void>;
  fail(error: unknown): void;
  notify(text: string): void;
  showVerdict(verdict: Verdict): void;
  applySettings(settings: Settings): void;
  /** Runs a command with the busy flag set and errors shown. */
  run<T>(work: () => Promise<T>): Promise<T | undefined>;
}

type Renderer = (ctx: Ctx) => HTMLElement;

const TABS: { screen: Screen; key: Key }[] = [
  { screen: "scan", key: "nav.scan" },
  { screen: "manual", key: "nav.manual" },
  { screen: "log", key: "nav.log" },
  { screen: "sync", key: "nav.sync" },
  { screen: "settings", key: "nav.settings" },
];

/**
 * The tab lit for a screen that has none of its own: Enrollment and the
 * supervisor's screen are reached from Settings. Five tabs fit a 320 px phone;
 * a sixth for the few officers who supervise did not.
 */
const TAB_OF: Partial<Record<Screen, Screen>> = { enrollment: "settings", supervisor: "settings" };

/** The message to show for an error: the catalogue's, else the core's English sentence. */
export function errorText(error: AppError): string {
  return tMaybe(`error.${error.code}`) ?? error.message;
}

export function createApp(root: HTMLElement, screens: Record<Screen, Renderer>): Ctx {
  const state: State = {
    status: null,
    settings: { language: "az", zone: null, officer: null, theme: "light", server: null },
    zones: [],
    screen: "scan",
    verdict: null,
    rescan: null,
    manualDraft: null,
    error: null,
    notice: null,
    busy: false,
  };

  // The system's light or dark, for the theme that follows it (Settings).
  const systemDark = typeof matchMedia === "function" ? matchMedia("(prefers-color-scheme: dark)") : null;
  const applyTheme = () => {
    document.documentElement.dataset.theme = shownTheme(state.settings.theme, followsSystem(), systemDark?.matches ?? false);
  };
  systemDark?.addEventListener("change", applyTheme);

  const render = () => {
    // Settings and Supervisor need no device: a precinct desktop may have none.
    const needsDevice = state.screen !== "settings" && state.screen !== "supervisor";
    const screen = state.status && !state.status.device && needsDevice ? "setup" : state.screen;
    const body = screens[screen](ctx);
    const full = screen === "result";
    // The screen stays on while the officer scans: Scan and the result it leads to.
    if (screen === "scan" || screen === "result") screenAwake.hold();
    else screenAwake.release();
    const banners = [
      ...(state.error
        ? [banner(RETRY_CODES.has(state.error.code) ? "retry" : "error", errorText(state.error), () => ((state.error = null), render()))]
        : []),
      ...(state.notice ? [banner("notice", state.notice, () => ((state.notice = null), render()))] : []),
    ];
    root.replaceChildren(
      ...(full ? [] : [header()]),
      // Banners lie over the top of the screen (style.css `.banners`): one that
      // comes or goes never moves the buttons under the officer's thumb.
      ...(banners.length ? [h("div", { class: "banners", id: "banners" }, banners)] : []),
      h("main", { id: "screen", "data-screen": screen, class: full ? "full" : "" }, body),
      ...(full || screen === "setup" ? [] : [tabBar(TAB_OF[screen] ?? screen)]),
    );
  };

  const banner = (kind: string, text: string, close: () => void) =>
    h(
      "div",
      { class: `banner ${kind}`, role: kind === "error" ? "alert" : "status", id: `${kind}-banner` },
      h("span", {}, text),
      h("button", { class: "close", "aria-label": t("action.close"), onclick: close }, "×"),
    );

  const header = () => {
    const device = state.status?.device;
    const zone = state.settings.zone;
    const fresh = device?.freshness ?? "no_data";
    const age =
      device?.data_age_minutes != null ? formatDuration(device.data_age_minutes, units()) : t("freshness.no_data");
    return h(
      "header",
      { class: "top" },
      h("span", { class: "brand" }, "Icaze"),
      h(
        "span",
        { class: "zone", id: "header-zone", title: zone ? t("zone.number", { zone }) : null },
        zone ? zoneName(state.zones, zone) : t("header.no_zone"),
      ),
      h("span", { class: `fresh ${fresh}`, title: t(`freshness.${fresh}` as Key) }, t("header.data", { age })),
    );
  };

  const tabBar = (active: Screen) =>
    h(
      "nav",
      { class: "tabs" },
      TABS.map(({ screen, key }) =>
        h(
          "button",
          {
            class: screen === active ? "tab active" : "tab",
            id: `tab-${screen}`,
            "aria-current": screen === active ? "page" : null,
            onclick: () => ctx.go(screen),
          },
          t(key),
        ),
      ),
    );

  const ctx: Ctx = {
    state,
    go(screen) {
      const from = state.screen;
      state.screen = screen;
      // A banner is about the screen it came on: it goes with the screen, so that
      // none lies over the next one (the Result's verdict least of all).
      state.error = null;
      state.notice = null;
      // What a screen hands on is for the one screen it names: leaving the
      // Result for Manual forgets the camera, leaving Manual its draft.
      if (screen !== "scan") state.rescan = null;
      if (screen !== "manual") state.manualDraft = null;
      render();
      // Back from a check: the log and data age in the header have moved on.
      if (from === "result") void ctx.refresh();
    },
    async refresh() {
      try {
        const first = state.status === null;
        // The zones are read each time: a sync or an imported bundle may
        // bring new ones, and a regime may have come into force meanwhile.
        const [status, zones] = await Promise.all([api.status(), api.zones()]);
        state.status = status;
        state.zones = zones;
        if (first) {
          ctx.applySettings(status.settings);
        } else {
          // Only the header is redrawn: a full render would wipe what the
          // officer is typing on the current screen.
          state.settings = status.settings;
          root.querySelector("header.top")?.replaceWith(header());
        }
      } catch (e) {
        ctx.fail(e);
      }
    },
    fail(error) {
      state.error =
        error && typeof error === "object" && "code" in error
          ? (error as AppError)
          : { code: "ipc", message: String(error) };
      render();
    },
    notify(text) {
      state.notice = text;
      render();
    },
    showVerdict(verdict) {
      state.verdict = verdict;
      state.screen = "result";
      state.error = null;
      state.notice = null;
      render();
    },
    applySettings(settings) {
      state.settings = settings;
      setLanguage(settings.language);
      applyTheme();
      render();
    },
    async run(work) {
      state.busy = true;
      state.error = null;
      try {
        return await work();
      } catch (e) {
        ctx.fail(e);
        return undefined;
      } finally {
        state.busy = false;
      }
    },
  };
  return ctx;
}
