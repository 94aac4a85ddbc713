import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  compileProject,
  EngineError,
  graphActions,
  isServerUrl,
  openEngine,
  selectActions,
  withoutPassword,
} from '../../adapter/index.js';
import { listenerHealthPath, migrateRawSchema } from '../../ingestion/index.js';
import { consoleLogger, DatabaseOpenError, openDatabase } from '../../lib/index.js';
import {
  DEFAULT_SCHEDULE,
  DEFAULT_TAGS,
  SchedulerError,
  startScheduleService,
} from '../../scheduler/index.js';
import { type BambuzledConfig, ConfigError, loadConfig } from '../config.js';
import { DEFAULT_CONFIG_PATH, localFilesBase, resolveDbPath } from '../db-path.js';

interface ScheduleFlags {
  config?: string;
  db?: string;
  port: string;
  host: string;
  schedule?: string;
  tags?: string[];
  token?: string;
  allowedHost?: string[];
  poll: string;
}

/** `bambuzled schedule`: the sensor that runs the graph when a job ends, and its status page. */
export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description('Run the graph within seconds of a print job ending, with run history and a status page.')
    .argument('[project-dir]', 'the Dataform project to run', '.')
    .option(
      '--config <path>',
      'the config file whose schedule, sensor_tags and db_file apply (default: ingestion/config.json if it exists)',
    )
    .option(
      '--db <path>',
      "the SQLite database (default: $BAMBUZLED_DB, else the config's db_file, else data/print_history.db)",
    )
    .option('--port <port>', 'the status page port', '3000')
    .option('--host <host>', 'the address the status page listens on', '127.0.0.1')
    .option(
      '--schedule <cron>',
      `when the sensor looks at least (node-cron, six fields with seconds; default: the config's schedule, else "${DEFAULT_SCHEDULE}")`,
    )
    .option(
      '--tags <tags...>',
      `what a sensor run covers, plus everything downstream (default: the config's sensor_tags, else ${DEFAULT_TAGS.join(' ')})`,
    )
    .option(
      '--token <token>',
      'require "Authorization: Bearer <token>" on the API (or $BAMBUZLED_STATUS_TOKEN)',
    )
    .option(
      '--allowed-host <name...>',
      "another host name the status page answers to (a reverse proxy, a LAN name); with --host 0.0.0.0 it already answers to localhost and this machine's addresses and hostname",
    )
    .option(
      '--poll <ms>',
      'how often (ms) to read the change feed for jobs ended by another process (0: only the schedule)',
      '100',
    )
    .action(async (projectDir: string, flags: ScheduleFlags) => {
      const logger = consoleLogger('schedule', [flags.token ?? '', process.env.BAMBUZLED_STATUS_TOKEN ?? '']);
      let config: BambuzledConfig | undefined;
      try {
        // Like \`listen\`, read ingestion/config.json when it exists; unlike it, none is needed.
        const configPath =
          flags.config ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
        config = configPath ? loadConfig(configPath) : undefined;
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        console.error(error.message);
        process.exitCode = 2;
        return;
      }
      const dbPath = resolveDbPath(flags.db, process.env, config?.dbFile);
      const schedule = flags.schedule ?? config?.schedule ?? DEFAULT_SCHEDULE;
      const tags = flags.tags ?? config?.sensorTags ?? [...DEFAULT_TAGS];
      const port = Number(flags.port);
      const pollIntervalMs = Number(flags.poll);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        console.error(`--port ${flags.port} is not a port number; use 1-65535 (0 picks a free one).`);
        process.exitCode = 2;
        return;
      }
      if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 0) {
        console.error(
          `--poll ${flags.poll} is not a number of milliseconds; use e.g. 1000, or 0 to turn it off.`,
        );
        process.exitCode = 2;
        return;
      }
      const project = resolve(projectDir);
      if (!existsSync(join(project, 'workflow_settings.yaml'))) {
        console.error(
          `${project} is not a Dataform project (no workflow_settings.yaml). Pass the project folder, e.g. \`bambuzled schedule path/to/project\`.`,
        );
        process.exitCode = 2;
        return;
      }
      let engine: ReturnType<typeof openEngine>;
      try {
        engine = openEngine(dbPath);
        // A damaged, truncated or unreadable file, or a read-only folder, is found out here and
        // said in one line naming the file (the EngineError's message), before anything starts.
        await (await engine.connect()).close();
        // The sensor may start before the listener ever ran: give it an empty raw layer to watch.
        // (The raw layer's migrations are ingestion's, on its own synchronous connection; the
        // listener writes SQLite only, so a server database gets none.)
        if (!isServerUrl(dbPath)) {
          const raw = openDatabase(dbPath);
          try {
            migrateRawSchema(raw);
          } finally {
            raw.close();
          }
        }
      } catch (error) {
        if (!(error instanceof EngineError || error instanceof DatabaseOpenError)) throw error;
        console.error(error.message);
        process.exitCode = 2;
        return;
      }
      const token = flags.token ?? process.env.BAMBUZLED_STATUS_TOKEN;
      let service: Awaited<ReturnType<typeof startScheduleService>>;
      try {
        service = await startScheduleService({
          engine,
          listenerHealthFile: listenerHealthPath(localFilesBase(dbPath)),
          projectDir: project,
          schedule,
          selection: { tags, includeDependents: true },
          pollIntervalMs,
          port,
          host: flags.host,
          ...(token ? { token } : {}),
          ...(flags.allowedHost ? { allowedHosts: flags.allowedHost } : {}),
          logger,
        });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (error instanceof SchedulerError || error instanceof EngineError) console.error(error.message);
        else if (code === 'EADDRINUSE')
          console.error(`Port ${port} is in use; pass --port with another one.`);
        else throw error;
        process.exitCode = 2;
        return;
      }
      console.log(
        `bambuzled scheduler: status page at ${service.server.url} (database ${withoutPassword(dbPath)})`,
      );
      // Compile now (the graph is cached) so that a broken project shows at start, not at the first job end.
      void compileProject({ projectDir: project }).then((outcome) => {
        if (!outcome.ok) {
          logger.warn(`${outcome.message} (sensor runs fail until this is fixed)`);
          return;
        }
        // A tag no action carries (a typo in sensor_tags) would fail every sensor run: say so now.
        const actions = graphActions(outcome.graph);
        const selected = selectActions(actions, { tags });
        if (!selected.ok) {
          const known = [...new Set(actions.flatMap((action) => action.tags))].sort().join(', ');
          logger.warn(
            `${selected.message} Sensor runs fail until --tags (or the config's sensor_tags) names a tag of this project: ${known || 'it has none'}.`,
          );
        }
      });
      let stopping = false;
      const shutdown = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info(`${signal}: cancelling a run in flight (what finished before stays), then stopping`);
        void service
          .stop()
          .then(() => {
            process.exit(0);
          })
          .catch((error: unknown) => {
            logger.error(`stopping: ${error instanceof Error ? error.message : String(error)}`);
            process.exit(1);
          });
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
