import type { Command } from 'commander';

// Placeholder until the schedule command lands; replaced by its owner.
export function registerSchedule(program: Command): void {
  program
    .command('schedule')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled schedule is not available in this build yet.');
      process.exitCode = 2;
    });
}
