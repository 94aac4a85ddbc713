import { Command } from 'commander';
import { VERSION } from './version.js';

type Register = (program: Command) => void;

// Each command's module pulls in its stage (MQTT, the adapter, HTTP servers...): load only the one
// being run, so that `bambuzled status` (the listener's health check) starts in a fraction of the time.
const COMMANDS: Record<string, () => Promise<Register>> = {
  compile: async () => (await import('./commands/compile.js')).registerCompile,
  init: async () => (await import('./commands/init.js')).registerInit,
  run: async () => (await import('./commands/run.js')).registerRun,
  runs: async () => (await import('./commands/runs.js')).registerRuns,
  test: async () => (await import('./commands/test.js')).registerTest,
  listen: async () => (await import('./commands/listen.js')).registerListen,
  schedule: async () => (await import('./commands/schedule.js')).registerSchedule,
  docs: async () => (await import('./commands/docs.js')).registerDocs,
  simulate: async () => (await import('./commands/simulate.js')).registerSimulate,
  start: async () => (await import('./commands/start.js')).registerStart,
  status: async () => (await import('./commands/status.js')).registerStatus,
  export: async () => (await import('./commands/export.js')).registerExport,
  restate: async () => (await import('./commands/restate.js')).registerRestate,
};

const program = new Command('bambuzled')
  .description('Print history for Bambu Lab printers, and a SQLite runner for Dataform projects.')
  .version(VERSION)
  .showHelpAfterError();

const requested = process.argv[2];
const names = requested !== undefined && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
for (const name of names) (await COMMANDS[name]!())(program);

await program.parseAsync(process.argv);
