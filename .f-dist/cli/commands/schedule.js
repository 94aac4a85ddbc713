import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileProject } from '../../adapter/index.js';
import { ConfigError, loadConfig } from '../../ingestion/config.js';
import { migrateRawSchema } from '../../ingestion/raw-schema.js';
import { consoleLogger } from '../../lib/logger.js';
import { openDatabase } from '../../lib/sqlite.js';
import { SchedulerError, startScheduleService } from '../../scheduler/index.js';
import { resolveDbPath } from '../db-path.js';
const DEFAULT_SCHEDULE = '*/30 * * * * *';
const DEFAULT_TAGS = ['bronze'];
/** `bambuzled schedule`: the sensor that runs the graph when a job ends, and its status page. */
export function registerSchedule(program) {
    program
        .command('schedule')
        .description('Run the graph within seconds of a print job ending, with run history and a status page')
        .argument('[project-dir]', 'the Dataform project to run', '.')
        .option('--config <path>', 'the config file whose schedule, sensor_tags and db_file apply (e.g. ingestion/config.json)')
        .option('--db <path>', "the SQLite database (default: $BAMBUZLED_DB, else the config's db_file, else data/print_history.db)")
        .option('--port <port>', 'the status page port', '3000')
        .option('--host <host>', 'the address the status page listens on', '127.0.0.1')
        .option('--schedule <cron>', `when the sensor looks at least (node-cron, six fields with seconds; default: the config's schedule, else "${DEFAULT_SCHEDULE}")`)
        .option('--tags <tags...>', `what a sensor run covers, plus everything downstream (default: the config's sensor_tags, else ${DEFAULT_TAGS.join(' ')})`)
        .option('--token <token>', 'require "Authorization: Bearer <token>" on the API (or $BAMBUZLED_STATUS_TOKEN)')
        .option('--poll <ms>', 'how often to look for jobs ended by another process (0: only the schedule)', '1000')
        .action(async (projectDir, flags) => {
        const logger = consoleLogger('schedule', [flags.token ?? '', process.env.BAMBUZLED_STATUS_TOKEN ?? '']);
        let config;
        try {
            config = flags.config ? loadConfig(flags.config) : undefined;
        }
        catch (error) {
            if (!(error instanceof ConfigError))
                throw error;
            console.error(error.message);
            process.exitCode = 2;
            return;
        }
        const dbPath = resolveDbPath(flags.db, process.env, config?.dbFile);
        const schedule = flags.schedule ?? config?.schedule ?? DEFAULT_SCHEDULE;
        const tags = flags.tags ?? config?.sensorTags ?? DEFAULT_TAGS;
        const port = Number(flags.port);
        const pollIntervalMs = Number(flags.poll);
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
            console.error(`--port ${flags.port} is not a port number; use 1-65535 (0 picks a free one).`);
            process.exitCode = 2;
            return;
        }
        if (!Number.isFinite(pollIntervalMs) || pollIntervalMs < 0) {
            console.error(`--poll ${flags.poll} is not a number of milliseconds; use e.g. 1000, or 0 to turn it off.`);
            process.exitCode = 2;
            return;
        }
        const project = resolve(projectDir);
        if (!existsSync(join(project, 'workflow_settings.yaml'))) {
            console.error(`${project} is not a Dataform project (no workflow_settings.yaml). Pass the project folder, e.g. \`bambuzled schedule path/to/project\`.`);
            process.exitCode = 2;
            return;
        }
        const db = openDatabase(dbPath);
        // The sensor may start before the listener ever ran: give it an empty raw layer to watch.
        migrateRawSchema(db);
        const token = flags.token ?? process.env.BAMBUZLED_STATUS_TOKEN;
        let service;
        try {
            service = await startScheduleService({
                db,
                projectDir: project,
                schedule,
                selection: { tags, includeDependents: true },
                pollIntervalMs,
                port,
                host: flags.host,
                ...(token ? { token } : {}),
                logger,
            });
        }
        catch (error) {
            db.close();
            const code = error.code;
            if (error instanceof SchedulerError)
                console.error(error.message);
            else if (code === 'EADDRINUSE')
                console.error(`Port ${port} is in use; pass --port with another one.`);
            else
                throw error;
            process.exitCode = 2;
            return;
        }
        console.log(`bambuzled scheduler: status page at ${service.server.url} (database ${dbPath})`);
        // Compile now (the graph is cached) so that a broken project shows at start, not at the first job end.
        void compileProject({ projectDir: project }).then((outcome) => {
            if (!outcome.ok)
                logger.warn(`${outcome.message} (sensor runs fail until this is fixed)`);
        });
        let stopping = false;
        const shutdown = (signal) => {
            if (stopping)
                return;
            stopping = true;
            logger.info(`${signal}: letting a run in flight finish, then stopping`);
            void service
                .stop()
                .then(() => {
                db.close();
                process.exit(0);
            })
                .catch((error) => {
                logger.error(`stopping: ${error instanceof Error ? error.message : String(error)}`);
                process.exit(1);
            });
        };
        process.once('SIGTERM', () => shutdown('SIGTERM'));
        process.once('SIGINT', () => shutdown('SIGINT'));
    });
}
//# sourceMappingURL=schedule.js.map