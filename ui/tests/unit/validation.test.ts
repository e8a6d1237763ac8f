import { describe, expect, it } from "vitest";
import { CATALOGUES } from "../../src/i18n";
import { type FieldState, validityMessage } from "../../src/validation";

const VALID: FieldState["validity"] = {
  valueMissing: false,
  typeMismatch: false,
  badInput: false,
  stepMismatch: false,
  rangeUnderflow: false,
  rangeOverflow: false,
  tooLong: false,
  tooShort: false,
  patternMismatch: false,
  customError: false,
  valid: true,
};

const field = (wrong: Partial<FieldState["validity"]>, rest: Partial<FieldState> = {}): FieldState => ({
  validity: { ...VALID, ...wrong, valid: Object.keys(wrong).length === 0 },
  type: "text",
  ...rest,
});

describe("the app's own validation messages", () => {
  it("say nothing of a valid field", () => {
    expect(validityMessage(field({}), "az")).toBeNull();
  });

  it("name an empty required field in the app's language, not the browser's", () => {
    expect(validityMessage(field({ valueMissing: true }), "az")).toBe("Bu sahəni doldurun.");
    expect(validityMessage(field({ valueMissing: true }), "ru")).toBe("Заполните это поле.");
    expect(validityMessage(field({ valueMissing: true }), "en")).toBe(CATALOGUES.en["validation.required"]);
  });

  it("ask for an address, a whole number, a range or fewer characters as the field needs", () => {
    expect(validityMessage(field({ typeMismatch: true }, { type: "url" }), "ru")).toBe(CATALOGUES.ru["validation.url"]);
    expect(validityMessage(field({ typeMismatch: true }, { type: "email" }), "az")).toBe(CATALOGUES.az["validation.format"]);
    expect(validityMessage(field({ stepMismatch: true }, { type: "number" }), "az")).toBe("Tam ədəd yazın.");
    expect(validityMessage(field({ badInput: true }, { type: "number" }), "ru")).toBe("Введите целое число.");
    expect(validityMessage(field({ rangeOverflow: true }, { type: "number", min: "1", max: "8760" }), "az")).toBe(
      "1 ilə 8760 arasında ədəd yazın.",
    );
    expect(validityMessage(field({ rangeUnderflow: true }, { type: "number", min: "1", max: "" }), "en")).toBe(
      CATALOGUES.en["validation.number"],
    );
    expect(validityMessage(field({ tooLong: true }, { maxLength: 32 }), "ru")).toBe("Слишком длинно: не более 32 символов.");
    expect(validityMessage(field({ patternMismatch: true }), "en")).toBe(CATALOGUES.en["validation.format"]);
  });

  it("put an empty field first when a field is wrong in more than one way", () => {
    expect(validityMessage(field({ valueMissing: true, typeMismatch: true }, { type: "url" }), "en")).toBe(
      CATALOGUES.en["validation.required"],
    );
  });
});
