// The lineage graph: draws the laid-out SVG, zoom and pan, highlighting, and the lineage-only view.
(() => {
  const D = window.BambuzledDocs;
  const { state, $, svg, actionHref, formatTime, resultOf, matches, lineageOf } = D;
  /** Labels are 12 px at zoom 1: the first view never scales them below about 11 px. */
  const MIN_READABLE_ZOOM = 11 / 12;
  const FIT_MARGIN = 12;
  /** The assertion badge: a pill left of the last-run dot, in the room layout.ts leaves (BADGE_ROOM). */
  const BADGE_WIDTH = 26;
  const BADGE_RIGHT = 16;

  /** The drawn layout for the current toggle: every action, or assertions folded into badges. */
  function baseLayout() {
    const { layout, compactLayout } = state.data;
    return state.showAssertions || !compactLayout ? layout : compactLayout;
  }

  /** The node that stands for `id` on screen: itself, or for a hidden assertion the table it checks. */
  function drawnNodeOf(id) {
    if (state.layout?.nodes[id]) return id;
    const action = state.byId.get(id);
    if (action?.kind !== 'assertion') return null;
    return [action.parent, ...action.upstream].find((other) => other && state.layout.nodes[other]) ?? null;
  }

  function renderGraph() {
    const { model } = state.data;
    const layout = state.layout;
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
        svg('rect', { class: 'box', width: box.width, height: box.height, rx: 6 }),
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

  /** What a badge says about the assertions of one action, from their last results. */
  function assertionSummary(action) {
    const counts = { passing: 0, failing: 0, other: 0 };
    for (const id of action.assertions) {
      const status = resultOf(state.byId.get(id) ?? { id })?.status;
      if (status === 'SUCCESSFUL') counts.passing++;
      else if (status === 'FAILED') counts.failing++;
      else counts.other++;
    }
    const total = action.assertions.length;
    const noun = total === 1 ? 'assertion' : 'assertions';
    // The number is what needs attention: failing ones when any fail, else all of them.
    if (counts.failing)
      return {
        status: 'failed',
        shown: `\u2717${counts.failing}`,
        text: `${counts.failing} of ${total} ${noun} failing`,
      };
    if (counts.passing === total)
      return {
        status: 'ok',
        shown: `\u2713${total}`,
        text: `${total} ${noun}, ${total === 1 ? 'passing' : 'all passing'}`,
      };
    if (!counts.passing) return { status: 'none', shown: `${total}`, text: `${total} ${noun}, not run yet` };
    return {
      status: 'none',
      shown: `${total}`,
      text: `${total} ${noun}: ${counts.passing} passing, ${counts.other} not run`,
    };
  }

  /**
   * With assertions hidden, a pill on each checked node counts its assertions and takes the colour of
   * their last results (the layout left room for it; the action's panel lists them one by one).
   */
  function renderBadges() {
    for (const [id, g] of state.nodeEls) {
      g.querySelector('.badge')?.remove();
      const action = state.byId.get(id);
      if (state.showAssertions || !action.assertions.length) continue;
      const box = state.layout.nodes[id];
      const summary = assertionSummary(action);
      const badge = svg('g', {
        class: `badge badge-${summary.status}`,
        transform: `translate(${box.width - BADGE_RIGHT - BADGE_WIDTH},${box.height / 2 - 8})`,
        'data-assertions': action.assertions.length,
        'aria-label': summary.text,
      });
      const title = svg('title', {});
      title.textContent = summary.text;
      const label = svg('text', { x: BADGE_WIDTH / 2, y: 12 });
      label.textContent = summary.shown;
      badge.append(title, svg('rect', { width: BADGE_WIDTH, height: 16, rx: 8 }), label);
      g.append(badge);
    }
  }

  /** A dot on each node that has run: green, red or amber by its last result; then the badges. */
  function renderStatusDots() {
    for (const [id, g] of state.nodeEls) {
      g.querySelector('.status')?.remove();
      const result = resultOf(state.byId.get(id));
      if (!result) continue;
      const box = state.layout.nodes[id];
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
    renderBadges();
  }

  function applyView() {
    const { x, y, k } = state.view;
    $('viewport').setAttribute('transform', `translate(${x},${y}) scale(${k})`);
  }

  /**
   * Fits the graph to the pane, but never so small that labels drop below about 11 px: a graph too big
   * for that starts at its sources (top left) and the reader pans for the rest. `whole` (the Fit button)
   * shows everything however small.
   */
  function fitGraph({ whole = false } = {}) {
    const { width, height } = state.layout;
    const rect = $('graph').getBoundingClientRect();
    if (!width || !height || !rect.width) return;
    const fit = Math.min(1.2, Math.min(rect.width / width, rect.height / height) * 0.94);
    const k = whole ? fit : Math.max(fit, MIN_READABLE_ZOOM);
    // Too tall: centre on the first column (where the lineage starts) rather than on the empty corner
    // above it, without scrolling past the top or the bottom of the graph.
    const anchor = firstColumnMiddle();
    const place = (room, size, at) => {
      if (size * k <= room) return (room - size * k) / 2;
      if (at === undefined) return FIT_MARGIN;
      return Math.min(FIT_MARGIN, Math.max(room - FIT_MARGIN - size * k, room / 2 - at * k));
    };
    state.view = { k, x: place(rect.width, width), y: place(rect.height, height, anchor) };
    applyView();
  }

  /** The vertical middle of the leftmost column of nodes (the sources, in a layered layout). */
  function firstColumnMiddle() {
    const boxes = Object.values(state.layout.nodes);
    if (!boxes.length) return undefined;
    const left = Math.min(...boxes.map((b) => b.x));
    const column = boxes.filter((b) => b.x < left + 40);
    const top = Math.min(...column.map((b) => b.y));
    const bottom = Math.max(...column.map((b) => b.y + b.height));
    return (top + bottom) / 2;
  }

  /**
   * Brings a node into view: left alone when it is already on screen at a readable size (so picking a
   * node does not shift a graph that fits), else centred, zooming in if the graph is tiny on screen.
   */
  function focusNode(id) {
    const box = state.layout.nodes[drawnNodeOf(id)];
    if (!box) return;
    const rect = $('graph').getBoundingClientRect();
    const { x, y, k } = state.view;
    const left = x + box.x * k;
    const top = y + box.y * k;
    const visible =
      left >= 0 && top >= 0 && left + box.width * k <= rect.width && top + box.height * k <= rect.height;
    if (visible && k >= MIN_READABLE_ZOOM) return;
    const next = Math.max(k, MIN_READABLE_ZOOM);
    state.view = {
      k: next,
      x: rect.width / 2 - (box.x + box.width / 2) * next,
      y: rect.height / 2 - (box.y + box.height / 2) * next,
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
    $('zoom-fit').addEventListener('click', () => fitGraph({ whole: true }));
    $('lineage-only').checked = state.lineageOnly;
    $('lineage-only').addEventListener('change', (event) => {
      state.lineageOnly = event.target.checked;
      updateLayout();
    });
    $('show-assertions').checked = state.showAssertions;
    $('show-assertions').addEventListener('change', (event) => {
      state.showAssertions = event.target.checked;
      updateLayout();
    });
  }

  let elkLoading = null;
  /** elkjs is 1.6 MB: load it only when someone asks for a lineage-only view. */
  function loadElk() {
    elkLoading ??= new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'vendor/elk.bundled.js';
      script.onload = () => resolve(new window.ELK());
      script.onerror = () => reject(new Error('vendor/elk.bundled.js is missing'));
      document.head.append(script);
    });
    return elkLoading;
  }

  /**
   * Lays out just the selection's lineage with the generator's options (layout.ts, lineageLayoutOptions
   * and nodeLayoutOptions: keep them in step), so a big project stays readable.
   */
  async function lineageLayout(id, base) {
    const keep = new Set([...lineageOf(id)].filter((n) => base.nodes[n]));
    const edges = base.edges.filter((e) => keep.has(e.from) && keep.has(e.to));
    const elk = await loadElk();
    const result = await elk.layout({
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.edgeRouting': 'ORTHOGONAL',
        'elk.layered.spacing.nodeNodeBetweenLayers': '40',
        'elk.layered.spacing.edgeNodeBetweenLayers': '12',
        'elk.spacing.nodeNode': '14',
        'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
        'elk.separateConnectedComponents': 'false',
      },
      children: [...keep].map((n) => ({
        id: n,
        width: base.nodes[n].width,
        height: base.nodes[n].height,
        ...(state.byId.get(n)?.layer === 'source'
          ? { layoutOptions: { 'elk.layered.layering.layerConstraint': 'FIRST' } }
          : {}),
      })),
      edges: edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
    });
    const nodes = {};
    for (const c of result.children) nodes[c.id] = { x: c.x, y: c.y, width: c.width, height: c.height };
    return {
      width: result.width,
      height: result.height,
      nodes,
      edges: result.edges.map((e, i) => ({
        from: edges[i].from,
        to: edges[i].to,
        points: (e.sections || []).flatMap((sec) =>
          [sec.startPoint, ...(sec.bendPoints || []), sec.endPoint].map((p) => [p.x, p.y]),
        ),
      })),
    };
  }

  let layoutRequest = 0;
  /** Switches layouts when the lineage-only toggle, the assertions toggle or the selection changes. */
  async function updateLayout() {
    const wanted = state.lineageOnly && state.selected ? state.selected : null;
    const assertions = state.showAssertions;
    const shown = state.layout;
    if (shown && (shown.focus ?? null) === wanted && shown.assertions === assertions) return;
    const request = ++layoutRequest;
    const base = baseLayout();
    let layout = { ...base, focus: null, assertions };
    if (wanted) {
      try {
        layout = { ...(await lineageLayout(wanted, base)), focus: wanted, assertions };
      } catch (error) {
        console.error(error);
      }
    }
    if (request !== layoutRequest) return;
    state.layout = layout;
    renderGraph();
    D.renderLegend?.();
    highlight();
    if (wanted) fitGraph();
    else if (state.selected) focusNode(state.selected);
    else fitGraph();
  }

  /** Highlights the selection's lineage, or the search matches, and dims the rest. */
  function highlight() {
    const lit = state.selected && state.byId.has(state.selected) ? lineageOf(state.selected) : null;
    const selectedNode = state.selected ? drawnNodeOf(state.selected) : null;
    const query = state.query;
    for (const [id, g] of state.nodeEls) {
      const isMatch = Boolean(query) && Boolean(matches(state.byId.get(id), query));
      g.classList.toggle('selected', id === selectedNode);
      g.classList.toggle('match', isMatch);
      g.classList.toggle('dim', query ? !isMatch : lit ? !lit.has(id) : false);
    }
    for (const { edge, el } of state.edgeEls) {
      const on = lit?.has(edge.from) && lit?.has(edge.to);
      el.classList.toggle('lit', Boolean(on) && !query);
      el.classList.toggle('dim', query ? true : lit ? !on : false);
    }
  }

  Object.assign(D, {
    baseLayout,
    renderGraph,
    renderStatusDots,
    fitGraph,
    focusNode,
    wireGraphInput,
    updateLayout,
    highlight,
  });
})();
