import type { Command } from 'commander';
import { EngineError, openEngine } from '../../adapter/index.js';
import { isMissingTable } from '../../lib/query-rows.js';
import { resolveDbPath } from '../db-path.js';

interface PrinterRow {
  printer_serial: string;
  printer_name: string;
  last_report_at: string | null;
}

/**
 * `bambuzled status`: one line per printer with the age of its last report, read from the raw layer.
 * Exits 1 when a printer has been silent longer than --max-silence seconds, so that it also serves
 * as the listener's container health check.
 */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("Print each printer's last report from the database; exit 1 if one is silent too long.")
    .option('--db <path>', 'SQLite database (default: $BAMBUZLED_DB, else data/print_history.db)')
    .option('--max-silence <seconds>', 'silence after which a printer counts as down', '120')
    .action(async (options: { db?: string; maxSilence: string }) => {
      const dbPath = resolveDbPath(options.db);
      const maxSilenceMs = Number(options.maxSilence) * 1000;
      if (!Number.isFinite(maxSilenceMs) || maxSilenceMs <= 0) {
        console.error(`--max-silence must be a positive number of seconds, not "${options.maxSilence}".`);
        process.exitCode = 2;
        return;
      }
      let rows: PrinterRow[];
      try {
        rows = await readPrinters(dbPath);
      } catch (error) {
        // A missing, damaged or unreadable file: one line that names it and says what to do.
        console.error(
          error instanceof EngineError ? error.message : `Cannot read ${dbPath}: ${String(error)}`,
        );
        process.exitCode = 1;
        return;
      }
      if (rows.length === 0) {
        console.error(`No printer has reported to ${dbPath} yet.`);
        process.exitCode = 1;
        return;
      }
      let down = 0;
      for (const row of rows) {
        const ageMs = row.last_report_at
          ? Date.now() - Date.parse(row.last_report_at)
          : Number.POSITIVE_INFINITY;
        const silent = ageMs > maxSilenceMs;
        if (silent) down += 1;
        const age = Number.isFinite(ageMs) ? `${Math.round(ageMs / 1000)} s ago` : 'never';
        console.log(
          `${silent ? 'SILENT' : 'ok    '}  ${row.printer_name} (${row.printer_serial}): last report ${age}`,
        );
      }
      process.exitCode = down === 0 ? 0 : 1;
    });
}

/** The printers the listener has recorded, through a read-only connection; none before it first ran. */
async function readPrinters(dbPath: string): Promise<PrinterRow[]> {
  const db = await openEngine(dbPath).connect({ readonly: true });
  try {
    const rows = await db.query(
      'SELECT printer_serial, printer_name, last_report_at FROM printers_raw ORDER BY printer_name',
    );
    return rows.map((row) => ({
      printer_serial: String(row.printer_serial),
      printer_name: String(row.printer_name),
      last_report_at: row.last_report_at == null ? null : String(row.last_report_at),
    }));
  } catch (error) {
    if (isMissingTable(error)) return [];
    throw error;
  } finally {
    await db.close();
  }
}
