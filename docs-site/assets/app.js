// The docs page: draws the lineage laid out at generation time, and one panel per action.
// Plain browser JavaScript with no build step and no network beyond this site.
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const LAYERS = ['source', 'bronze', 'silver', 'gold', 'model', 'assertion'];
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
    selected: null,
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

  /** Lists show a built-in assertion as `table \u00b7 rule`, which reads better than its generated name. */
  function displayName(action) {
    if (!action.parent || action.label === action.name) return action.name;
    return `${state.byId.get(action.parent)?.name ?? action.parent} \u00b7 ${action.label}`;
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

  // ---- data -------------------------------------------------------------------------------------

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

  async function refreshCatalog() {
    if (!state.data?.live) return;
    try {
      const res = await fetch('api/catalog', { cache: 'no-store' });
      if (!res.ok) return;
      setCatalog(await res.json());
      renderCatalogStatus();
      renderStatusDots();
      route();
    } catch {
      // The server went away; keep showing what we have.
    }
  }

  // ---- header, banner, legend, sidebar ----------------------------------------------------------

  function renderCatalogStatus() {
    const el = $('catalog-status');
    const catalog = state.catalog;
    const ready = catalog.status === 'ready';
    el.className = `catalog-status ${ready ? 'ready' : 'empty'}`;
    el.textContent = ready
      ? `Catalog ${state.data.live ? 'live' : 'snapshot'} \u00b7 read ${formatTime(catalog.readAt)}`
      : 'Catalog empty';
    el.title = catalog.dbPath || '';
    $('refresh').hidden = !state.data.live;

    const banner = $('banner');
    banner.replaceChildren();
    const errors = state.data.model.compilationErrors || [];
    if (errors.length) {
      banner.className = 'banner error';
      banner.append(
        h('strong', {}, 'The project does not compile. '),
        'Showing the last graph that did. ',
        h(
          'ul',
          {},
          ...errors.map((e) =>
            h('li', {}, `${[e.fileName, e.actionName].filter(Boolean).join(' ')}: `, e.message),
          ),
        ),
      );
      banner.hidden = false;
    } else if (!ready || catalog.message) {
      banner.className = 'banner';
      banner.dataset.status = catalog.status;
      banner.append(...withCode(catalog.message || 'The catalog is empty.'));
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }

  /** Renders `backticked` parts of a message as code. */
  function withCode(text) {
    return text.split('`').map((part, i) => (i % 2 ? h('code', {}, part) : part));
  }

  function renderLegend() {
    const present = new Set(state.data.model.actions.map((a) => a.layer));
    $('legend').replaceChildren(
      ...LAYERS.filter((layer) => present.has(layer)).map((layer) =>
        h('span', { class: `layer-${layer}` }, h('i', { class: 'swatch' }), LAYER_LABELS[layer]),
      ),
    );
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

  function renderSidebar() {
    const query = state.query;
    const groups = LAYERS.map((layer) => {
      const items = state.data.model.actions
        .filter((a) => a.layer === layer && (!query || matches(a, query)))
        .sort((a, b) => displayName(a).localeCompare(displayName(b)));
      if (!items.length) return null;
      return [
        h(
          'h3',
          { class: `layer-${layer}` },
          h('i', { class: 'swatch' }),
          `${LAYER_LABELS[layer]} (${items.length})`,
        ),
        h(
          'ul',
          {},
          items.map((a) =>
            h(
              'li',
              {},
              h(
                'a',
                { href: actionHref(a.id), 'data-id': a.id, class: a.id === state.selected ? 'current' : '' },
                displayName(a),
              ),
            ),
          ),
        ),
      ];
    });
    const sidebar = $('sidebar');
    sidebar.replaceChildren(...groups.filter(Boolean).flat());
    if (!sidebar.childElementCount)
      sidebar.append(h('p', { class: 'muted', style: 'padding: 0 12px' }, 'Nothing matches.'));
  }

  // ---- graph --------------------------------------------------------------------------------------

  function renderGraph() {
    const { layout, model } = state.data;
    const nodesG = $('nodes');
    const edgesG = $('edges');
    nodesG.replaceChildren();
    edgesG.replaceChildren();
    state.nodeEls.clear();
    state.edgeEls = [];
    for (const edge of layout.edges) {
      if (edge.points.length < 2) continue;
      const target = state.byId.get(edge.to);
      const d = edge.points.map(([x, y], i) => `${i ? 'L' : 'M'}${x},${y}`).join(' ');
      const path = svg('path', {
        d,
        class: `edge${target?.kind === 'assertion' ? ' to-assertion' : ''}`,
        'marker-end': 'url(#arrow)',
      });
      edgesG.append(path);
      state.edgeEls.push({ edge, el: path });
    }
    for (const action of model.actions) {
      const box = layout.nodes[action.id];
      if (!box) continue;
      const g = svg('g', {
        class: `node layer-${action.layer}`,
        transform: `translate(${box.x},${box.y})`,
        'data-id': action.id,
        tabindex: 0,
      });
      const title = svg('title', {});
      title.textContent = `${action.id} (${action.kind})${action.description ? `\n${action.description}` : ''}`;
      g.append(
        title,
        svg('rect', { width: box.width, height: box.height, rx: 6 }),
        svg('rect', { class: 'bar', width: 5, height: box.height - 2, x: 1, y: 1, rx: 2 }),
      );
      const text = svg('text', { x: 13, y: box.height / 2 + 4 });
      text.textContent = action.label;
      g.append(text);
      nodesG.append(g);
      state.nodeEls.set(action.id, g);
    }
    renderStatusDots();
  }

  /** A dot on each node that has run: green, red or amber by its last result. */
  function renderStatusDots() {
    for (const [id, g] of state.nodeEls) {
      g.querySelector('.status')?.remove();
      const result = resultOf(state.byId.get(id));
      if (!result) continue;
      const box = state.data.layout.nodes[id];
      const dot = svg('circle', {
        class: `status status-${result.status}`,
        cx: box.width - 9,
        cy: 9,
        r: 4.5,
      });
      const title = svg('title', {});
      title.textContent = `Last run: ${result.status} at ${formatTime(result.endedAt)}`;
      dot.append(title);
      g.append(dot);
    }
  }

  function applyView() {
    const { x, y, k } = state.view;
    $('viewport').setAttribute('transform', `translate(${x},${y}) scale(${k})`);
  }

  function fitGraph() {
    const { width, height } = state.data.layout;
    const rect = $('graph').getBoundingClientRect();
    if (!width || !height || !rect.width) return;
    const k = Math.min(1.2, Math.min(rect.width / width, rect.height / height) * 0.94);
    state.view = { k, x: (rect.width - width * k) / 2, y: (rect.height - height * k) / 2 };
    applyView();
  }

  /** Pans (and zooms in if the graph is tiny on screen) so that a node sits in the middle. */
  function focusNode(id) {
    const box = state.data.layout.nodes[id];
    if (!box) return;
    const rect = $('graph').getBoundingClientRect();
    const k = Math.max(state.view.k, 0.9);
    state.view = {
      k,
      x: rect.width / 2 - (box.x + box.width / 2) * k,
      y: rect.height / 2 - (box.y + box.height / 2) * k,
    };
    applyView();
  }

  function zoomAt(factor, cx, cy) {
    const { x, y, k } = state.view;
    const next = Math.min(4, Math.max(0.03, k * factor));
    const ratio = next / k;
    state.view = { k: next, x: cx - (cx - x) * ratio, y: cy - (cy - y) * ratio };
    applyView();
  }

  function wireGraphInput() {
    const graph = $('graph');
    graph.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const rect = graph.getBoundingClientRect();
        zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
      },
      { passive: false },
    );
    let drag = null;
    graph.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      drag = {
        x: event.clientX,
        y: event.clientY,
        view: { ...state.view },
        moved: false,
        id: event.pointerId,
      };
    });
    graph.addEventListener('pointermove', (event) => {
      if (!drag) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        graph.setPointerCapture(drag.id);
        graph.classList.add('dragging');
      }
      state.view = { ...drag.view, x: drag.view.x + dx, y: drag.view.y + dy };
      applyView();
    });
    const end = (event) => {
      if (!drag) return;
      const wasClick = !drag.moved;
      graph.classList.remove('dragging');
      drag = null;
      if (!wasClick) return;
      const node = event.target.closest?.('.node');
      if (node) location.hash = actionHref(node.dataset.id);
    };
    graph.addEventListener('pointerup', end);
    graph.addEventListener('pointercancel', () => {
      drag = null;
      graph.classList.remove('dragging');
    });
    graph.addEventListener('keydown', (event) => {
      const node = event.target.closest?.('.node');
      if (node && event.key === 'Enter') location.hash = actionHref(node.dataset.id);
    });
    const center = () => {
      const rect = graph.getBoundingClientRect();
      return [rect.width / 2, rect.height / 2];
    };
    $('zoom-in').addEventListener('click', () => zoomAt(1.3, ...center()));
    $('zoom-out').addEventListener('click', () => zoomAt(1 / 1.3, ...center()));
    $('zoom-fit').addEventListener('click', fitGraph);
    $('show-assertions').addEventListener('change', (event) => {
      graph.classList.toggle('hide-assertions', !event.target.checked);
    });
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

  /** Highlights the selection's lineage, or the search matches, and dims the rest. */
  function highlight() {
    const lit = state.selected && state.byId.has(state.selected) ? lineageOf(state.selected) : null;
    const query = state.query;
    for (const [id, g] of state.nodeEls) {
      const isMatch = Boolean(query) && Boolean(matches(state.byId.get(id), query));
      g.classList.toggle('selected', id === state.selected);
      g.classList.toggle('match', isMatch);
      g.classList.toggle('dim', query ? !isMatch : lit ? !lit.has(id) : false);
    }
    for (const { edge, el } of state.edgeEls) {
      const on = lit?.has(edge.from) && lit?.has(edge.to);
      el.classList.toggle('lit', Boolean(on) && !query);
      el.classList.toggle('dim', query ? true : lit ? !on : false);
    }
  }

  // ---- search -------------------------------------------------------------------------------------

  function wireSearch() {
    const input = $('search');
    const list = $('search-results');
    let active = 0;
    const results = () =>
      state.data.model.actions
        .map((a) => ({ a, why: matches(a, state.query) }))
        .filter((r) => r.why)
        .sort(
          (x, y) =>
            (x.why === 'name' ? 0 : 1) - (y.why === 'name' ? 0 : 1) || displayName(x.a).localeCompare(displayName(y.a)),
        );
    const show = () => {
      const found = results().slice(0, 30);
      active = Math.min(active, Math.max(0, found.length - 1));
      list.replaceChildren(
        ...found.map((r, i) =>
          h(
            'li',
            { class: i === active ? 'active' : '', 'data-id': r.a.id },
            h('span', { class: `layer-${r.a.layer}` }, h('i', { class: 'swatch' }), ' ', displayName(r.a)),
            h('span', { class: 'why' }, `${r.a.kind} \u00b7 matched ${r.why}`),
          ),
        ),
      );
      list.hidden = !state.query || !found.length;
      return found;
    };
    const go = (id) => {
      state.query = '';
      input.value = '';
      list.hidden = true;
      renderSidebar();
      location.hash = actionHref(id);
      if (state.selected === id) {
        highlight();
        focusNode(id);
      }
    };
    input.addEventListener('input', () => {
      state.query = input.value.trim();
      active = 0;
      show();
      renderSidebar();
      highlight();
    });
    input.addEventListener('keydown', (event) => {
      const found = results();
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        active = (active + (event.key === 'ArrowDown' ? 1 : -1) + found.length) % Math.max(1, found.length);
        show();
      } else if (event.key === 'Enter' && found[active]) {
        go(found[active].a.id);
      } else if (event.key === 'Escape') {
        input.value = '';
        state.query = '';
        list.hidden = true;
        renderSidebar();
        highlight();
      }
    });
    list.addEventListener('click', (event) => {
      const li = event.target.closest('li');
      if (li) go(li.dataset.id);
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === '/' && document.activeElement !== input) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  // ---- details panel ----------------------------------------------------------------------------

  function sqlBlock(sql) {
    const code = h('code', { class: 'language-sql hljs' });
    if (window.hljs)
      code.innerHTML = window.hljs.highlight(sql, { language: 'sql', ignoreIllegals: true }).value;
    else code.textContent = sql;
    return h('pre', { class: 'sql' }, code);
  }

  function resultLine(result) {
    if (!result) return h('span', { class: 'muted' }, 'never run');
    return h(
      'span',
      {},
      h('span', { class: `result status-${result.status}` }, result.status),
      ` at ${formatTime(result.endedAt)} (${result.durationMs} ms`,
      result.rowsAffected !== null && result.rowsAffected !== undefined
        ? `, ${formatCount(result.rowsAffected)} rows`
        : '',
      typeof result.failingRowCount === 'number'
        ? `, ${formatCount(result.failingRowCount)} failing rows`
        : '',
      ')',
    );
  }

  function columnsTable(action, catalog) {
    const documented = new Map(action.columns.map((c) => [c.name, c]));
    const rows = [];
    const actual = catalog?.exists ? catalog.columns : [];
    for (const column of actual) {
      const doc = documented.get(column.name);
      documented.delete(column.name);
      rows.push({ name: column.name, type: column.type, doc, missing: false });
    }
    for (const doc of documented.values())
      rows.push({ name: doc.name, type: '', doc, missing: Boolean(catalog?.exists) });
    if (!rows.length)
      return h('p', { class: 'muted' }, 'No columns documented, and none in the catalog yet.');
    return h(
      'table',
      { class: 'columns' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', {}, 'Column'), h('th', {}, 'SQLite type'), h('th', {}, 'Description')),
      ),
      h(
        'tbody',
        {},
        rows.map((row) =>
          h(
            'tr',
            { 'data-column': row.name },
            h('td', { class: 'col-name' }, row.name),
            row.type || !catalog?.exists || row.missing
              ? h('td', { class: 'col-type' }, row.type || '\u2014')
              : h(
                  'td',
                  { class: 'col-type muted', title: 'SQLite declares no type for a column computed by an expression' },
                  'untyped',
                ),
            h(
              'td',
              { class: 'col-doc' },
              row.doc?.description || h('span', { class: 'muted' }, 'undocumented'),
              row.doc?.tags?.length ? ` [${row.doc.tags.join(', ')}]` : '',
              row.missing ? h('div', { class: 'missing' }, 'documented but not in the table') : '',
            ),
          ),
        ),
      ),
    );
  }

  function renderAction(action) {
    const catalog = catalogOf(action);
    const result = resultOf(action);
    const catalogReady = state.catalog.status === 'ready';
    const builds = !['assertion', 'operations'].includes(action.kind);
    let stored;
    if (!catalogReady) stored = h('span', { class: 'muted' }, 'catalog empty');
    else if (!catalog?.exists)
      stored = h(
        'span',
        { class: 'muted' },
        action.kind === 'declaration' ? 'not in the database yet' : 'not built yet',
      );
    else stored = `${catalog.objectType} ${catalog.sqliteName}`;

    const panel = [
      h(
        'div',
        { class: 'chips' },
        h('span', { class: `chip layer layer-${action.layer}` }, action.layer),
        h('span', { class: 'chip kind' }, action.kind),
        action.tags.map((t) => h('span', { class: 'chip tag' }, `#${t}`)),
        action.disabled ? h('span', { class: 'chip' }, 'disabled') : '',
      ),
      h('h2', { 'data-id': action.id }, action.name),
      action.description
        ? h('p', { class: 'description' }, action.description)
        : h('p', { class: 'muted' }, 'No description.'),
      h(
        'dl',
        { class: 'facts' },
        h('dt', {}, 'Dataform name'),
        h('dd', {}, h('code', {}, action.id)),
        h('dt', {}, 'SQLite name'),
        h('dd', {}, h('code', {}, action.sqliteName)),
        action.fileName ? [h('dt', {}, 'File'), h('dd', {}, h('code', {}, action.fileName))] : '',
        builds ? [h('dt', {}, 'In the database'), h('dd', { class: 'stored' }, stored)] : '',
        builds
          ? [
              h('dt', {}, 'Rows'),
              h('dd', { class: 'row-count' }, catalog?.exists ? formatCount(catalog.rowCount) : '\u2014'),
            ]
          : '',
        action.kind !== 'declaration'
          ? [h('dt', {}, 'Last run'), h('dd', { class: 'last-run' }, resultLine(result))]
          : '',
        action.uniqueKey
          ? [h('dt', {}, 'Unique key'), h('dd', {}, h('code', {}, action.uniqueKey.join(', ')))]
          : '',
      ),
      result?.error ? h('div', { class: 'error-text' }, result.error) : '',
    ];

    if (action.kind !== 'assertion') panel.push(h('h3', {}, 'Columns'), columnsTable(action, catalog));

    if (action.kind !== 'assertion' && action.kind !== 'declaration') {
      panel.push(h('h3', {}, `Assertions (${action.assertions.length})`));
      panel.push(
        action.assertions.length
          ? h(
              'ul',
              { class: 'links assertions' },
              action.assertions.map((id) => {
                const assertion = state.byId.get(id);
                return h('li', {}, actionLink(id), ' \u2014 ', resultLine(assertion && resultOf(assertion)));
              }),
            )
          : h(
              'p',
              { class: 'muted' },
              'None. Add `assertions: { uniqueKey: [...], nonNull: [...] }` to its config.',
            ),
      );
    }

    const links = (title, ids) => [
      h('h3', {}, `${title} (${ids.length})`),
      ids.length
        ? h(
            'ul',
            { class: 'links' },
            ids.map((id) => h('li', {}, actionLink(id))),
          )
        : h('p', { class: 'muted' }, 'None.'),
    ];
    panel.push(...links(action.kind === 'assertion' ? 'Checks' : 'Upstream', action.upstream));
    if (action.kind !== 'assertion') panel.push(...links('Downstream', action.downstream));
    if (action.unresolved.length) {
      panel.push(
        h(
          'p',
          { class: 'missing' },
          `Depends on targets that are not in the graph: ${action.unresolved.join(', ')}`,
        ),
      );
    }

    if (action.sql) {
      panel.push(h('h3', {}, 'Compiled SQL (refs as SQLite names)'), sqlBlock(action.sql));
      if (action.incrementalSql) panel.push(h('h3', {}, 'Incremental SQL'), sqlBlock(action.incrementalSql));
    }
    if (result?.sql?.length) {
      panel.push(
        h(
          'details',
          {},
          h('summary', {}, `SQL executed by the last run (${result.sql.length} statements)`),
          sqlBlock(result.sql.join(';\n\n')),
        ),
      );
    }
    $('details').replaceChildren(...panel.flat());
    $('details').scrollTop = 0;
  }

  function renderOverview() {
    const { model } = state.data;
    const byKind = {};
    for (const a of model.actions) byKind[a.kind] = (byKind[a.kind] || 0) + 1;
    const results = Object.values(state.catalog.results || {});
    const lastEnded = results
      .map((r) => r.endedAt)
      .sort()
      .pop();
    const failed = results.filter((r) => r.status === 'FAILED').length;
    const rowsKnown = Object.values(state.catalog.entries || {}).filter((e) => e.exists).length;
    const stat = (label, value) => h('div', { class: 'stat' }, h('b', {}, String(value)), label);
    $('details').replaceChildren(
      h('h2', {}, model.projectName || 'Dataform project'),
      h(
        'p',
        { class: 'muted' },
        `Default schema ${model.defaultSchema || '\u2014'} \u00b7 @dataform/core ${model.dataformCoreVersion || '?'} \u00b7 generated ${formatTime(state.data.generatedAt)}`,
      ),
      h(
        'div',
        { class: 'stats' },
        stat('actions', model.actions.length),
        Object.entries(byKind).map(([kind, n]) => stat(kind, n)),
        stat('built in SQLite', rowsKnown),
        stat('failed last run', failed),
      ),
      h('h3', {}, 'Catalog'),
      state.catalog.status === 'ready'
        ? h(
            'p',
            {},
            `Read from ${state.catalog.dbPath || 'the database'} at ${formatTime(state.catalog.readAt)}.`,
            lastEnded ? ` Last action ended ${formatTime(lastEnded)}.` : ' No run recorded yet.',
          )
        : h('p', { class: 'empty-note' }, ...withCode(state.catalog.message || 'The catalog is empty.')),
      h('h3', {}, 'How to read this'),
      h(
        'p',
        {},
        'The graph shows every action from sources (declarations) through bronze, silver and gold models to the assertions ' +
          'that check them. Click a node or a name on the left for its columns, SQLite types, row count, last run and SQL; ' +
          'search with / to focus on names, descriptions or columns.',
      ),
    );
  }

  // ---- routing ------------------------------------------------------------------------------------

  function route() {
    const match = /^#\/action\/(.+)$/.exec(location.hash);
    const id = match ? decodeURIComponent(match[1]) : null;
    const action = id ? state.byId.get(id) : null;
    const changed = state.selected !== (action ? id : null);
    state.selected = action ? id : null;
    if (action) renderAction(action);
    else renderOverview();
    for (const a of $('sidebar').querySelectorAll('a[data-id]'))
      a.classList.toggle('current', a.dataset.id === state.selected);
    highlight();
    if (action && changed) focusNode(id);
    document.title = action ? `${action.name} \u00b7 Bambuzled docs` : 'Bambuzled docs';
  }

  async function main() {
    let data;
    try {
      data = await loadData();
    } catch (error) {
      $('details').replaceChildren(
        h('p', { class: 'error-text' }, `Cannot load the docs data: ${error.message}`),
      );
      return;
    }
    state.data = data;
    state.byId = new Map(data.model.actions.map((a) => [a.id, a]));
    setCatalog(data.catalog);
    $('project').textContent = data.model.projectName;
    renderCatalogStatus();
    renderLegend();
    renderSidebar();
    renderGraph();
    wireGraphInput();
    wireSearch();
    $('refresh').addEventListener('click', refreshCatalog);
    // Coming back to the tab after a run should show the new numbers without a manual reload.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') refreshCatalog();
    });
    window.addEventListener('hashchange', route);
    fitGraph();
    route();
    document.body.dataset.ready = 'true';
  }

  main();
})();
