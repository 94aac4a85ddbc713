/**
 * The rows of every table and view the project builds, read from either engine in one comparable
 * form: rows sorted by their values, numbers rounded to 6 decimals (a REAL on SQLite is a numeric on
 * PostgreSQL), so that two databases can be compared row by row.
 */
import type { AsyncExecutor, CompiledGraph, Dialect } from '../../adapter/index.js';

/** The datasets (tables, views, incrementals) of a compiled graph, by name. */
export function projectDatasets(graph: CompiledGraph): { name: string; schema: string }[] {
  return (graph.tables ?? [])
    .filter((t) => !t.disabled)
    .map((t) => ({ name: t.target.name, schema: t.target.schema ?? '' }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** Columns whose value is the moment of the run, not a function of the data. */
const RUN_CLOCK_COLUMNS = new Set(['taken_at']);

function comparable(value: unknown): unknown {
  if (typeof value === 'number') return Math.round(value * 1e6) / 1e6;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

/** One dataset's rows, comparable across engines. */
export async function datasetRows(
  executor: AsyncExecutor,
  dialect: Dialect,
  graph: CompiledGraph,
  dataset: { name: string; schema: string },
): Promise<Record<string, unknown>[]> {
  const name = dialect.objectName(
    { database: '', schema: dataset.schema, name: dataset.name },
    graph.projectConfig,
  );
  const quoted = name
    .split('.')
    .map((part) => dialect.quote(part))
    .join('.');
  const rows = await executor.query(`SELECT * FROM ${quoted}`);
  const clean = rows.map((row) =>
    Object.fromEntries(
      Object.entries(row)
        .filter(([column]) => !RUN_CLOCK_COLUMNS.has(column))
        .map(([column, value]) => [column, comparable(value)]),
    ),
  );
  const keyOf = (row: Record<string, unknown>) => JSON.stringify(Object.values(row));
  return clean.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}

/** Every dataset's rows, by dataset name. */
export async function allDatasetRows(
  executor: AsyncExecutor,
  dialect: Dialect,
  graph: CompiledGraph,
): Promise<Record<string, Record<string, unknown>[]>> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const dataset of projectDatasets(graph)) {
    out[dataset.name] = await datasetRows(executor, dialect, graph, dataset);
  }
  return out;
}
