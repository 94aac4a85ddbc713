// The docs page: loads the data, draws the header and banner, routes #/action/<id> to its panel, and
// refreshes the live catalog. The entry point esbuild bundles into app.js.
import type { DocsCatalog } from '../catalog-snapshot.js';
import type { DocsSiteData } from '../site-data.js';
import {
  $,
  fetchServed,
  formatTime,
  h,
  LINEAGE_ONLY_FROM,
  loadData,
  nodesOf,
  setCatalog,
  state,
  takeTokenFromHash,
  withCode,
} from './core.js';
import {
  baseLayout,
  fitGraph,
  focusNode,
  highlight,
  renderGraph,
  renderLegend,
  renderStatusDots,
  updateLayout,
  wireGraphInput,
} from './graph.js';
import { renderAction, renderOverview } from './panels.js';
import { renderSidebar, wireSearch } from './search.js';

function renderCatalogStatus(): void {
  const el = $('catalog-status');
  const catalog = state.catalog;
  const ready = catalog.status === 'ready';
  el.className = `catalog-status ${ready ? 'ready' : 'empty'}`;
  el.textContent = ready
    ? `Catalog ${state.data.live ? 'live' : 'snapshot'} \u00b7 read ${formatTime(catalog.readAt)}`
    : 'Catalog empty';
  el.title = catalog.dbPath || '';
  $('refresh').hidden = !state.data.live;

  const restated = $('restated');
  const last = catalog.lastRestatement;
  restated.hidden = !last;
  restated.textContent = last
    ? `History restated from the report archive on ${formatTime(last.restatedAt)}: ${last.reason}` +
      ` (${last.printers.length} printer${last.printers.length === 1 ? '' : 's'}, ${last.reports} reports replayed` +
      `${last.skipped ? `, ${last.skipped} damaged skipped` : ''}${last.since ? `, jobs since ${formatTime(last.since)}` : ''}).`
    : '';

  const banner = $('banner');
  banner.replaceChildren();
  const errors = state.data.model.compilationErrors ?? [];
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
    banner.append(...nodesOf(withCode(catalog.message || 'The catalog is empty.')));
    banner.hidden = false;
  } else {
    banner.hidden = true;
  }
}

async function refreshCatalog(): Promise<void> {
  if (!state.data?.live) return;
  try {
    const res = await fetchServed('api/catalog');
    if (!res.ok) return;
    setCatalog((await res.json()) as DocsCatalog);
    renderCatalogStatus();
    renderStatusDots();
    route();
  } catch {
    // The server went away; keep showing what we have.
  }
}

function route(): void {
  const match = /^#\/action\/(.+)$/.exec(location.hash);
  const id = match?.[1] ? decodeURIComponent(match[1]) : null;
  const action = id ? state.byId.get(id) : undefined;
  const changed = state.selected !== (action ? id : null);
  state.selected = action ? id : null;
  if (action) renderAction(action);
  else renderOverview();
  for (const a of $('sidebar').querySelectorAll<HTMLAnchorElement>('a[data-id]'))
    a.classList.toggle('current', a.dataset.id === state.selected);
  highlight();
  if (state.lineageOnly) void updateLayout();
  else if (action && id && changed) focusNode(id);
  document.title = action ? `${action.name} \u00b7 Bambuzled docs` : 'Bambuzled docs';
}

async function main(): Promise<void> {
  takeTokenFromHash();
  let data: DocsSiteData;
  try {
    data = await loadData();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    $('details').replaceChildren(h('p', { class: 'error-text' }, `Cannot load the docs data: ${message}`));
    return;
  }
  state.data = data;
  state.byId = new Map(data.model.actions.map((a) => [a.id, a]));
  setCatalog(data.catalog);
  $('project').textContent = data.model.projectName;
  renderCatalogStatus();
  renderSidebar();
  // Assertions start as badges on what they check: drawn as nodes they outnumber the models.
  state.showAssertions = false;
  state.layout = { ...baseLayout(), focus: null, assertions: state.showAssertions };
  // Past a few hundred nodes the whole graph is a texture, not a picture: start focused on lineage.
  state.lineageOnly = data.model.actions.length > LINEAGE_ONLY_FROM;
  renderLegend();
  renderGraph();
  wireGraphInput();
  wireSearch();
  $('refresh').addEventListener('click', () => void refreshCatalog());
  // Coming back to the tab after a run should show the new numbers without a manual reload.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') void refreshCatalog();
  });
  window.addEventListener('hashchange', route);
  fitGraph();
  route();
  document.body.dataset.ready = 'true';
}

void main();
