/**
 * The simulated printer's FTPS server, in a thread of its own (simulated-ftps.ts starts it). ftp-srv
 * 4.6.3 does not stop what a client abandons: a RETR whose data connection never completes polls
 * for it every 50 ms forever, and an unused PASV port holds a 30 s timer. A process that hosted it
 * would never exit after a client gave up mid-download (as the listener does when it stops);
 * terminating this thread ends all of it at once.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { FtpSrv } from 'ftp-srv';

/** What the starting thread passes in workerData. */
export interface FtpsThreadSettings {
  host: string;
  port: number;
  certPem: string;
  keyPem: string;
  accessCode: string;
  root: string;
}

/** The thread's one message: listening, or why not. */
export type FtpsThreadStart = { listening: true } | { listening: false; message: string };

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

async function serve(settings: FtpsThreadSettings): Promise<void> {
  const server = new FtpSrv({
    url: `ftps://${settings.host}:${settings.port}`,
    pasv_url: settings.host,
    pasv_min: 40_000,
    pasv_max: 60_000,
    // The control and data servers share TLS ticket keys, so a client that resumes its session on
    // the data connection (as printers require) does.
    tls: { cert: settings.certPem, key: settings.keyPem, ticketKeys: randomBytes(48) },
    anonymous: false,
    blacklist: ['STOR', 'DELE', 'RMD', 'RNFR', 'RNTO', 'MKD', 'APPE', 'SITE'],
    log: silent,
    greeting: 'Welcome to the simulated printer',
  });
  server.on(
    'login',
    (
      { username, password }: { username: string; password: string },
      resolve: (fs: { root: string }) => void,
      reject: (error: Error) => void,
    ) => {
      if (username === 'bblp' && password === settings.accessCode) resolve({ root: settings.root });
      else reject(new Error('Login incorrect.'));
    },
  );
  // A client that goes away mid-transfer is its business, not a crash of the simulator.
  server.on('client-error', () => {});
  await server.listen();
}

serve(workerData as FtpsThreadSettings).then(
  () => parentPort?.postMessage({ listening: true } satisfies FtpsThreadStart),
  (error: unknown) =>
    parentPort?.postMessage({
      listening: false,
      message: error instanceof Error ? error.message : String(error),
    } satisfies FtpsThreadStart),
);
