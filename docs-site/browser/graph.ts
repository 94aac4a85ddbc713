// The lineage graph: draws the laid-out SVG, zoom and pan, highlighting, the legend and the lineage-only view.
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import type { DocsAction } from '../docs-model.js';
import { DOCS_LAYERS, LAYER_LABELS } from '../layers.js';
import type { LineageLayout, NodeBox } from '../layout.js';
import {
  BADGE_WIDTH,
  DOT_ROOM,
  LABEL_LEFT,
  lineageLayoutOptions,
  nodeLayoutOptions,
} from '../layout-options.js';
import {
  $,
  actionHref,
  formatTime,
  h,
  lineageOf,
  matches,
  resultOf,
  type ShownLayout,
  state,
  svg,
} from './core.js';

/** Labels are 12 px at zoom 1: the first view never scales them below about 11 px. */
const MIN_READABLE_ZOOM = 11 / 12;
const FIT_MARGIN = 12;

declare global {
  interface Window {
    /** elkjs's browser bundle, loaded on demand (vendor/elk.bundled.js). */
    ELK?: new () => { layout(graph: ElkNode): Promise<ElkNode> };
  }
}

/** The drawn layout for the current toggle: every action, or assertions folded into badges. */
export function baseLayout(): LineageLayout {
  const { layout, compactLayout } = state.data;
  return state.showAssertions || !compactLayout ? layout : compactLayout;
}

/** The node that stands for `id` on screen: itself, or for a hidden assertion the table it checks. */
function drawnNodeOf(id: string): string | null {
  if (state.layout.nodes[id]) return id;
  const action = state.byId.get(id);
  if (action?.kind !== 'assertion') return null;
  return [action.parent, ...action.upstream].find((other) => other && state.layout.nodes[other]) ?? null;
}

export function renderGraph(): void {
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
    const text = svg('text', { x: LABEL_LEFT, y: box.height / 2 + 4 });
    text.textContent = action.label;
    g.append(text);
    nodesG.append(g);
    state.nodeEls.set(action.id, g);
  }
  renderStatusDots();
}

interface BadgeSummary {
  status: 'failed' | 'ok' | 'none';
  shown: string;
  text: string;
}

