import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { builtModule } from '../lib/index.js';
import type { BrokerCertificate } from './embedded-broker.js';
import type { JobScript } from './job-scripts.js';
import type { FtpsThreadSettings, FtpsThreadStart } from './simulated-ftps-thread.js';
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

/**
 * An FTPS server like a printer's: implicit TLS with the printer's certificate, user `bblp` and the
 * access code, files under `root`. It runs in a thread of its own (simulated-ftps-thread.ts says
 * why); close() ends the thread and with it every connection a client left behind.
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
  const settings: FtpsThreadSettings = {
    host: options.host,
    port,
    certPem: options.certificate.certPem,
    keyPem: options.certificate.keyPem,
    accessCode: options.accessCode,
    root: options.root,
  };
  const script = builtModule(import.meta.url, 'simulated-ftps-thread.js', "The simulator's FTPS thread");
  const thread = new Worker(script, { workerData: settings });
  const start = await new Promise<FtpsThreadStart>((resolve, reject) => {
    thread.once('message', resolve);
    thread.once('error', reject);
    thread.once('exit', (code) =>
      reject(new Error(`the simulated FTPS thread exited (${code}) before listening`)),
    );
  });
  if (!start.listening) {
    await thread.terminate();
    throw new Error(
      `the simulated FTPS server could not listen on ${options.host}:${port}: ${start.message}`,
    );
  }
  // In one process, a crash of the server would have ended the host; in its thread it says so instead.
  thread.on('error', (error) =>
    console.error(`the simulated FTPS server on ${options.host}:${port} stopped: ${error.message}`),
  );
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
    close: async () => {
      await thread.terminate();
    },
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
