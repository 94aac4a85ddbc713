import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { FtpSrv } from 'ftp-srv';
import type { BrokerCertificate } from './embedded-broker.js';
import type { JobScript } from './job-scripts.js';
import { buildThreeMf, type PlateFilament, sliceInfoXml } from './three-mf.js';

/** A printer's FTPS server, as the simulator runs it. */
export interface SimulatedFtps {
  host: string;
  port: number;
  /** The printer's SD card: `cache/` and the root. */
  root: string;
  /** Writes the job's .3mf where the printer would keep it; returns its path on the server. */
  storeJobFile(script: JobScript, filaments: readonly PlateFilament[]): string;
  close(): Promise<void>;
}

/** ftp-srv logs through bunyan to stdout by default; the simulator's FTP server stays quiet. */
const silent = {
  child: () => silent,
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  fatal: () => {},
};

/**
 * An in-process FTPS server like a printer's: implicit TLS with the printer's certificate, user
 * `bblp` and the access code, files under `root`. The control and data servers share TLS ticket
 * keys, so a client that resumes its session on the data connection (as printers require) does.
 */
export async function startSimulatedFtps(options: {
  host: string;
  certificate: BrokerCertificate;
  accessCode: string;
  root: string;
  /** 0 or absent: any free port. */
  port?: number;
}): Promise<SimulatedFtps> {
  const port = options.port ? options.port : await freePort(options.host);
  mkdirSync(join(options.root, 'cache'), { recursive: true });
  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;
  const before = new Map(signals.map((signal) => [signal, new Set(process.listeners(signal))]));
  const server = new FtpSrv({
    url: `ftps://${options.host}:${port}`,
    pasv_url: options.host,
    pasv_min: 40_000,
    pasv_max: 60_000,
    tls: { cert: options.certificate.certPem, key: options.certificate.keyPem, ticketKeys: randomBytes(48) },
    anonymous: false,
    blacklist: ['STOR', 'DELE', 'RMD', 'RNFR', 'RNTO', 'MKD', 'APPE', 'SITE'],
    log: silent,
    greeting: 'Welcome to the simulated printer',
  });
  // ftp-srv answers these signals with process.exit(0), which would cut the host's own shutdown
  // short (the database left open): take its handlers off again.
  for (const signal of signals) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener as (...args: unknown[]) => void);
    }
  }
  server.on(
    'login',
    (
      { username, password }: { username: string; password: string },
      resolve: (fs: { root: string }) => void,
      reject: (error: Error) => void,
    ) => {
      if (username === 'bblp' && password === options.accessCode) resolve({ root: options.root });
      else reject(new Error('Login incorrect.'));
    },
  );
  // A client that goes away mid-transfer is its business, not a crash of the simulator.
  server.on('client-error', () => {});
  await server.listen();
  return {
    host: options.host,
    port,
    root: options.root,
    storeJobFile(script, filaments) {
      const remote = jobFilePath(script);
      const local = join(options.root, remote);
      mkdirSync(dirname(local), { recursive: true });
      const predictionS = Math.round(script.steps.reduce((sum, step) => sum + step.afterMs, 0) / 1000);
      writeFileSync(local, buildThreeMf({ xml: sliceInfoXml([{ predictionS, filaments: [...filaments] }]) }));
      return remote;
    },
    close: () => server.close(),
  };
}

/**
 * Where a printer keeps a job's file: a LAN upload at the card's root under its gcode_file name
 * (P1/A1), anything else in /cache/ under the job's name (X1 and newer firmware report a ram-disk
 * path as gcode_file).
 */
export function jobFilePath(script: JobScript): string {
  const { gcodeFile, name, printType } = script.identity;
  if (gcodeFile.endsWith('.3mf')) return printType === 'local' ? `/${gcodeFile}` : `/cache/${gcodeFile}`;
  return `/cache/${name}.gcode.3mf`;
}

async function freePort(host: string): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, host, resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}
