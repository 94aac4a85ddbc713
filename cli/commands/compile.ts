import type { Command } from 'commander';

// Placeholder until the compile command lands; replaced by its owner.
export function registerCompile(program: Command): void {
  program
    .command('compile')
    .description('(not available yet)')
    .action(() => {
      console.error('bambuzled compile is not available in this build yet.');
      process.exitCode = 2;
    });
}
