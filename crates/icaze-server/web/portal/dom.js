// Building the page. No innerHTML, no inline handlers or styles, no eval (the
// page runs under a strict CSP and shows text from users and the server): every
// node is made with createElement and every text goes in with textContent.
import { t } from "./i18n.js";

/**
 * Makes an element. `props`: `class`, `text`, `on` ({event: handler}), and
 * any attribute; `null`/`undefined`/`false` attributes are left out. Children
 * that are strings become text nodes, never markup.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = String(v);
    else if (k === "class") node.className = v;
    else if (k === "on") for (const [ev, fn] of Object.entries(v)) node.addEventListener(ev, fn);
    else if (k === "value") node.value = v;
    else if (k === "checked") node.checked = Boolean(v);
    else node.setAttribute(k, v === true ? "" : String(v));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (sel) => document.querySelector(sel);

/** Replaces a node's children (strings as text, nested arrays flattened, null skipped). */
export function fill(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

/**
 * A labelled input with the line that says what is wrong with it:
 * `<div class=field><label for=id>…</label><input id=id …><p id=id-error class=field-error hidden></div>`.
 */
export function field(id, label, props = {}, tag = "input") {
  const input = el(tag, { id, name: id, "aria-describedby": `${id}-error`, ...props });
  return el("div", { class: "field" }, el("label", { for: id, text: label }), input, fieldErrorLine(id));
}

/** The line beside the input `id` that says what is wrong with it (empty and hidden when nothing is). */
export function fieldErrorLine(id) {
  return el("p", { id: `${id}-error`, class: "field-error", hidden: true });
}

/** Shows (or, with "", clears) the error beside the input or fieldset `id`, and marks the input. */
export function setFieldError(id, text) {
  const line = document.getElementById(`${id}-error`);
  const input = document.getElementById(id);
  if (line) {
    line.textContent = text;
    line.hidden = !text;
  }
  if (input) {
    if (text) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}

/**
 * A form's errors: its banner `box`, and a line beside each field that an
 * error names. `fields` maps the API's field names (`document`, `valid_from`,
 * …) to the ids of the form's inputs. `show(text, field)` puts the text in
 * the banner and, when the error is about a field of the form, beside it too.
 */
export function formErrors(box, fields = {}) {
  return {
    box,
    fields,
    clear() {
      showError(box, "");
      for (const id of Object.values(fields)) setFieldError(id, "");
    },
    show(text, fieldName = null) {
      showError(box, text);
      const id = fieldName ? fields[fieldName] : null;
      if (id) setFieldError(id, text);
    },
  };
}

/**
 * Checks a form's required inputs before it is sent (the request is not made
 * when one is empty): each empty one is marked beside it, the banner says so,
 * and the first gets the focus. `ids` are input ids, or `[id, isEmpty, text]`
 * for inputs that are not simple text (a zone picker) or need their own words.
 * Gives whether all are filled.
 */
export function checkRequired(errors, ids) {
  errors.clear();
  const empty = [];
  for (const entry of ids) {
    const [id, isEmpty, text] = Array.isArray(entry) ? entry : [entry, () => !document.getElementById(entry)?.value.trim()];
    if (isEmpty()) {
      setFieldError(id, text ?? t("error.required"));
      empty.push(id);
    }
  }
  if (!empty.length) return true;
  showError(errors.box, t(empty.length === 1 ? "error.required_one" : "error.required_many"));
  const first = document.getElementById(empty[0]);
  (first?.matches("fieldset") ? first.querySelector("input") : first)?.focus();
  return false;
}

/** A form's error line, read out by screen readers when it changes. */
export function errorBox(id) {
  return el("p", { id, class: "error", role: "alert", hidden: true });
}

export function showError(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

/** A short message at the top of the page (kept across one route change). */
let pendingFlash = null;
export function flash(text, kind = "ok") {
  const box = $("#flash");
  box.textContent = text;
  box.dataset.kind = kind;
  box.hidden = !text;
}
export function flashNext(text, kind = "ok") {
  pendingFlash = { text, kind };
}
/** On a route change: shows the message flashNext() kept, or clears the last one. */
export function showPendingFlash() {
  if (pendingFlash) {
    flash(pendingFlash.text, pendingFlash.kind);
    pendingFlash = null;
  } else {
    flash("");
  }
}

/**
 * A table in a scrolling wrapper. On a phone its rows become cards, each
 * cell under its column's name (app.css, `table.cards`): the names go in each
 * cell's `data-label`. Rows added later get theirs from labelRow().
 */
export function table(id, headers, rows, tbody = el("tbody")) {
  for (const row of rows.flat(Infinity)) labelRow(headers, row);
  append(tbody, rows);
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { id, class: "cards" },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      tbody,
    ),
  );
}

/** Names each cell of `row` after its column (`data-label`), for the phone's cards; a cell spanning the row is left unnamed. */
export function labelRow(headers, row) {
  [...row.children].forEach((cell, i) => {
    if (headers[i] && !cell.hasAttribute("colspan")) cell.dataset.label = headers[i];
  });
  return row;
}

/** A screen's nodes: its title (a catalogue key), then the children. */
export function screen(titleKey, ...children) {
  return [el("h1", { text: t(titleKey) }), ...children];
}
