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

/** A labelled input: `<div class=field><label for=id>…</label><input id=id …></div>`. */
export function field(id, label, props = {}, tag = "input") {
  const input = el(tag, { id, name: id, ...props });
  return el("div", { class: "field" }, el("label", { for: id, text: label }), input);
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

/** A table in a scrolling wrapper (phones). */
export function table(id, headers, rows) {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      { id },
      el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col", text: h })))),
      el("tbody", {}, rows),
    ),
  );
}

/** A screen's nodes: its title (a catalogue key), then the children. */
export function screen(titleKey, ...children) {
  return [el("h1", { text: t(titleKey) }), ...children];
}
