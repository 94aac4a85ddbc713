import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { type AsyncExecutor, type Dialect, EngineError, isServerUrl } from '../../adapter/index.js';
import { connect } from '../connect.js';
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
  if (!isServerUrl(dbPath) && !existsSync(dbPath)) {
    console.error(
      `There is no database at ${dbPath}. Pass --db with the path of your database (the listener creates it).`,
    );
    return 2;
  }
  const opened = await connect(dbPath, { readonly: true });
  if (!opened.ok) {
    console.error(opened.message);
    return 2;
  }
  const { engine, executor } = opened;
  try {
    const text = await exportTable(
      (sql, params) => executor.query(sql, params),
      await exportableTables(executor, engine.dialect),
      {
        table,
        format: format as ExportFormat,
        ...(since ? { since } : {}),
      },
    );
    if (flags.out) writeFileSync(flags.out, text);
    else process.stdout.write(text);
    return 0;
  } catch (error) {
    if (error instanceof ExportError || error instanceof EngineError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  } finally {
    await executor.close();
  }
}

/** Every table and view but the engine's and bambuzled's own (`_bambuzled_*`, `_…`), with their columns. */
async function exportableTables(executor: AsyncExecutor, dialect: Dialect): Promise<ExportableTable[]> {
  const names = (await executor.query(dialect.listObjectsSql))
    .map((row) => String(row.name))
    .filter((name) => !name.startsWith('_'));
  const tables: ExportableTable[] = [];
  for (const name of names) {
    tables.push({ name, columns: (await executor.describe(name))?.columns.map((c) => c.name) ?? [] });
  }
  return tables;
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
