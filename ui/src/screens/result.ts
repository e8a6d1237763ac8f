// Result: full screen green, amber or red; the document number large, for
// comparing with the card; returns to Scan by itself. A red result with a
// document offers to record a violation against it (the Manual screen's form).
import type { Verdict } from "../api";
import type { Ctx } from "../app";
import { h } from "../dom";
import { type Key, t, tMaybe, units } from "../i18n";
import { soundOn } from "../preferences";
import { clockTime, formatDuration, validityWindow } from "../time";
import { type Level, levelOf, SYMBOL, timeRowOf, titleOf, violationDocument } from "../verdict";
import { zoneName, zoneNames } from "../zones";

/** Seconds before the screen returns to Scan: long enough to read reasons on red. */
export const RETURN_AFTER_SECONDS: Record<Level, number> = { green: 12, amber: 30, red: 30 };

let timer: ReturnType<typeof setInterval> | undefined;

function reasonText(code: string, message: string): string {
  return tMaybe(`reason.${code}`) ?? message;
}

/** The verdict's reasons or warnings (`kind`) as a list `#result-<kind>`, each in the officer's language; none: nothing. */
function reasonList(kind: "reasons" | "warnings", items: Verdict["reasons"]): HTMLElement | null {
  if (!items.length) return null;
  return h(
    "ul",
    { class: kind, id: `result-${kind}` },
    items.map((r) => h("li", { "data-code": r.code }, reasonText(r.code, r.message))),
  );
}

/** What the result's signal uses of the platform; a test passes its own. */
export interface SignalPlatform {
  vibrate?: (pattern: number | number[]) => boolean;
  AudioContext?: new () => AudioContext;
}

const browser = (): SignalPlatform => ({
  vibrate: typeof navigator !== "undefined" && navigator.vibrate ? (p) => navigator.vibrate(p) : undefined,
  AudioContext: globalThis.AudioContext,
});

/**
 * Vibration where the platform has it, and a tone (high on green, low
 * otherwise) when `sound` is on (Settings); silence otherwise.
 */
export function signal(level: Level, sound: boolean, platform: SignalPlatform = browser()): void {
  try {
    platform.vibrate?.(level === "green" ? 80 : [200, 100, 200]);
  } catch {
    // Vibration is a courtesy: no device is worse off without it.
  }
  if (!sound || !platform.AudioContext) return;
  try {
    const audio = new platform.AudioContext();
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = level === "green" ? 880 : 220;
    gain.gain.value = 0.15;
    tone.connect(gain).connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + (level === "green" ? 0.15 : 0.5));
    tone.onended = () => void audio.close();
  } catch {
    // No audio device (or autoplay refused): the colour says it all.
  }
}

export function resultScreen(ctx: Ctx): HTMLElement {
  const verdict = ctx.state.verdict as Verdict;
  const level = levelOf(verdict);
  const title = titleOf(verdict);
  const permit = verdict.permit;
  const time = timeRowOf(verdict, new Date());

  let remaining = RETURN_AFTER_SECONDS[level];
  const countdown = h("span", { id: "result-countdown" }, t("result.returning", { s: remaining }));
  if (timer) clearInterval(timer);
  const leave = (screen: "scan" | "manual") => {
    if (timer) clearInterval(timer);
    timer = undefined;
    ctx.go(screen);
  };
  const back = () => leave("scan");
  const violationOf = violationDocument(verdict);
  // The draft travels in the app's state: the Manual screen opens on the
  // violation form with the document filled in, the officer adds the rest.
  const recordViolation = (document: string) => () => {
    ctx.state.manualDraft = { kind: "violation", fields: { document } };
    leave("manual");
  };
  timer = setInterval(() => {
    remaining -= 1;
    if (ctx.state.screen !== "result") {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    if (remaining <= 0) return back();
    countdown.textContent = t("result.returning", { s: remaining });
  }, 1000);
  signal(level, soundOn());

  const row = (label: string, value: string | null, id: string) =>
    value ? h("div", { class: "row" }, h("dt", {}, label), h("dd", { id }, value)) : null;

  return h(
    "section",
    {
      class: `result ${level}`,
      id: "result",
      "data-level": level,
      "data-kind": verdict.kind,
      role: "alert",
      "aria-live": "assertive",
    },
    h(
      "h1",
      { id: "result-heading" },
      h("span", { class: "symbol", id: "result-symbol", "aria-hidden": "true" }, SYMBOL[level]),
      h("span", { id: "result-title" }, t(`verdict.${title}` as Key)),
    ),
    permit ? h("p", { class: "document", id: "result-document" }, permit.document) : null,
    h(
      "dl",
      {},
      row(t("result.purpose"), permit ? (tMaybe(`purpose.${permit.purpose}`) ?? permit.purpose) : null, "result-purpose"),
      row(t("result.zone"), permit ? zoneNames(ctx.state.zones, permit.zones) : null, "result-zones"),
      row(t("result.validity"), permit ? validityWindow(permit.valid_from, permit.valid_until) : null, "result-window"),
      time?.kind === "left" ? row(t("result.time_left"), formatDuration(time.minutes, units()), "result-left") : null,
      time?.kind === "starts"
        ? row(
            t("result.starts"),
            t("result.starts_at", { time: clockTime(time.at), in: formatDuration(time.minutes, units()) }),
            "result-starts",
          )
        : null,
      row(
        t("result.issued"),
        verdict.issued_minutes_ago === null
          ? null
          : verdict.issued_minutes_ago >= 0
            ? t("result.issued_ago", { ago: formatDuration(verdict.issued_minutes_ago, units()) })
            : t("result.issued_later"),
        "result-issued",
      ),
      row(t("result.vehicle"), permit?.vehicle ?? null, "result-vehicle"),
      row(t("result.your_zone"), zoneName(ctx.state.zones, verdict.zone), "result-your-zone"),
    ),
    reasonList("reasons", verdict.reasons),
    reasonList("warnings", verdict.warnings),
    h(
      "div",
      { class: "actions" },
      violationOf
        ? h(
            "button",
            { class: "big violation", id: "result-violation", onclick: recordViolation(violationOf) },
            t("result.violation"),
          )
        : null,
      h("button", { class: "big next", id: "result-next", onclick: back }, t("result.next")),
      h("p", { class: "countdown" }, countdown),
    ),
  );
}
