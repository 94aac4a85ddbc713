import type { Command } from 'commander';

// Placeholder until the run command lands; replaced by its owner.
export function registerRun(program: Command): void {
  program
    .command('run')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled run is not available in this build yet.');
      process.exitCode = 2;
    });
}
