// Small DOM and formatting helpers of the status page. Every value from the API goes through
// textContent: nothing from the database becomes markup.

/** The element with this id; the page's own markup has every id the script asks for. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

export type Cell = Node | string | number | null | undefined;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string | number | null,
  cls?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

export function row(cells: Cell[], cls?: string): HTMLTableRowElement {
  const tr = el('tr', null, cls);
  for (const c of cells) {
    const td = el('td');
    if (c instanceof Node) td.appendChild(c);
    else td.textContent = c === null || c === undefined ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}

export function span(children: (Node | null | undefined)[]): HTMLSpanElement {
  const s = el('span');
  for (const c of children) if (c) s.appendChild(c);
  return s;
}

/** Replaces the body of the table with this id. */
export function fill(id: string, rows: Node[]): void {
  document.querySelector(`#${id} > tbody`)?.replaceChildren(...rows);
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

export function seconds(s: number | null | undefined): string {
  if (s === null || s === undefined) return '';
  if (s < 60) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function ago(s: number | null | undefined): string {
  if (s === null || s === undefined) return 'never';
  if (s < 90) return `${s} s ago`;
  if (s < 5400) return `${Math.round(s / 60)} min ago`;
  if (s < 172800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** Lines may break between flags, never inside one ("--include-" / "dependents"). */
export function flags(words: string | null | undefined): HTMLElement {
  if (!words) return el('span', 'whole graph', 'muted');
  const code = el('code', null, 'flags');
  words.split(' ').forEach((w, i) => {
    if (i) code.appendChild(document.createTextNode(' '));
    code.appendChild(el('span', w));
  });
  return code;
}

/** A name of any length takes one line: cut with an ellipsis, whole (up to 300 characters) in the tooltip. */
export function cut(text: string | null | undefined, fallback?: string): HTMLSpanElement {
  const value = text === null || text === undefined || text === '' ? (fallback ?? '') : String(text);
  const s = el('span', value, 'cut');
  s.title = value.length > 300 ? `${value.slice(0, 300)}…` : value;
  return s;
}

export function short(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export function say(text: string, isError?: boolean): void {
  const m = byId('message');
  m.textContent = text;
  m.hidden = !text;
  m.className = isError ? 'message error' : 'message';
}

export function grams(g: number | null | undefined): string {
  if (g === null || g === undefined) return '';
  return g >= 1000 ? `${(g / 1000).toFixed(2)} kg` : `${g.toFixed(g < 10 ? 2 : 1)} g`;
}
