/**
 * A real PostgreSQL server for tests: Debian's `postgresql` binaries, a fresh cluster in a temp
 * folder, on a free port of 127.0.0.1 only. The server refuses to run as root, so initdb and the
 * server run as the `postgres` user; the test that starts one stops it, by its PID.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PostgresServer {
  /** postgres://bambuzled:<password>@127.0.0.1:<port>/bambuzled */
  url: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** A URL for another database of the same server (created on demand with createDatabase). */
  urlFor(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

/** The folder of the server binaries (initdb, postgres, psql), or undefined when none is installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs a command as the postgres user when this process is root (as on CI), else as itself. */
function asPostgres(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install postgresql (.ci/run does it).');
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-pg-'));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const password = `pw-${Math.random().toString(36).slice(2, 12)}`;
  const pwfile = join(dir, 'pw');
  execFileSync(...asPostgres('sh', ['-c', `umask 077; printf '%s' '${password}' > '${pwfile}'`]));
  execFileSync(
    ...asPostgres(join(bin, 'initdb'), [
      '-D',
      data,
      '-U',
      'bambuzled',
      '--pwfile',
      pwfile,
      '-A',
      'scram-sha-256',
      '-E',
      'UTF8',
      '--no-instructions',
    ]),
    { stdio: 'ignore' },
  );
  const port = await freePort();
  const [command, args] = asPostgres(join(bin, 'postgres'), [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    'fsync=off',
    '-c',
    'max_connections=60',
  ]);
  const server = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
  let log = '';
  server.stderr.on('data', (chunk) => {
    log += chunk;
  });
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!/ready to accept connections/.test(log)) {
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill('SIGKILL');
      throw new Error(`PostgreSQL did not start: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = (database: string) => `postgres://bambuzled:${password}@127.0.0.1:${port}/${database}`;
  const psql = (sql: string) =>
    execFileSync(join(bin, 'psql'), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url('postgres'), '-c', sql], {
      stdio: 'pipe',
    });
  psql('CREATE DATABASE bambuzled');
  return {
    url: url('bambuzled'),
    host: '127.0.0.1',
    port,
    database: 'bambuzled',
    user: 'bambuzled',
    password,
    urlFor: url,
    createDatabase: async (name) => {
      psql(`CREATE DATABASE "${name}"`);
    },
    stop: async () => {
      // The postmaster's own PID (runuser forks it): SIGINT is PostgreSQL's fast shutdown.
      const pidFile = join(data, 'postmaster.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : undefined;
      if (pid) process.kill(pid, 'SIGINT');
      else server.kill('SIGINT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
