// The lineage graph: draws the laid-out SVG, zoom and pan, highlighting, and the lineage-only view.
(() => {
  const D = window.BambuzledDocs;
  const { state, $, svg, actionHref, formatTime, resultOf, matches, lineageOf } = D;

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
  }

  function applyView() {
    const { x, y, k } = state.view;
    $('viewport').setAttribute('transform', `translate(${x},${y}) scale(${k})`);
  }

  function fitGraph() {
    const { width, height } = state.layout;
    const rect = $('graph').getBoundingClientRect();
    if (!width || !height || !rect.width) return;
    const k = Math.min(1.2, Math.min(rect.width / width, rect.height / height) * 0.94);
    state.view = { k, x: (rect.width - width * k) / 2, y: (rect.height - height * k) / 2 };
    applyView();
  }

  /** Pans (and zooms in if the graph is tiny on screen) so that a node sits in the middle. */
  function focusNode(id) {
    const box = state.layout.nodes[id];
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
    $('lineage-only').checked = state.lineageOnly;
    $('lineage-only').addEventListener('change', (event) => {
      state.lineageOnly = event.target.checked;
      updateLayout();
    });
    $('show-assertions').addEventListener('change', (event) => {
      graph.classList.toggle('hide-assertions', !event.target.checked);
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

  /** Lays out just the selection's lineage (same options as the generator), so a big project stays readable. */
  async function lineageLayout(id) {
    const keep = lineageOf(id);
    const full = state.data.layout;
    const edges = full.edges.filter((e) => keep.has(e.from) && keep.has(e.to));
    const elk = await loadElk();
    const result = await elk.layout({
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.edgeRouting': 'ORTHOGONAL',
        'elk.layered.spacing.nodeNodeBetweenLayers': '60',
        'elk.spacing.nodeNode': '14',
        'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      },
      children: [...keep].map((n) => ({ id: n, width: full.nodes[n].width, height: full.nodes[n].height })),
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
  /** Switches between the whole graph and the selection's lineage when either changes. */
  async function updateLayout() {
    const wanted = state.lineageOnly && state.selected ? state.selected : null;
    const showing = state.layout?.focus ?? null;
    if (wanted === showing && state.layout) return;
    const request = ++layoutRequest;
    let layout = state.data.layout;
    if (wanted) {
      try {
        layout = { ...(await lineageLayout(wanted)), focus: wanted };
      } catch (error) {
        console.error(error);
      }
    }
    if (request !== layoutRequest) return;
    state.layout = layout;
    renderGraph();
    highlight();
    if (wanted) fitGraph();
    else if (state.selected) focusNode(state.selected);
    else fitGraph();
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

  Object.assign(D, {
    renderGraph,
    renderStatusDots,
    fitGraph,
    focusNode,
    wireGraphInput,
    updateLayout,
    highlight,
  });
})();
