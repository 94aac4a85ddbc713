import { Command } from 'commander';
import { registerCompile } from './commands/compile.js';
import { registerDocs } from './commands/docs.js';
import { registerListen } from './commands/listen.js';
import { registerRun } from './commands/run.js';
import { registerSchedule } from './commands/schedule.js';
import { registerSimulate } from './commands/simulate.js';
import { registerStart } from './commands/start.js';
import { registerStatus } from './commands/status.js';
import { VERSION } from './version.js';

const program = new Command('bambuzled')
  .description('Print history for Bambu Lab printers, and a SQLite runner for Dataform projects.')
  .version(VERSION)
  .showHelpAfterError();

registerCompile(program);
registerRun(program);
registerListen(program);
registerSchedule(program);
registerDocs(program);
registerSimulate(program);
registerStart(program);
registerStatus(program);

await program.parseAsync(process.argv);
