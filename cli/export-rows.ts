import { stringify } from 'csv-stringify/sync';
import type { QueryRows } from '../lib/index.js';

/** A table or view that can be exported, with its columns in order. */
export interface ExportableTable {
  name: string;
  columns: string[];
}

export type ExportFormat = 'csv' | 'json';

/** What a user asked for that cannot be exported; the message lists what can. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExportError';
  }
}

/** `jobs` is the silver jobs table: what owners mean by "my history". */
export const TABLE_ALIASES: Readonly<Record<string, string>> = { jobs: 'jobs_slv' };

/** The column --since filters on, by preference; dates (YYYY-MM-DD) compare with the day of --since. */
const TIME_COLUMNS = ['started_at', 'ended_at', 'finished_at', 'at', 'print_date', 'day'];
const DAY_COLUMNS = new Set(['print_date', 'day']);

/**
 * The rows of one table (or `jobs`), optionally since a time, as CSV (a header row, RFC 4180 quoting
 * by csv-stringify) or JSON (one array of objects). Engine-neutral: it reads through QueryRows.
 */
export async function exportTable(
  query: QueryRows,
  tables: readonly ExportableTable[],
  request: { table: string; format: ExportFormat; since?: Date },
): Promise<string> {
  const name = TABLE_ALIASES[request.table] ?? request.table;
  const table = tables.find((candidate) => candidate.name === name);
  if (!table) {
    const known = tables.map((t) => t.name);
    const hint =
      name === 'jobs_slv'
        ? 'jobs_slv does not exist yet: run the models first (`bambuzled run`).'
        : `There is no table "${request.table}" to export.`;
    throw new ExportError(
      `${hint} Export one of: jobs (= jobs_slv)${known.length > 0 ? `, ${known.join(', ')}` : ''}.`,
    );
  }
  let sql = `SELECT * FROM "${table.name.replace(/"/g, '""')}"`;
  const params: unknown[] = [];
  if (request.since) {
    const column = TIME_COLUMNS.find((c) => table.columns.includes(c));
    if (!column) {
      throw new ExportError(
        `--since needs a time column, and ${table.name} has none of ${TIME_COLUMNS.join(', ')}: export it without --since.`,
      );
    }
    sql += ` WHERE "${column}" >= ? ORDER BY "${column}"`;
    const iso = request.since.toISOString();
    params.push(DAY_COLUMNS.has(column) ? iso.slice(0, 10) : iso);
  }
  const rows = await query(sql, params);
  if (request.format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  return stringify(rows, {
    header: true,
    columns: table.columns,
    // A NULL is an empty field; booleans are 1/0 as the database holds them.
    cast: { boolean: (value) => (value ? '1' : '0') },
    record_delimiter: 'windows',
  });
}
