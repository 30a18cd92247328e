/** A small element builder: the page draws with plain DOM, no framework. */
type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;
export type Child = Node | string | number | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children)
    if (c !== null && c !== undefined && c !== false)
      el.append(typeof c === 'number' ? String(c) : c);
}

/** Replace an element's content in one go (one layout, not one per child). */
export function fill(el: Element, ...children: Child[]): void {
  const frag = document.createDocumentFragment();
  for (const c of children)
    if (c !== null && c !== undefined && c !== false)
      frag.append(typeof c === 'number' ? String(c) : c);
  el.replaceChildren(frag);
}

/** A labelled form field: the label names the control for screen readers and keyboard users. */
export function field(id: string, label: string, control: HTMLElement, ...extra: Child[]) {
  control.id = id;
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, ...extra);
}

export function select(options: readonly (readonly [string, string])[], value: string) {
  const s = h('select');
  for (const [v, text] of options) s.append(h('option', { value: v }, text));
  s.value = value;
  return s;
}