/** What a badge says about the assertions of one action, from their last results. */
function assertionSummary(action: DocsAction): BadgeSummary {
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
function renderBadges(): void {
  for (const [id, g] of state.nodeEls) {
    g.querySelector('.badge')?.remove();
    const action = state.byId.get(id);
    const box = state.layout.nodes[id];
    if (state.showAssertions || !action?.assertions.length || !box) continue;
    const summary = assertionSummary(action);
    const badge = svg('g', {
      class: `badge badge-${summary.status}`,
      transform: `translate(${box.width - DOT_ROOM - BADGE_WIDTH},${box.height / 2 - 8})`,
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
export function renderStatusDots(): void {
  for (const [id, g] of state.nodeEls) {
    g.querySelector('.status')?.remove();
    const result = resultOf(state.byId.get(id));
    const box = state.layout.nodes[id];
    if (!result || !box) continue;
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

/** The layer colours; while assertions are badges, their entry shows a badge instead of a swatch. */
export function renderLegend(): void {
  const present = new Set(state.data.model.actions.map((a) => a.layer));
  $('legend').replaceChildren(
    ...DOCS_LAYERS.filter((layer) => present.has(layer)).map((layer) =>
      layer === 'assertion' && !state.showAssertions
        ? h(
            'span',
            {
              class: 'layer-assertion',
              title:
                'The badge on a node counts its assertions: green when all passed, red when one failed, grey when not run',
            },
            h('i', { class: 'legend-badge' }, '\u2713n'),
            LAYER_LABELS[layer],
          )
        : h('span', { class: `layer-${layer}` }, h('i', { class: 'swatch' }), LAYER_LABELS[layer]),
    ),
  );
}

function applyView(): void {
  const { x, y, k } = state.view;
  $('viewport').setAttribute('transform', `translate(${x},${y}) scale(${k})`);
}

/**
 * Fits the graph to the pane, but never so small that labels drop below about 11 px: a graph too big
 * for that starts at its sources (top left) and the reader pans for the rest. `whole` (the Fit button)
 * shows everything however small.
 */
export function fitGraph({ whole = false } = {}): void {
  const { width, height } = state.layout;
  const rect = $('graph').getBoundingClientRect();
  if (!width || !height || !rect.width) return;
  const fit = Math.min(1.2, Math.min(rect.width / width, rect.height / height) * 0.94);
  const k = whole ? fit : Math.max(fit, MIN_READABLE_ZOOM);
  // Too tall: centre on the first column (where the lineage starts) rather than on the empty corner
  // above it, without scrolling past the top or the bottom of the graph.
  const anchor = firstColumnMiddle();
  const place = (room: number, size: number, at?: number) => {
    if (size * k <= room) return (room - size * k) / 2;
    if (at === undefined) return FIT_MARGIN;
    return Math.min(FIT_MARGIN, Math.max(room - FIT_MARGIN - size * k, room / 2 - at * k));
  };
  state.view = { k, x: place(rect.width, width), y: place(rect.height, height, anchor) };
  applyView();
}

/** The vertical middle of the leftmost column of nodes (the sources, in a layered layout). */
function firstColumnMiddle(): number | undefined {
  const boxes: NodeBox[] = Object.values(state.layout.nodes);
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
export function focusNode(id: string): void {
  const drawn = drawnNodeOf(id);
  const box = drawn ? state.layout.nodes[drawn] : undefined;
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

function zoomAt(factor: number, cx: number, cy: number): void {
  const { x, y, k } = state.view;
  const next = Math.min(4, Math.max(0.03, k * factor));
  const ratio = next / k;
  state.view = { k: next, x: cx - (cx - x) * ratio, y: cy - (cy - y) * ratio };
  applyView();
}

/** The graph node (`.node`) an event happened in, if any. */
function nodeIdOf(event: Event): string | undefined {
  const target = event.target instanceof Element ? event.target : null;
  return target?.closest<SVGGElement>('.node')?.dataset.id;
}

export function wireGraphInput(): void {
  const graph = $('graph') as unknown as SVGSVGElement;
  graph.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      const rect = graph.getBoundingClientRect();
      zoomAt(Math.exp(-event.deltaY * 0.0015), event.clientX - rect.left, event.clientY - rect.top);
    },
    { passive: false },
  );
  let drag: { x: number; y: number; view: PageView; moved: boolean; id: number } | null = null;
  graph.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, view: { ...state.view }, moved: false, id: event.pointerId };
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
  graph.addEventListener('pointerup', (event) => {
    if (!drag) return;
    const wasClick = !drag.moved;
    graph.classList.remove('dragging');
    drag = null;
    if (!wasClick) return;
    const id = nodeIdOf(event);
    if (id) location.hash = actionHref(id);
  });
  graph.addEventListener('pointercancel', () => {
    drag = null;
    graph.classList.remove('dragging');
  });
  graph.addEventListener('keydown', (event) => {
    const id = nodeIdOf(event);
    if (id && event.key === 'Enter') location.hash = actionHref(id);
  });
  const zoomAtCenter = (factor: number) => {
    const rect = graph.getBoundingClientRect();
    zoomAt(factor, rect.width / 2, rect.height / 2);
  };
  $('zoom-in').addEventListener('click', () => zoomAtCenter(1.3));
  $('zoom-out').addEventListener('click', () => zoomAtCenter(1 / 1.3));
  $('zoom-fit').addEventListener('click', () => fitGraph({ whole: true }));
  const lineageOnly = $<HTMLInputElement>('lineage-only');
  lineageOnly.checked = state.lineageOnly;
  lineageOnly.addEventListener('change', () => {
    state.lineageOnly = lineageOnly.checked;
    void updateLayout();
  });
  const showAssertions = $<HTMLInputElement>('show-assertions');
  showAssertions.checked = state.showAssertions;
  showAssertions.addEventListener('change', () => {
    state.showAssertions = showAssertions.checked;
    void updateLayout();
  });
}

type PageView = typeof state.view;

let elkLoading: Promise<{ layout(graph: ElkNode): Promise<ElkNode> }> | null = null;
/** elkjs is 1.6 MB: load it only when someone asks for a lineage-only view. */
function loadElk() {
  elkLoading ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'vendor/elk.bundled.js';
    script.onload = () => (window.ELK ? resolve(new window.ELK()) : reject(new Error('elkjs did not load')));
    script.onerror = () => reject(new Error('vendor/elk.bundled.js is missing'));
    document.head.append(script);
  });
  return elkLoading;
}

/** Lays out just the selection's lineage with the generator's options (layout-options.ts). */
async function lineageLayout(id: string, base: LineageLayout): Promise<LineageLayout> {
  const keep = [...lineageOf(id)].filter((n) => base.nodes[n]);
  const kept = new Set(keep);
  const edges = base.edges.filter((e) => kept.has(e.from) && kept.has(e.to));
  const elk = await loadElk();
  const result = await elk.layout({
    id: 'root',
    layoutOptions: lineageLayoutOptions(edges.length),
    children: keep.map((n) => {
      const box = base.nodes[n]!;
      const action = state.byId.get(n);
      const layoutOptions = action ? nodeLayoutOptions(action) : undefined;
      return { id: n, width: box.width, height: box.height, ...(layoutOptions ? { layoutOptions } : {}) };
    }),
    edges: edges.map((e, i) => ({ id: `e${i}`, sources: [e.from], targets: [e.to] })),
  });
  const nodes: Record<string, NodeBox> = {};
  for (const c of result.children ?? [])
    nodes[c.id] = { x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 };
  return {
    width: result.width ?? 0,
    height: result.height ?? 0,
    nodes,
    edges: (result.edges ?? []).map((e, i) => ({
      from: edges[i]!.from,
      to: edges[i]!.to,
      points: (e.sections ?? []).flatMap((sec) =>
        [sec.startPoint, ...(sec.bendPoints ?? []), sec.endPoint].map((p): [number, number] => [p.x, p.y]),
      ),
    })),
  };
}

let layoutRequest = 0;
/** Switches layouts when the lineage-only toggle, the assertions toggle or the selection changes. */
export async function updateLayout(): Promise<void> {
  const wanted = state.lineageOnly && state.selected ? state.selected : null;
  const assertions = state.showAssertions;
  const shown = state.layout;
  if (shown.focus === wanted && shown.assertions === assertions) return;
  const request = ++layoutRequest;
  const base = baseLayout();
  let layout: ShownLayout = { ...base, focus: null, assertions };
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
  renderLegend();
  highlight();
  if (wanted) fitGraph();
  else if (state.selected) focusNode(state.selected);
  else fitGraph();
}

/** Highlights the selection's lineage, or the search matches, and dims the rest. */
export function highlight(): void {
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
