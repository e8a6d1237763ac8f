// Building elements without a framework. Text always goes in as text nodes,
// never as HTML, so nothing from a permit or a file can inject markup.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) {
      el.setAttribute(name, "");
    } else {
      el.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Reads a file the officer chose, as bytes. */
export async function fileBytes(file: File): Promise<Uint8Array> {
  return new Uint8Array(await file.arrayBuffer());
}

/**
 * A file input that passes the file chosen to `onChosen` (as a reader of its bytes, so that
 * the caller reads them where it handles errors), then clears itself so the same file can
 * be chosen again.
 */
export function fileInput(
  attrs: { id: string; accept?: string; label: string },
  onChosen: (bytes: () => Promise<Uint8Array>) => Promise<void>,
): HTMLInputElement {
  const input = h("input", {
    type: "file",
    id: attrs.id,
    accept: attrs.accept,
    "aria-label": attrs.label,
    onchange: async () => {
      const chosen = input.files?.[0];
      input.value = "";
      if (!chosen) return;
      await onChosen(() => fileBytes(chosen));
    },
  });
  return input;
}
