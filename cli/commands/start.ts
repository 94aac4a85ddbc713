import type { Command } from 'commander';

// Placeholder until the start command lands; replaced by its owner.
export function registerStart(program: Command): void {
  program
    .command('start')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled start is not available in this build yet.');
      process.exitCode = 2;
    });
}
