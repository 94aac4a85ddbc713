// The sidebar (actions by layer) and the search box over names, descriptions and columns.
import type { DocsAction } from '../docs-model.js';
import { DOCS_LAYERS, LAYER_LABELS } from '../layers.js';
import { $, actionHref, displayName, h, matches, state } from './core.js';
import { focusNode, highlight } from './graph.js';

export function renderSidebar(): void {
  const query = state.query;
  const groups = DOCS_LAYERS.map((layer) => {
    const items = state.data.model.actions
      .filter((a) => a.layer === layer && (!query || matches(a, query)))
      .sort((a, b) => displayName(a).localeCompare(displayName(b)));
    if (!items.length) return null;
    // A folded group stays folded across re-renders, unless a search is on: then every match shows.
    const group = h(
      'details',
      { open: Boolean(query) || !state.folded.has(layer), 'data-layer': layer },
      h(
        'summary',
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
              {
                href: actionHref(a.id),
                'data-id': a.id,
                class: a.id === state.selected ? 'current' : '',
                // The narrow sidebar cuts long assertion labels; the full one shows on hover.
                title: displayName(a),
              },
              displayName(a),
            ),
          ),
        ),
      ),
    );
    group.addEventListener('toggle', () => {
      if (state.query) return;
      if (group.open) state.folded.delete(layer);
      else state.folded.add(layer);
    });
    return group;
  });
  const sidebar = $('sidebar');
  sidebar.replaceChildren(...groups.filter((group) => group !== null));
  if (!sidebar.childElementCount)
    sidebar.append(h('p', { class: 'muted nothing-matches' }, 'Nothing matches.'));
}

export function wireSearch(): void {
  const input = $<HTMLInputElement>('search');
  const list = $<HTMLUListElement>('search-results');
  let active = 0;
  const results = (): { a: DocsAction; why: string }[] =>
    state.data.model.actions
      .map((a) => ({ a, why: matches(a, state.query) }))
      .filter((r): r is { a: DocsAction; why: string } => r.why !== null)
      .sort(
        (x, y) =>
          (x.why === 'name' ? 0 : 1) - (y.why === 'name' ? 0 : 1) ||
          displayName(x.a).localeCompare(displayName(y.a)),
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
  const go = (id: string) => {
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
      go(found[active]!.a.id);
    } else if (event.key === 'Escape') {
      input.value = '';
      state.query = '';
      list.hidden = true;
      renderSidebar();
      highlight();
    }
  });
  list.addEventListener('click', (event) => {
    const li = event.target instanceof Element ? event.target.closest('li') : null;
    if (li?.dataset.id) go(li.dataset.id);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === '/' && document.activeElement !== input) {
      event.preventDefault();
      input.focus();
    }
  });
}
