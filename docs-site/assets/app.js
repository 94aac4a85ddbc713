// The docs page: loads the data, draws the header and banner, routes #/action/<id> to its panel, and
// refreshes the live catalog.
(() => {
  const D = window.BambuzledDocs;
  const { state, $, h, LAYERS, LAYER_LABELS, LINEAGE_ONLY_FROM, formatTime, loadData, setCatalog, withCode } =
    D;

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

  /** The layer colours; while assertions are badges, their entry shows a badge instead of a swatch. */
  function renderLegend() {
    const present = new Set(state.data.model.actions.map((a) => a.layer));
    $('legend').replaceChildren(
      ...LAYERS.filter((layer) => present.has(layer)).map((layer) =>
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

  async function refreshCatalog() {
    if (!state.data?.live) return;
    try {
      const res = await fetch('api/catalog', { cache: 'no-store' });
      if (!res.ok) return;
      setCatalog(await res.json());
      renderCatalogStatus();
      D.renderStatusDots();
      route();
    } catch {
      // The server went away; keep showing what we have.
    }
  }

  function route() {
    const match = /^#\/action\/(.+)$/.exec(location.hash);
    const id = match ? decodeURIComponent(match[1]) : null;
    const action = id ? state.byId.get(id) : null;
    const changed = state.selected !== (action ? id : null);
    state.selected = action ? id : null;
    if (action) D.renderAction(action);
    else D.renderOverview();
    for (const a of $('sidebar').querySelectorAll('a[data-id]'))
      a.classList.toggle('current', a.dataset.id === state.selected);
    D.highlight();
    if (state.lineageOnly) D.updateLayout();
    else if (action && changed) D.focusNode(id);
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
    D.renderSidebar();
    // Assertions start as badges on what they check: drawn as nodes they outnumber the models.
    state.showAssertions = false;
    state.layout = { ...D.baseLayout(), focus: null, assertions: state.showAssertions };
    // Past a few hundred nodes the whole graph is a texture, not a picture: start focused on lineage.
    state.lineageOnly = data.model.actions.length > LINEAGE_ONLY_FROM;
    renderLegend();
    D.renderGraph();
    D.wireGraphInput();
    D.wireSearch();
    $('refresh').addEventListener('click', refreshCatalog);
    // Coming back to the tab after a run should show the new numbers without a manual reload.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') refreshCatalog();
    });
    window.addEventListener('hashchange', route);
    D.fitGraph();
    route();
    document.body.dataset.ready = 'true';
  }

  D.renderLegend = renderLegend;
  main();
})();
