import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrokerCertificate, generateBrokerCertificate } from '../../simulator/embedded-broker.js';

/**
 * A real FTPS server for tests: Debian's vsftpd with implicit TLS and require_ssl_reuse (as the
 * printers), on loopback, a free port and a temp folder (chrooted), with the given certificate or a
 * self-signed one whose CN is the printer serial.
 *
 * Login: a local account `bblp` (created if missing, no shell: /usr/sbin/nologin) whose password is
 * VSFTPD_ACCESS_CODE, checked by pam_unix through a PAM service written for this server only and
 * removed on stop (Debian's own /etc/pam.d/vsftpd would want a login shell). One fixed code, so that
 * servers started by test files running in parallel agree. Virtual users (guest_enable) and pam_exec
 * were tried first: vsftpd then never answers EPSV after a pam_exec login.
 */
export const VSFTPD_ACCESS_CODE = 'Bz9ftpsT';

export interface Vsftpd {
  port: number;
  /** The served folder: the printer's SD card (put files in `root` and `root/cache`). */
  root: string;
  certPem: string;
  /** The PEM file of the certificate, for ca_file. */
  certFile: string;
  logFile: string;
  stop(): Promise<void>;
}

export async function startVsftpd(options: {
  serial: string;
  /** The printer's certificate (the MQTT broker's, as on a real printer); made here when left out. */
  certificate?: BrokerCertificate;
}): Promise<Vsftpd> {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-vsftpd-'));
  chmodSync(dir, 0o755);
  const root = join(dir, 'sdcard');
  mkdirSync(join(root, 'cache'), { recursive: true });
  chmodSync(root, 0o755);
  chmodSync(join(root, 'cache'), 0o755);
  const certificate = options.certificate ?? (await generateBrokerCertificate([options.serial]));
  const pems = { cert: certificate.certPem, private: certificate.keyPem };
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  writeFileSync(certFile, pems.cert);
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  ensureFtpUser();
  const service = `bambuzled-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  const pamFile = `/etc/pam.d/${service}`;
  writeFileSync(
    pamFile,
    'auth required pam_unix.so nodelay\naccount required pam_unix.so\nsession required pam_unix.so\n',
  );
  mkdirSync('/var/run/vsftpd/empty', { recursive: true });

  const [port, pasvPort] = (await freePorts(2)) as [number, number];
  const logFile = join(dir, 'vsftpd.log');
  const confFile = join(dir, 'vsftpd.conf');
  writeFileSync(
    confFile,
    `${[
      'listen=YES',
      'listen_address=127.0.0.1',
      `listen_port=${port}`,
      'background=NO',
      'anonymous_enable=NO',
      'local_enable=YES',
      'chroot_local_user=YES',
      `local_root=${root}`,
      'write_enable=NO',
      `pam_service_name=${service}`,
      'ssl_enable=YES',
      'implicit_ssl=YES',
      'require_ssl_reuse=YES',
      'force_local_logins_ssl=YES',
      'force_local_data_ssl=YES',
      'ssl_ciphers=HIGH',
      `rsa_cert_file=${certFile}`,
      `rsa_private_key_file=${keyFile}`,
      'pasv_enable=YES',
      'pasv_address=127.0.0.1',
      `pasv_min_port=${pasvPort}`,
      `pasv_max_port=${pasvPort}`,
      'seccomp_sandbox=NO',
      'isolate=NO',
      'isolate_network=NO',
      'delay_failed_login=0',
      'xferlog_enable=YES',
      'xferlog_std_format=NO',
      `vsftpd_log_file=${logFile}`,
      'log_ftp_protocol=YES',
      'dual_log_enable=NO',
      'syslog_enable=NO',
    ].join('\n')}\n`,
  );
  // Its own process group: stopping it by that id also ends the per-login processes it forked.
  const child: ChildProcess = spawn('/usr/sbin/vsftpd', [confFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, () => output);
  } catch (error) {
    // A server that did not start leaves nothing behind either.
    if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    rmSync(pamFile, { force: true });
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    port,
    root,
    certPem: pems.cert,
    certFile,
    logFile,
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
      await exited;
      rmSync(pamFile, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The test user bblp with the test code as password; no shell, no home of its own. */
function ensureFtpUser(): void {
  if (spawnSync('id', ['bblp']).status !== 0) {
    const made = spawnSync('useradd', ['-M', '-d', '/', '-s', '/usr/sbin/nologin', 'bblp'], {
      encoding: 'utf8',
    });
    if (made.status !== 0 && spawnSync('id', ['bblp']).status !== 0) {
      throw new Error(`cannot create the local user bblp for vsftpd: ${made.stderr}`);
    }
  }
  const set = spawnSync('chpasswd', [], { input: `bblp:${VSFTPD_ACCESS_CODE}\n`, encoding: 'utf8' });
  if (set.status !== 0) throw new Error(`cannot set the password of bblp for vsftpd: ${set.stderr}`);
}

/** The server's log (protocol lines), for a test that fails. */
export function vsftpdLog(server: Vsftpd): string {
  return existsSync(server.logFile) ? readFileSync(server.logFile, 'utf8') : '';
}

async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const address = server.address();
    if (address && typeof address === 'object') ports.push(address.port);
  }
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

async function waitForPort(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`vsftpd exited (${child.exitCode}): ${output()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = createServer().listen(port, '127.0.0.1');
      socket.once('listening', () => socket.close(() => resolve(false)));
      socket.once('error', () => resolve(true));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`vsftpd did not listen on ${port}: ${output()}`);
}
