import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { sqliteQueryRows } from '../../lib/query-rows.js';
import { DatabaseOpenError, openDatabase } from '../../lib/sqlite.js';
import { resolveDbPath } from '../db-path.js';
import { type ExportableTable, ExportError, type ExportFormat, exportTable } from '../export-rows.js';
import { DATE_HINT, parseUserDate } from '../parse-date.js';

export interface ExportFlags {
  format?: string;
  since?: string;
  out?: string;
  db?: string;
}

/** `bambuzled export <jobs|table>`: the history out, as CSV or JSON, to stdout or a file. Returns the exit code. */
export async function runExport(table: string, flags: ExportFlags): Promise<number> {
  const format = (flags.format ?? 'csv').toLowerCase();
  if (format !== 'csv' && format !== 'json') {
    console.error(`--format must be csv or json, not "${flags.format}".`);
    return 2;
  }
  const since = flags.since === undefined ? undefined : parseUserDate(flags.since);
  if (flags.since !== undefined && since === undefined) {
    console.error(`--since must be ${DATE_HINT}, not "${flags.since}".`);
    return 2;
  }
  const dbPath = resolveDbPath(flags.db);
  let db: ReturnType<typeof openDatabase>;
  try {
    db = openDatabase(dbPath, { readonly: true });
  } catch (error) {
    if (!(error instanceof DatabaseOpenError)) throw error;
    console.error(error.message);
    return 2;
  }
  try {
    const text = await exportTable(sqliteQueryRows(db), exportableTables(db), {
      table,
      format: format as ExportFormat,
      ...(since ? { since } : {}),
    });
    if (flags.out) writeFileSync(flags.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (error) {
    if (error instanceof ExportError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    db.close();
  }
}

/** Every table and view but SQLite's and the scheduler's own (`_bambuzled_*`), with their columns. */
function exportableTables(db: ReturnType<typeof openDatabase>): ExportableTable[] {
  const names = db
    .prepare(
      `SELECT name FROM sqlite_master WHERE type IN ('table', 'view')
       AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_%' ESCAPE '\\' ORDER BY name`,
    )
    .pluck()
    .all() as string[];
  return names.map((name) => ({
    name,
    columns: db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all(name) as string[],
  }));
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'Write the print history (jobs = jobs_slv) or any table as CSV or JSON, to stdout or a file.',
    )
    .argument('<table>', 'jobs, or the name of a table or view')
    .option('--format <format>', 'csv (a header row, RFC 4180 quoting) or json (one array of objects)', 'csv')
    .option('--since <date>', 'only rows from then on (YYYY-MM-DD, ISO-8601 or unix seconds)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--db <path>', "the SQLite file (else BAMBUZLED_DB, the config's db_file, data/print_history.db)")
    .action(async (table: string, flags: ExportFlags) => {
      process.exitCode = await runExport(table, flags);
    });
}
