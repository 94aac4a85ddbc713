import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EngineError, openEngine } from '../../adapter/index.js';
import { serveDocs } from '../../docs-site/index.js';
import { archiveForConfig, listenerHealthPath, startListener } from '../../ingestion/index.js';
import { consoleLogger } from '../../lib/index.js';
import { startScheduleService } from '../../scheduler/index.js';
import { type Demo, startDemo } from '../../simulator/index.js';
import { type BambuzledConfig, ConfigError, loadConfig, parseConfig } from '../config.js';
import { DEFAULT_CONFIG_PATH, resolveDbPath } from '../db-path.js';
import { exitIfStillHeld } from '../exit-after-stop.js';
import { openRawTarget, urlSecrets } from '../raw-target.js';
import { LISTENER_BUSY_TIMEOUT_MS, onStopSignal } from './listen.js';

/** Where the demo's jobs go unless --db or BAMBUZLED_DB says otherwise. */
export const DEMO_DB_PATH = 'data/demo.db';

export interface StartOptions {
  config: string;
  db?: string;
  port: string;
  docsPort: string;
  host: string;
  token?: string;
  allowedHost?: string[];
  demo?: boolean;
}

/**
 * `bambuzled start`: the listener, the scheduler with its status page and the docs server in one
 * process, sharing one database. A job's end wakes the sensor at once. With no printer configured,
 * it runs the demo printers instead. Returns the exit code once `stop` resolves and all is closed.
 */
