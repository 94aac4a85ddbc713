// The docs page's shared state and helpers; graph.ts, search.ts, panels.ts and app.ts build on them.
// Bundled by esbuild into one classic script (app.js), so the page also works opened from disk.
import type { DocsCatalog, DocsCatalogEntry, DocsRunResult } from '../catalog-snapshot.js';
import type { DocsAction } from '../docs-model.js';
import type { LineageLayout } from '../layout.js';
import type { DocsSiteData } from '../site-data.js';

export const SVG_NS = 'http://www.w3.org/2000/svg';
/** Past this many actions the whole graph is a texture, not a picture: the page starts on lineage. */
export const LINEAGE_ONLY_FROM = 150;

/** The layout on screen: the whole project's, or the selection's lineage laid out on its own. */
export interface ShownLayout extends LineageLayout {
  focus: string | null;
  assertions: boolean;
}

export interface PageState {
  data: DocsSiteData;
  catalog: DocsCatalog;
  byId: Map<string, DocsAction>;
  bySqliteName: Map<string, DocsCatalogEntry>;
  nodeEls: Map<string, SVGGElement>;
  edgeEls: { edge: LineageLayout['edges'][number]; el: SVGPathElement }[];
  layout: ShownLayout;
  lineageOnly: boolean;
  /** Assertions drawn as nodes (true) or as a badge on the action they check (the default). */
  showAssertions: boolean;
  selected: string | null;
  /** Sidebar groups the reader folded. */
  folded: Set<string>;
  query: string;
  view: { x: number; y: number; k: number };
}

const emptyLayout: ShownLayout = {
  width: 0,
  height: 0,
  nodes: {},
  edges: [],
  focus: null,
  assertions: false,
};

/** One state for the page; app.ts fills `data` and `catalog` before anything renders. */
export const state: PageState = {
  data: undefined as unknown as DocsSiteData,
  catalog: undefined as unknown as DocsCatalog,
  byId: new Map(),
  bySqliteName: new Map(),
  nodeEls: new Map(),
  edgeEls: [],
  layout: emptyLayout,
  lineageOnly: false,
  showAssertions: false,
  selected: null,
  folded: new Set(),
  query: '',
  view: { x: 0, y: 0, k: 1 },
};

/** The element with this id; the page's own markup has every id the scripts ask for. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined>;

/** The nodes and texts of nested children, skipping the empty ones. */
export function nodesOf(children: Child[]): (Node | string)[] {
  return children.flatMap((child): (Node | string)[] => {
    if (child === undefined || child === null || child === false) return [];
    if (Array.isArray(child)) return nodesOf(child);
    return [typeof child === 'number' ? String(child) : child];
  });
}

/** Creates an element; strings become text nodes, so nothing from the data is parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = String(value);
    else if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  el.append(...nodesOf(children));
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs ?? {})) el.setAttribute(key, String(value));
  return el;
}

export const actionHref = (id: string): string => `#/action/${encodeURIComponent(id)}`;

/** Lists show a built-in assertion by its label (`jobs_brz: uniqueKey_0`), not its generated name. */
export function displayName(action: DocsAction): string {
  return action.parent ? action.label : action.name;
}

export function actionLink(id: string): HTMLElement {
  const action = state.byId.get(id);
  if (!action) return h('code', { text: id });
  return h('a', { href: actionHref(id), class: `layer-${action.layer}` }, displayName(action));
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function formatCount(n: number | null | undefined): string {
  return typeof n === 'number' ? n.toLocaleString() : '\u2014';
}

declare global {
  interface Window {
    /** Set by docs-data.js, the data file's copy for a page opened from disk. */
    BAMBUZLED_DOCS?: DocsSiteData;
  }
}

const TOKEN_KEY = 'bambuzled-docs-token';

/** A served site started with --token: a page opened as /#token=… keeps it for the session. */
export function takeTokenFromHash(): void {
  const given = /^#token=([^&]+)$/.exec(location.hash);
  if (!given?.[1]) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(given[1]));
  history.replaceState(null, '', location.pathname);
}

/** GET from the serving docs server, with the token when the reader gave one; asks once on a 401. */
export async function fetchServed(path: string): Promise<Response> {
  const send = () => {
    const token = sessionStorage.getItem(TOKEN_KEY);
    return fetch(path, {
      cache: 'no-store',
      ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
    });
  };
  const res = await send();
  if (res.status !== 401) return res;
  const token = prompt('These docs need their token:');
  if (!token) return res;
  sessionStorage.setItem(TOKEN_KEY, token);
  return send();
}

export async function loadData(): Promise<DocsSiteData> {
  if (location.protocol !== 'file:') {
    let res: Response | undefined;
    try {
      res = await fetchServed('docs-data.json');
    } catch {
      // Not served after all: fall through to the script copy below.
    }
    if (res?.ok) return (await res.json()) as DocsSiteData;
    if (res?.status === 401) throw new Error('the server needs its token (open the page as /#token=<token>)');
  }
  // Browsers refuse fetch() on file:// pages; the generator writes the same data as a script.
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'docs-data.js';
    script.onload = () =>
      window.BAMBUZLED_DOCS ? resolve(window.BAMBUZLED_DOCS) : reject(new Error('docs-data.js is empty'));
    script.onerror = () => reject(new Error('docs-data.json and docs-data.js are both missing'));
    document.head.append(script);
  });
}

export function setCatalog(catalog: DocsCatalog): void {
  state.catalog = catalog;
  state.bySqliteName = new Map(Object.values(catalog.entries ?? {}).map((e) => [e.sqliteName, e]));
}

export function catalogOf(action: DocsAction): DocsCatalogEntry | null {
  const entries = state.catalog?.entries ?? {};
  return entries[action.id] ?? state.bySqliteName.get(action.sqliteName) ?? null;
}

export function resultOf(action: Pick<DocsAction, 'id'> | undefined): DocsRunResult | null {
  return action ? (state.catalog?.results?.[action.id] ?? null) : null;
}

/** Renders `backticked` parts of a message as code. */
export function withCode(text: string): Child[] {
  return text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
}

/** Why an action matches the search (name, description, a column, a tag), or null. */
export function matches(action: DocsAction | undefined, query: string): string | null {
  if (!query || !action) return null;
  const q = query.toLowerCase();
  if (action.id.toLowerCase().includes(q)) return 'name';
  if (action.description.toLowerCase().includes(q)) return 'description';
  const column = action.columns.find(
    (c) => c.name.toLowerCase().includes(q) || c.description.toLowerCase().includes(q),
  );
  if (column) return `column ${column.name}`;
  const catalog = catalogOf(action);
  const actual = catalog?.columns.find((c) => c.name.toLowerCase().includes(q));
  if (actual) return `column ${actual.name}`;
  if (action.tags.some((t) => t.toLowerCase().includes(q))) return 'tag';
  return null;
}

/** Everything upstream and downstream of `id`, transitively, plus its assertions. */
export function lineageOf(id: string): Set<string> {
  const seen = new Set([id]);
  const walk = (start: string, next: (action: DocsAction) => string[]) => {
    const stack = [start];
    while (stack.length) {
      const action = state.byId.get(stack.pop()!);
      if (!action) continue;
      for (const other of next(action)) {
        if (!seen.has(other)) {
          seen.add(other);
          stack.push(other);
        }
      }
    }
  };
  walk(id, (a) => a.upstream);
  walk(id, (a) => [...a.downstream, ...a.assertions]);
  return seen;
}
