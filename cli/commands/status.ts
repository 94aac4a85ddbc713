import type { Command } from 'commander';
import { DatabaseOpenError, openDatabase } from '../../lib/sqlite.js';
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
    .action((options: { db?: string; maxSilence: string }) => {
      const dbPath = resolveDbPath(options.db);
      const maxSilenceMs = Number(options.maxSilence) * 1000;
      if (!Number.isFinite(maxSilenceMs) || maxSilenceMs <= 0) {
        console.error(`--max-silence must be a positive number of seconds, not "${options.maxSilence}".`);
        process.exitCode = 2;
        return;
      }
      let rows: PrinterRow[];
      try {
        const db = openDatabase(dbPath, { readonly: true });
        rows = db
          .prepare(
            'SELECT printer_serial, printer_name, last_report_at FROM printers_raw ORDER BY printer_name',
          )
          .all() as PrinterRow[];
        db.close();
      } catch (error) {
        console.error(
          error instanceof DatabaseOpenError ? error.message : `Cannot read ${dbPath}: ${String(error)}`,
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
