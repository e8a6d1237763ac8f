// The app's own words for a field the browser finds wrong (left empty, not an
// address, not a whole number, out of range, too long), written under the
// field in the app's language. The browser's bubble would speak the system's
// language (English on a Russian officer's phone) and in a webview may not
// show at all. Every `invalid` event is cancelled, which keeps the bubble
// away while the browser still refuses to send the form; the constraints
// themselves (`required`, `type="url"`, `min`/`max`) stay on the fields.
import type { Language } from "./api";
import { h } from "./dom";
import { language, t } from "./i18n";

/** What this reads of a field: its validity and the limits its message names. */
export interface FieldState {
  validity: Pick<
    ValidityState,
    | "valueMissing"
    | "typeMismatch"
    | "badInput"
    | "stepMismatch"
    | "rangeUnderflow"
    | "rangeOverflow"
    | "tooLong"
    | "tooShort"
    | "patternMismatch"
    | "customError"
    | "valid"
  >;
  type: string;
  min?: string;
  max?: string;
  maxLength?: number;
}

/** The catalogue's sentence for what is wrong with a field, in `lang`; null when nothing is. */
export function validityMessage(field: FieldState, lang: Language = language()): string | null {
  const v = field.validity;
  if (v.valid) return null;
  if (v.valueMissing) return t("validation.required", {}, lang);
  if (v.typeMismatch) return t(field.type === "url" ? "validation.url" : "validation.format", {}, lang);
  if (v.rangeUnderflow || v.rangeOverflow) {
    return field.min && field.max
      ? t("validation.range", { min: field.min, max: field.max }, lang)
      : t("validation.number", {}, lang);
  }
  if (v.badInput || v.stepMismatch) return t("validation.number", {}, lang);
  if (v.tooLong && field.maxLength && field.maxLength > 0) return t("validation.too_long", { max: field.maxLength }, lang);
  return t("validation.format", {}, lang);
}

type Field = HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement;

const isField = (target: EventTarget | null): target is Field =>
  target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;

/** Writes `message` under `field` (its `-error` line, made on first use) and marks the field invalid. */
function showError(field: Field, message: string): void {
  const id = `${field.id || field.name}-error`;
  let line = field.parentElement?.querySelector<HTMLElement>(`#${CSS.escape(id)}`) ?? null;
  if (!line) {
    line = h("small", { class: "field-error", id, role: "alert" });
    field.insertAdjacentElement("afterend", line);
  }
  line.textContent = message;
  field.setAttribute("aria-invalid", "true");
  field.setAttribute("aria-describedby", id);
}

function clearError(field: Field): void {
  const id = field.getAttribute("aria-describedby");
  if (id) field.parentElement?.querySelector(`#${CSS.escape(id)}`)?.remove();
  field.removeAttribute("aria-invalid");
  field.removeAttribute("aria-describedby");
}

/** Puts the app's messages in place of the browser's validation bubbles in `doc`, once at start. */
export function ownValidationMessages(doc: Document): void {
  // The first field refused in one attempt to send gets the cursor, as the
  // browser would have given it had its bubble been allowed to show.
  let first: Field | null = null;
  doc.addEventListener(
    "invalid",
    (e) => {
      if (!isField(e.target)) return;
      e.preventDefault();
      const field = e.target;
      showError(field, validityMessage(field) ?? field.validationMessage);
      if (!first) {
        first = field;
        // A task, not a microtask: microtasks run between the invalid events of one attempt.
        setTimeout(() => {
          first?.focus();
          first = null;
        });
      }
    },
    true,
  );
  // Mended, the message goes.
  const mended = (e: Event) => {
    if (isField(e.target) && e.target.getAttribute("aria-invalid") === "true" && e.target.validity.valid) {
      clearError(e.target);
    }
  };
  doc.addEventListener("input", mended, true);
  doc.addEventListener("change", mended, true);
}