export async function runStart(
  projectDir: string,
  options: StartOptions,
  stop: Promise<unknown>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let config: BambuzledConfig;
  try {
    config = existsSync(options.config) ? loadConfig(options.config, env) : parseConfig(undefined, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const port = parsePort(options.port, '--port');
  const docsPort = parsePort(options.docsPort, '--docs-port');
  if (port === undefined || docsPort === undefined) return 2;

  const startupLogger = consoleLogger('start');
  const demoMode = config.printers.length === 0 || options.demo === true;
  // Demo jobs go to a database of their own, so they never mix with a real print history.
  const dbPath =
    demoMode && !options.db && !env.BAMBUZLED_DB
      ? DEMO_DB_PATH
      : resolveDbPath(options.db, env, config.dbFile);
  let engine: ReturnType<typeof openEngine>;
  try {
    engine = openEngine(dbPath);
  } catch (error) {
    if (error instanceof EngineError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  try {
    // A damaged, truncated or unreadable file, or a read-only folder (or a server that refuses the
    // login or has no such database): one line naming it, before anything (the demo's broker and
    // printers included) has started. The password of a URL is never in it.
    await (await engine.connect()).close();
  } catch (error) {
    if (error instanceof EngineError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  let demo: Demo | undefined;
  if (demoMode) {
    startupLogger.info(
      options.demo
        ? 'demo mode (--demo): simulated printers instead of the configured ones.'
        : `no printers configured (${options.config} not found or empty). Running a demo with simulated printers; copy ingestion/config.example.json to ${options.config} to record your own.`,
    );
    demo = await startDemo({ logger: consoleLogger('demo') });
    config = { ...config, printers: demo.config.printers, checkIntervalS: demo.config.checkIntervalS };
  }
  const token = options.token ?? env.BAMBUZLED_STATUS_TOKEN;
  const secrets = [
    ...config.printers.map((printer) => printer.accessCode),
    token ?? '',
    ...urlSecrets(dbPath),
  ];
  const logger = consoleLogger('start', secrets);

  if (demo) logger.info(`demo data goes to ${engine.location}; delete it whenever you like.`);
  // The listener's rows are written from a thread of its own (SQLite) or a pool (PostgreSQL): a run
  // (in its own process) that holds the write lock makes that thread wait, never the reports. The
  // listener's own connection (the certificate pins) has a short busy timeout for the same reason.
  // The raw layer's migration may wait for another process's write like any start-up step.
  const opened = await openRawTarget(dbPath, {
    busyTimeoutMs: LISTENER_BUSY_TIMEOUT_MS,
    logger: consoleLogger('listen', secrets),
  });
  if (!opened.ok) {
    await demo?.close();
    console.error(opened.message);
    return 2;
  }
  const raw = opened.target;

  let schedule: Awaited<ReturnType<typeof startScheduleService>>;
  try {
    schedule = await startScheduleService({
      engine,
      listenerHealthFile: listenerHealthPath(raw.localBase),
      projectDir,
      port,
      host: options.host,
      ...(token ? { token } : {}),
      ...(options.allowedHost ? { allowedHosts: options.allowedHost } : {}),
      logger: consoleLogger('scheduler', secrets),
      ...(config.schedule ? { schedule: config.schedule } : {}),
      ...(config.sensorTags ? { selection: { tags: config.sensorTags, includeDependents: true } } : {}),
    });
  } catch (error) {
    await demo?.close();
    await raw.close();
    if (error instanceof EngineError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  let docs: Awaited<ReturnType<typeof serveDocs>>;
  try {
    docs = await serveDocs({
      projectDir,
      dbPath,
      port: docsPort,
      host: options.host,
      // Both pages stand on the same HTTP layer: the names the status page answers to, the docs do too.
      ...(options.allowedHost ? { allowedHosts: options.allowedHost } : {}),
      logger: consoleLogger('docs'),
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    await schedule.stop();
    await demo?.close();
    await raw.close();
    return 2;
  }
  const listenLogger = consoleLogger('listen', secrets);
  const listener = startListener({
    config,
    db: raw.db,
    store: raw.store,
    logger: listenLogger,
    archive: archiveForConfig(config, raw.localBase, listenLogger),
    healthFile: listenerHealthPath(raw.localBase),
  });
  // The fast path: a job's end wakes the sensor at once instead of at the next tick.
  listener.on('job-ended', (event) => schedule.scheduler.wake(`job ${event.jobKey} ${event.event}`));
  // Filament figures that arrive after a job ended are news for the models too.
  listener.on('filament-recorded', (event) => {
    if (event.toStatus !== 'running' && event.toStatus !== 'paused') {
      schedule.scheduler.wake(`job ${event.jobKey} filament recorded`);
    }
  });

  logger.info(`writing to ${engine.location}`);
  logger.info(`status page: ${schedule.server.url}`);
  logger.info(`docs site:   ${docs.url}`);
  logger.info('press Ctrl-C to stop.');

  await stop;
  logger.info('stopping: listener, then scheduler (a run in flight is cancelled), then docs.');
  await listener.close();
  await demo?.close();
  await schedule.stop();
  await docs.close();
  await raw.close();
  logger.info('stopped cleanly.');
  return 0;
}

function parsePort(value: string, flag: string): number | undefined {
  const port = Number(value);
  if (Number.isInteger(port) && port >= 0 && port <= 65_535) return port;
  console.error(`${flag} must be a port number from 0 to 65535, not "${value}".`);
  return undefined;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description(
      'Run everything in one process: listener, scheduler and status page, docs site (demo printers, into data/demo.db, when none is configured).',
    )
    .argument('[project-dir]', 'the Dataform project', '.')
    .option('--config <path>', 'the listener config (JSON)', DEFAULT_CONFIG_PATH)
    .option(
      '--db <path|url>',
      "the SQLite file or a postgres:// URL (else BAMBUZLED_DB, the config's db_file, data/print_history.db)",
    )
    .option('--port <port>', 'the status page port', '3000')
    .option('--docs-port <port>', 'the docs site port', '8080')
    .option('--host <host>', 'the address both pages listen on', '127.0.0.1')
    .option(
      '--token <token>',
      'require "Authorization: Bearer <token>" on the status page API (or $BAMBUZLED_STATUS_TOKEN)',
    )
    .option(
      '--allowed-host <name...>',
      'another host name both pages answer to (a reverse proxy, a LAN name)',
    )
    .option('--demo', 'use simulated printers even when printers are configured')
    .action(async (projectDir: string, options: StartOptions) => {
      process.exitCode = await runStart(resolve(projectDir), options, onStopSignal());
      exitIfStillHeld(consoleLogger('start'));
    });
}
