// The right-hand panel: one page per action, and the project overview.
import type { DocsCatalogEntry, DocsRunResult } from '../catalog-snapshot.js';
import type { DocsAction, DocsColumn } from '../docs-model.js';
import { DOCS_LAYERS } from '../layers.js';
import {
  $,
  actionLink,
  type Child,
  catalogOf,
  formatCount,
  formatTime,
  h,
  nodesOf,
  resultOf,
  state,
  withCode,
} from './core.js';

declare global {
  interface Window {
    /** highlight.js with its SQL grammar (vendor/highlight.js and vendor/highlight-sql.js). */
    hljs?: {
      highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
    };
  }
}

function sqlBlock(sql: string): HTMLElement {
  const code = h('code', { class: 'language-sql hljs' });
  // highlight.js escapes the SQL and returns only its own <span class> markup.
  if (window.hljs)
    code.innerHTML = window.hljs.highlight(sql, { language: 'sql', ignoreIllegals: true }).value;
  else code.textContent = sql;
  return h('pre', { class: 'sql' }, code);
}

function resultLine(result: DocsRunResult | null): HTMLElement {
  if (!result) return h('span', { class: 'muted' }, 'never run');
  return h(
    'span',
    {},
    h('span', { class: `result status-${result.status}` }, result.status),
    ` at ${formatTime(result.endedAt)} (${result.durationMs} ms`,
    result.rowsAffected !== null && result.rowsAffected !== undefined
      ? `, ${formatCount(result.rowsAffected)} rows`
      : '',
    typeof result.failingRowCount === 'number' ? `, ${formatCount(result.failingRowCount)} failing rows` : '',
    ')',
  );
}

interface ColumnRow {
  name: string;
  type: string;
  inferred: boolean;
  doc: DocsColumn | undefined;
  missing: boolean;
}

function typeCell(row: ColumnRow, catalog: DocsCatalogEntry | null): HTMLElement {
  if (row.inferred)
    return h(
      'td',
      { class: 'col-type', title: 'No declared type: the type of the values stored in it' },
      `${row.type} (inferred)`,
    );
  if (row.type || !catalog?.exists || row.missing)
    return h('td', { class: 'col-type' }, row.type || '\u2014');
  return h(
    'td',
    { class: 'col-type muted', title: 'SQLite declares no type for a column computed by an expression' },
    'untyped',
  );
}

function columnsTable(action: DocsAction, catalog: DocsCatalogEntry | null): HTMLElement {
  const documented = new Map(action.columns.map((c) => [c.name, c]));
  const rows: ColumnRow[] = [];
  const actual = catalog?.exists ? catalog.columns : [];
  for (const column of actual) {
    const doc = documented.get(column.name);
    documented.delete(column.name);
    rows.push({
      name: column.name,
      type: column.type,
      inferred: Boolean(column.inferred),
      doc,
      missing: false,
    });
  }
  for (const doc of documented.values())
    rows.push({ name: doc.name, type: '', inferred: false, doc, missing: Boolean(catalog?.exists) });
  if (!rows.length) return h('p', { class: 'muted' }, 'No columns documented, and none in the catalog yet.');
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
          typeCell(row, catalog),
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

function storedCell(action: DocsAction, catalog: DocsCatalogEntry | null): Child {
  if (state.catalog.status !== 'ready') return h('span', { class: 'muted' }, 'catalog empty');
  if (!catalog?.exists)
    return h(
      'span',
      { class: 'muted' },
      action.kind === 'declaration' ? 'not in the database yet' : 'not built yet',
    );
  return `${catalog.objectType} ${catalog.sqliteName}`;
}

export function renderAction(action: DocsAction): void {
  const catalog = catalogOf(action);
  const result = resultOf(action);
  const builds = !['assertion', 'operations'].includes(action.kind);
  const panel: Child[] = [
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
      builds
        ? [h('dt', {}, 'In the database'), h('dd', { class: 'stored' }, storedCell(action, catalog))]
        : '',
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
            action.assertions.map((id) =>
              h('li', {}, actionLink(id), ' \u2014 ', resultLine(resultOf(state.byId.get(id)))),
            ),
          )
        : h(
            'p',
            { class: 'muted' },
            ...withCode('None. Add `assertions: { uniqueKey: [...], nonNull: [...] }` to its config.'),
          ),
    );
  }

  const links = (title: string, ids: string[]): Child[] => [
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
  const details = $('details');
  details.replaceChildren(...nodesOf(panel));
  details.scrollTop = 0;
}

export function renderOverview(): void {
  const { model } = state.data;
  const byKind: Record<string, number> = {};
  for (const a of model.actions) byKind[a.kind] = (byKind[a.kind] ?? 0) + 1;
  const results = Object.values(state.catalog.results ?? {});
  const lastEnded = results
    .map((r) => r.endedAt)
    .sort()
    .pop();
  const failed = results.filter((r) => r.status === 'FAILED').length;
  const rowsKnown = Object.values(state.catalog.entries ?? {}).filter((e) => e.exists).length;
  const stat = (label: string, value: number) =>
    h('div', { class: 'stat' }, h('b', {}, String(value)), label);
  $('details').replaceChildren(
    h('h2', {}, model.projectName || 'Dataform project'),
    h(
      'p',
      { class: 'muted' },
      `Default schema ${model.defaultSchema || '\u2014'}${model.environment ? ` \u00b7 environment: ${model.environment}` : ''} \u00b7 @dataform/core ${model.dataformCoreVersion || '?'} \u00b7 generated ${formatTime(state.data.generatedAt)}`,
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
    h('h3', {}, 'Datasets'),
    datasetsTable(),
  );
}

/** Every source and model with what the database holds for it: dbt's "database" view, in one table. */
function datasetsTable(): HTMLElement {
  const rank = (a: DocsAction) => DOCS_LAYERS.indexOf(a.layer);
  const rows = state.data.model.actions
    .filter((a) => a.kind !== 'assertion')
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  return h(
    'table',
    { class: 'columns datasets' },
    h(
      'thead',
      {},
      h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', {}, 'Rows'), h('th', {}, 'Last run')),
    ),
    h(
      'tbody',
      {},
      rows.map((a) => {
        const catalog = catalogOf(a);
        const result = resultOf(a);
        return h(
          'tr',
          { 'data-id': a.id },
          h('td', {}, actionLink(a.id)),
          h(
            'td',
            {},
            catalog?.exists && catalog.objectType !== a.kind ? `${a.kind} (${catalog.objectType})` : a.kind,
          ),
          h('td', { class: 'rows' }, catalog?.exists ? formatCount(catalog.rowCount) : '\u2014'),
          h('td', {}, result ? h('span', { class: `status-${result.status}` }, result.status) : ''),
        );
      }),
    ),
  );
}
