/**
 * The simulator's FTPS server, as `bambuzled start` runs it in demo mode: a client that gives up in
 * the middle of a download (the listener does so when it stops) must not keep the host process
 * alive once the server is closed. With ftp-srv in the host's own thread it did, forever.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A host process: a simulated printer's FTPS server and a client that logs in, asks for a data port
 * and a file, and disconnects before opening the data connection; then the server is closed.
 */
const ABANDONED_DOWNLOAD = `
import { connect } from 'node:tls';
import { generateBrokerCertificate, startSimulatedFtps } from '${pathToFileURL(join(process.cwd(), 'dist/simulator/index.js')).href}';
const root = process.env.SIMULATED_SD_CARD;
const certificate = await generateBrokerCertificate(['SIMFTPS1']);
const ftps = await startSimulatedFtps({ host: '127.0.0.1', certificate, accessCode: 'code1234', root });
const socket = connect({ host: '127.0.0.1', port: ftps.port, rejectUnauthorized: false });
socket.setEncoding('utf8');
let heard = '';
socket.on('data', (text) => { heard += text; });
const reply = async (code) => {
  while (!new RegExp('^' + code + ' ', 'm').test(heard)) await new Promise((r) => setTimeout(r, 10));
  heard = '';
};
await reply(220);
socket.write('USER bblp\\r\\n'); await reply(331);
socket.write('PASS code1234\\r\\n'); await reply(230);
socket.write('PBSZ 0\\r\\n'); await reply(200);
socket.write('PROT P\\r\\n'); await reply(200);
socket.write('PASV\\r\\n'); await reply(227);
socket.write('RETR /cache/job.3mf\\r\\n');
await new Promise((r) => setTimeout(r, 200));
socket.destroy();
await ftps.close();
console.log('closed');
`;

describe('the simulated printer FTPS server', () => {
  it('lets its host process exit after a client abandoned a download', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bambuzled-simftps-'));
    dirs.push(dir);
    const root = join(dir, 'sd-card');
    const host = join(dir, 'host.mjs');
    writeFileSync(host, ABANDONED_DOWNLOAD);
    const child = spawn(process.execPath, [host], {
      env: { ...process.env, SIMULATED_SD_CARD: root },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // It exits within a second once closed; ftp-srv in the host's thread kept it alive indefinitely.
    const deadline = new Promise<string>((resolve) =>
      setTimeout(() => resolve('still running'), 45_000).unref(),
    );
    const outcome = await Promise.race([exited, deadline]);
    if (child.exitCode === null) child.kill('SIGKILL');
    expect(output).toContain('closed');
    expect(outcome, output).toBe(0);
  }, 60_000);
});
