import type { Command } from 'commander';

// Placeholder until the simulate command lands; replaced by its owner.
export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled simulate is not available in this build yet.');
      process.exitCode = 2;
    });
}
