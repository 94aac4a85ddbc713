import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EngineError, isServerUrl, openEngine, withoutPassword } from '../../adapter/index.js';
import { serveDocs } from '../../docs-site/index.js';
import {
  archiveForConfig,
  listenerHealthPath,
  migrateRawSchema,
  startListener,
} from '../../ingestion/index.js';
import { consoleLogger, DatabaseOpenError, openDatabase } from '../../lib/index.js';
import { startScheduleService } from '../../scheduler/index.js';
import { type Demo, startDemo } from '../../simulator/index.js';
import { type BambuzledConfig, ConfigError, loadConfig, parseConfig } from '../config.js';
import { DEFAULT_CONFIG_PATH, resolveDbPath } from '../db-path.js';
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
  if (isServerUrl(dbPath)) {
    console.error(
      `bambuzled start records the printers into a SQLite file, and ${withoutPassword(dbPath)} is a server. Pass --db with a file path, or run \`bambuzled schedule\` and \`bambuzled docs serve\` against the server.`,
    );
    return 2;
  }
  const engine = openEngine(dbPath);
  try {
    // A damaged, truncated or unreadable file, or a read-only folder: one line naming the file,
    // before anything (the demo's broker and printers included) has started.
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
  const secrets = [...config.printers.map((printer) => printer.accessCode), token ?? ''];
  const logger = consoleLogger('start', secrets);

  if (demo) logger.info(`demo data goes to ${dbPath}; delete it whenever you like.`);
  let db: ReturnType<typeof openDatabase>;
  try {
    // The listener keeps its own synchronous connection on this thread. Its busy timeout is short,
    // so that the event loop never waits long while a run (in its own process) holds the write
    // lock: a write that loses the race fails at once and the tracker writes it again later.
    // The raw layer's migration may wait for another process's write like any start-up step.
    const migrating = openDatabase(dbPath);
    try {
      migrateRawSchema(migrating);
    } finally {
      migrating.close();
    }
    db = openDatabase(dbPath, { busyTimeoutMs: LISTENER_BUSY_TIMEOUT_MS });
  } catch (error) {
    await demo?.close();
    if (error instanceof EngineError || error instanceof DatabaseOpenError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }

  let schedule: Awaited<ReturnType<typeof startScheduleService>>;
  try {
    schedule = await startScheduleService({
      engine,
      listenerHealthFile: listenerHealthPath(dbPath),
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
    db.close();
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
      logger: consoleLogger('docs'),
    });
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    await schedule.stop();
    await demo?.close();
    db.close();
    return 2;
  }
  const listenLogger = consoleLogger(
    'listen',
    config.printers.map((p) => p.accessCode),
  );
  const listener = startListener({
    config,
    db,
    logger: listenLogger,
    archive: archiveForConfig(config, dbPath, listenLogger),
    healthFile: listenerHealthPath(dbPath),
  });
  // The fast path: a job's end wakes the sensor at once instead of at the next tick.
  listener.on('job-ended', (event) => schedule.scheduler.wake(`job ${event.jobKey} ${event.event}`));
  // Filament figures that arrive after a job ended are news for the models too.
  listener.on('filament-recorded', (event) => {
    if (event.toStatus !== 'running' && event.toStatus !== 'paused') {
      schedule.scheduler.wake(`job ${event.jobKey} filament recorded`);
    }
  });

  logger.info(`writing to ${dbPath}`);
  logger.info(`status page: ${schedule.server.url}`);
  logger.info(`docs site:   ${docs.url}`);
  logger.info('press Ctrl-C to stop.');

  await stop;
  logger.info('stopping: listener, then scheduler (a run in flight is cancelled), then docs.');
  await listener.close();
  await demo?.close();
  await schedule.stop();
  await docs.close();
  db.close();
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
    .option('--db <path>', "the SQLite file (else BAMBUZLED_DB, the config's db_file, data/print_history.db)")
    .option('--port <port>', 'the status page port', '3000')
    .option('--docs-port <port>', 'the docs site port', '8080')
    .option('--host <host>', 'the address both pages listen on', '127.0.0.1')
    .option(
      '--token <token>',
      'require "Authorization: Bearer <token>" on the status page API (or $BAMBUZLED_STATUS_TOKEN)',
    )
    .option(
      '--allowed-host <name...>',
      'another host name the status page answers to (a reverse proxy, a LAN name)',
    )
    .option('--demo', 'use simulated printers even when printers are configured')
    .action(async (projectDir: string, options: StartOptions) => {
      process.exitCode = await runStart(resolve(projectDir), options, onStopSignal());
    });
}
