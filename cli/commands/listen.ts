import type { Command } from 'commander';

// Placeholder until the listen command lands; replaced by its owner.
export function registerListen(program: Command): void {
  program
    .command('listen')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled listen is not available in this build yet.');
      process.exitCode = 2;
    });
}
