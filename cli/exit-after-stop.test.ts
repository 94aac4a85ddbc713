import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const built = pathToFileURL(join(process.cwd(), 'dist/cli/exit-after-stop.js')).href;

/** A stopped service in a child process: `leftOpen` is what it forgot to close. */
function stoppedService(leftOpen: string): { status: number | null; output: string } {
  const source = `
    import { createServer } from 'node:net';
    import { exitIfStillHeld } from '${built}';
    ${leftOpen}
    process.exitCode = 3;
    exitIfStillHeld({ info: console.log, warn: console.log, error: console.log }, 300);
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', source], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: child.status, output: child.stdout + child.stderr };
}

describe('exitIfStillHeld', () => {
  it('exits after the grace period with the code set, naming what held the process open', () => {
    const { status, output } = stoppedService("createServer().listen(0, '127.0.0.1');");
    expect(status).toBe(3);
    expect(output).toContain('held open by TCPServerWrap');
    expect(output).toContain('everything was saved before this');
  });

  it('says nothing when nothing is left open: the process ends on its own at once', () => {
    const { status, output } = stoppedService('');
    expect(status).toBe(3);
    // The grace timer neither held the process nor fired.
    expect(output).toBe('');
  });
});
