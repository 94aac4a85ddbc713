// The docs page's shared state and helpers; graph.js, search.js, panels.js and app.js build on them.
// Plain browser scripts (no modules: a page opened from disk may not load them) sharing one namespace.
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const LAYERS = ['source', 'bronze', 'silver', 'gold', 'model', 'assertion'];
  const LINEAGE_ONLY_FROM = 150;
  const LAYER_LABELS = {
    source: 'Sources',
    bronze: 'Bronze',
    silver: 'Silver',
    gold: 'Gold',
    model: 'Models',
    assertion: 'Assertions',
  };

  const state = {
    data: null,
    catalog: null,
    byId: new Map(),
    bySqliteName: new Map(),
    nodeEls: new Map(),
    edgeEls: [],
    /** The layout on screen: the whole project's, or the selection's lineage laid out on its own. */
    layout: null,
    lineageOnly: false,
    /** Assertions drawn as nodes (true) or as a badge on the action they check (the default). */
    showAssertions: false,
    selected: null,
    /** Sidebar groups the reader folded. */
    folded: new Set(),
    query: '',
    view: { x: 0, y: 0, k: 1 },
  };

  const $ = (id) => document.getElementById(id);

  /** Creates an element; strings become text nodes, so nothing from the data is parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'text') el.textContent = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(typeof child === 'string' || typeof child === 'number' ? String(child) : child);
    }
    return el;
  }

  function svg(tag, attrs) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [key, value] of Object.entries(attrs || {})) el.setAttribute(key, String(value));
    return el;
  }

  const actionHref = (id) => `#/action/${encodeURIComponent(id)}`;

  /** Lists show a built-in assertion by its label (`jobs_brz: uniqueKey_0`), not its generated name. */
  function displayName(action) {
    return action.parent ? action.label : action.name;
  }

  function actionLink(id) {
    const action = state.byId.get(id);
    if (!action) return h('code', { text: id });
    return h('a', { href: actionHref(id), class: `layer-${action.layer}` }, displayName(action));
  }

  function formatTime(iso) {
    if (!iso) return '';
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
  }

  function formatCount(n) {
    return typeof n === 'number' ? n.toLocaleString() : '\u2014';
  }

  async function loadData() {
    if (location.protocol !== 'file:') {
      try {
        const res = await fetch('docs-data.json', { cache: 'no-store' });
        if (res.ok) return await res.json();
      } catch {
        // Fall through to the script copy below.
      }
    }
    // Browsers refuse fetch() on file:// pages; the generator writes the same data as a script.
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'docs-data.js';
      script.onload = () => resolve(window.BAMBUZLED_DOCS);
      script.onerror = () => reject(new Error('docs-data.json and docs-data.js are both missing'));
      document.head.append(script);
    });
  }

  function setCatalog(catalog) {
    state.catalog = catalog;
    state.bySqliteName = new Map(Object.entries(catalog.entries || {}).map(([, e]) => [e.sqliteName, e]));
  }

  function catalogOf(action) {
    const entries = state.catalog?.entries || {};
    return entries[action.id] || state.bySqliteName.get(action.sqliteName) || null;
  }

  function resultOf(action) {
    return state.catalog?.results?.[action.id] || null;
  }

  /** Renders `backticked` parts of a message as code. */
  function withCode(text) {
    return text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
  }

  function matches(action, query) {
    if (!query) return null;
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
  function lineageOf(id) {
    const seen = new Set([id]);
    const walk = (start, next) => {
      const stack = [start];
      while (stack.length) {
        const action = state.byId.get(stack.pop());
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

  window.BambuzledDocs = {
    SVG_NS,
    LAYERS,
    LINEAGE_ONLY_FROM,
    LAYER_LABELS,
    state,
    $,
    h,
    svg,
    actionHref,
    displayName,
    actionLink,
    formatTime,
    formatCount,
    loadData,
    setCatalog,
    catalogOf,
    resultOf,
    withCode,
    matches,
    lineageOf,
  };
})();
