import type { Command } from 'commander';
import {
  archiveForConfig,
  listenerHealthPath,
  startListener,
  TrustConfigError,
} from '../../ingestion/index.js';
import { consoleLogger } from '../../lib/index.js';
import { ConfigError, loadConfig } from '../config.js';
import { DEFAULT_CONFIG_PATH, resolveDbPath } from '../db-path.js';
import { exitIfStillHeld } from '../exit-after-stop.js';
import { openRawTarget } from '../raw-target.js';

/**
 * The listener's connection never waits for SQLite's write lock: a transformation run may hold it for
 * seconds (a full refresh), and a wait would stall the event loop that takes every printer's reports.
 * A refused write waits in the tracker's backlog, with its report's own time, and is retried soon.
 */
export const LISTENER_BUSY_TIMEOUT_MS = 0;

export interface ListenOptions {
  config: string;
  db?: string;
}

/**
 * Runs the listener until `stop` resolves (SIGTERM/SIGINT from the CLI), then closes it cleanly.
 * Returns the exit code: 0 after a clean stop, 2 for a configuration the listener cannot use.
 */
export async function runListen(
  options: ListenOptions,
  stop: Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(options.config, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  if (config.printers.length === 0) {
    console.error(
      `No printers configured in ${options.config}. Add printer_ip, access_code and serial_number ` +
        '(or a "printers" list for a farm) as in ingestion/config.example.json, or set ' +
        'BAMBUZLED_PRINTER_IP, BAMBUZLED_ACCESS_CODE and BAMBUZLED_SERIAL_NUMBER.',
    );
    return 2;
  }
  const dbPath = resolveDbPath(options.db, env, config.dbFile);
  const accessCodes = config.printers.map((printer) => printer.accessCode);
  const opened = await openRawTarget(dbPath, {
    busyTimeoutMs: LISTENER_BUSY_TIMEOUT_MS,
    logger: consoleLogger('listen', accessCodes),
  });
  if (!opened.ok) {
    console.error(opened.message);
    return 2;
  }
  const raw = opened.target;
  const logger = consoleLogger('listen', [...accessCodes, ...raw.secrets]);
  let listener: ReturnType<typeof startListener>;
  try {
    listener = startListener({
      config,
      db: raw.db,
      store: raw.store,
      logger,
      archive: archiveForConfig(config, raw.localBase, logger),
      healthFile: listenerHealthPath(raw.localBase),
    });
  } catch (error) {
    await raw.close();
    if (error instanceof TrustConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  logger.info(`writing to ${raw.shown}.`);
  await stop;
  logger.info('stopping: closing the printer connections.');
  await listener.close();
  await raw.close();
  return 0;
}

/** A promise that resolves on the first SIGTERM or SIGINT. */
export function onStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
      resolve(signal);
    };
    process.once('SIGTERM', handler);
    process.once('SIGINT', handler);
  });
}

export function registerListen(program: Command): void {
  program
    .command('listen')
    .description('Record every print job of the configured printers into the raw layer (MQTT over TLS).')
    .option('--config <path>', 'the listener config (JSON)', DEFAULT_CONFIG_PATH)
    .option(
      '--db <path|url>',
      "the SQLite file or a postgres:// URL (else BAMBUZLED_DB, the config's db_file, data/print_history.db)",
    )
    .action(async (options: ListenOptions) => {
      process.exitCode = await runListen(options, onStopSignal());
      exitIfStillHeld(consoleLogger('listen'));
    });
}
