import type { Command } from 'commander';

// Placeholder until the docs command lands; replaced by its owner.
export function registerDocs(program: Command): void {
  program
    .command('docs')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled docs is not available in this build yet.');
      process.exitCode = 2;
    });
}
