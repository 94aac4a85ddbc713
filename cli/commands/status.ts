import type { Command } from 'commander';
import { EngineError, openEngine } from '../../adapter/index.js';
import {
  describeWriteHealth,
  isFresh,
  listenerHealthPath,
  readListenerHealth,
} from '../../ingestion/index.js';
import { isMissingTable } from '../../lib/index.js';
import { localFilesBase, resolveDbPath } from '../db-path.js';

interface PrinterRow {
  printer_serial: string;
  printer_name: string;
  last_report_at: string | null;
}

export interface StatusOptions {
  db?: string;
  maxSilence: string;
}

/**
 * `bambuzled status`: one line per printer with the age of its last report, read from the raw layer,
 * and, from the listener's health file, whether its writes are failing and how many reports wait.
 * Exits 1 when a printer has been silent longer than --max-silence seconds or its writes are failing,
 * so that it also serves as the listener's container health check.
 */
export async function runStatus(options: StatusOptions, now: Date = new Date()): Promise<number> {
  const dbPath = resolveDbPath(options.db);
  const maxSilenceMs = Number(options.maxSilence) * 1000;
  if (!Number.isFinite(maxSilenceMs) || maxSilenceMs <= 0) {
    console.error(`--max-silence must be a positive number of seconds, not "${options.maxSilence}".`);
    return 2;
  }
  const healthFile = readListenerHealth(listenerHealthPath(localFilesBase(dbPath)));
  const health = healthFile && isFresh(healthFile, now) ? healthFile : null;
  let rows: PrinterRow[];
  try {
    rows = await readPrinters(dbPath);
  } catch (error) {
    // A missing, damaged or unreadable file: one line that names it and says what to do.
    console.error(error instanceof EngineError ? error.message : `Cannot read ${dbPath}: ${String(error)}`);
    return 1;
  }
  // A printer the listener follows but could never write yet is known only to the health file.
  for (const printer of health?.printers ?? []) {
    if (!rows.some((row) => row.printer_serial === printer.serial)) {
      rows.push({ printer_serial: printer.serial, printer_name: printer.name, last_report_at: null });
    }
  }
  if (rows.length === 0) {
    console.error(`No printer has reported to ${dbPath} yet.`);
    return 1;
  }
  let down = 0;
  for (const row of rows) {
    const live = health?.printers.find((printer) => printer.serial === row.printer_serial);
    // While writes fail, the database's last report time is stale; the listener's own is not.
    const lastReportAt =
      [row.last_report_at, live?.lastReportAt ?? null].filter(Boolean).sort().pop() ?? null;
    const ageMs = lastReportAt ? now.getTime() - Date.parse(lastReportAt) : Number.POSITIVE_INFINITY;
    const silent = ageMs > maxSilenceMs;
    const writes = live ? describeWriteHealth(live.writes) : null;
    const failing = live?.writes.failing ?? false;
    if (silent || failing) down += 1;
    const age = Number.isFinite(ageMs) ? `${Math.round(ageMs / 1000)} s ago` : 'never';
    const flag = failing ? 'FAILING' : silent ? 'SILENT ' : 'ok     ';
    console.log(
      `${flag} ${row.printer_name} (${row.printer_serial}): last report ${age}${writes ? `; ${writes}` : ''}`,
    );
  }
  const archive = health?.archive;
  if (archive && (archive.writeErrors > 0 || archive.droppedRecords > 0)) {
    console.log(
      `report archive ${archive.dir}: ${archive.writeErrors} failed append(s), ${archive.waitingRecords} record(s) waiting, ` +
        `${archive.droppedRecords} dropped${archive.lastError ? ` (last error: ${archive.lastError})` : ''}`,
    );
  }
  return down === 0 ? 0 : 1;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      "Print each printer's last report and the listener's write health; exit 1 if one is silent too long or its writes fail.",
    )
    .option('--db <path>', 'SQLite database (default: $BAMBUZLED_DB, else data/print_history.db)')
    .option('--max-silence <seconds>', 'silence after which a printer counts as down', '120')
    .action(async (options: StatusOptions) => {
      process.exitCode = await runStatus(options);
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
