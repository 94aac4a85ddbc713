import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { type BrokerCertificate, generateBrokerCertificate } from './embedded-broker.js';
import { buildJobScript, type JobKind } from './job-scripts.js';
import { idleState } from './model-flavours.js';
import { deepMerge, versionReply } from './simulated-printer.js';

/**
 * A process that holds a slice of a simulated farm for the farm benchmark: each printer its own
 * TLS server (its own port and its own certificate, CN = serial, as a real printer is its own
 * broker), its own report stream and its own jobs. The MQTT side of all of them is one aedes
 * instance per process, and a printer publishes into it directly instead of through a client
 * socket of its own: what the listener sees is the same, and a few hundred printers fit in one
 * process. Run as `node simulator/farm-host.js '<FarmHostSpec json>'` with an IPC channel.
 */
export interface FarmHostSpec {
  /** Index of this host's first printer in the farm (serials and codes are unique farm-wide). */
  first: number;
  count: number;
  /** A job lasts between these two, in ms (1–2.5 min at full scale). */
  jobMinMs: number;
  jobMaxMs: number;
  /** Idle time between two jobs, at most. */
  idleMaxMs: number;
  /** How often a printing printer sends a progress delta (a real one: every 1–3 s). */
  reportEveryMs: number;
  /** How long the printers play jobs once told to go; a job under way then plays to its end. */
  playMs: number;
}

/** One printer as the listener's config needs it. */
export interface HostedPrinterInfo {
  name: string;
  serial: string;
  accessCode: string;
  port: number;
}

/** One job a printer played: what jobs_raw should hold, and when its end went out. */
export interface PlayedJob {
  serial: string;
  kind: JobKind;
  taskId: string;
  expectedStatus: string;
  /** Date.now() when the report that ends the job was handed to the broker. */
  endSentMs: number;
  /** Date.now() when its first report went out. */
  startSentMs: number;
}

/** Messages to the parent. */
export type FarmHostMessage =
  | { ready: HostedPrinterInfo[]; certMs: number }
  | { played: PlayedJob[]; peakRssMb: number; reports: number };

/**
 * A printer's certificate, generated once and kept in the temp folder: signing one takes ~35 ms
 * (pure JS), three minutes for 5,000, which a second run need not pay again.
 */
async function certificateFor(serial: string): Promise<BrokerCertificate> {
  const dir = join(tmpdir(), 'bambuzled-farm-certificates');
  const file = join(dir, `${serial}.json`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as BrokerCertificate;
  } catch {
    const certificate = await generateBrokerCertificate([serial]);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(certificate));
    return certificate;
  }
}

/** The farm's job mix: finishes, with pauses, cancels (both firmware kinds) and failures among them. */
const MIX: JobKind[] = ['finish', 'finish', 'pause', 'cancel', 'finish', 'fail', 'old-cancel', 'finish'];

export function farmSerial(index: number): string {
  return `01P09F${String(index).padStart(9, '0')}`;
}

export function farmCode(index: number): string {
  return `f${String(index).padStart(7, '0')}`;
}

/** A deterministic generator, so that a run's job mix and timing can be played again. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4_294_967_296;
  };
}

class HostedPrinter {
  private readonly state = idleState('P1S');
  private sequence = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Jobs played so far, over every phase: each job's ids are unique. */
  private jobs = 0;
  reports = 0;

  constructor(
    readonly serial: string,
    private readonly index: number,
    private readonly aedes: Aedes,
  ) {}

  listen(): void {
    this.aedes.subscribe(
      `device/${this.serial}/request`,
      (packet, done) => {
        this.onRequest(packet.payload as Buffer);
        done();
      },
      () => {},
    );
  }

  private publish(body: Record<string, unknown>): void {
    this.reports += 1;
    this.aedes.publish(
      {
        cmd: 'publish',
        topic: `device/${this.serial}/report`,
        payload: Buffer.from(JSON.stringify(body)),
        qos: 0,
        retain: false,
        dup: false,
      },
      () => {},
    );
  }

  private report(delta: Record<string, unknown>): void {
    deepMerge(this.state, delta);
    this.sequence += 1;
    this.publish({ print: { ...delta, command: 'push_status', msg: 1, sequence_id: String(this.sequence) } });
  }

  private onRequest(raw: Buffer): void {
    let request: { pushing?: { command?: string }; info?: { command?: string; sequence_id?: string } };
    try {
      request = JSON.parse(raw.toString('utf8'));
    } catch {
      return;
    }
    if (request.pushing?.command === 'pushall') {
      this.sequence += 1;
      this.publish({
        print: { ...this.state, command: 'push_status', msg: 0, sequence_id: String(this.sequence) },
      });
    }
    if (request.info?.command === 'get_version')
      this.publish(versionReply(this.serial, 'P1S', request.info.sequence_id));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.timer = setTimeout(resolve, ms);
    });
  }

  /** Plays jobs until `untilMs`, sending a progress delta every reportEveryMs in between steps. */
  async play(spec: FarmHostSpec, untilMs: number, played: PlayedJob[]): Promise<void> {
    const next = random(this.index * 7919 + 17);
    // Printers do not all start at once: a farm's jobs are spread over time.
    await this.sleep(next() * spec.idleMaxMs);
    while (!this.stopped && Date.now() < untilMs) {
      this.jobs += 1;
      const job = this.jobs;
      const kind = MIX[(this.index + job) % MIX.length]!;
      const lengthMs = spec.jobMinMs + next() * (spec.jobMaxMs - spec.jobMinMs);
      const script = buildJobScript(kind, { model: 'P1S', index: this.index * 1000 + job, stepMs: 0 });
      const stepMs = lengthMs / script.steps.length;
      let startSentMs = 0;
      let endSentMs = 0;
      let running = false;
      for (const step of script.steps) {
        // The progress and temperature deltas a printing printer sends between two state changes.
        for (let waited = 0; waited < stepMs && !this.stopped; waited += spec.reportEveryMs) {
          await this.sleep(Math.min(spec.reportEveryMs, stepMs - waited));
          if (running)
            this.report({
              nozzle_temper: 219 + next(),
              bed_temper: 55 + next() / 2,
              wifi_signal: `-${50 + Math.floor(next() * 17)}dBm`,
            });
        }
        if (this.stopped) return;
        const state = step.delta.gcode_state;
        if (startSentMs === 0) startSentMs = Date.now();
        this.report(step.delta);
        if (state === 'RUNNING') running = true;
        if (endSentMs === 0 && running && (state === 'FINISH' || state === 'FAILED' || state === 'IDLE')) {
          endSentMs = Date.now();
          running = false;
        }
      }
      played.push({
        serial: this.serial,
        kind,
        taskId: script.identity.taskId,
        expectedStatus: script.expectedStatus,
        startSentMs,
        endSentMs,
      });
      await this.sleep(next() * spec.idleMaxMs);
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as FarmHostSpec;
  const send = (message: FarmHostMessage) => process.send?.(message);
  const codes = new Map<string, string>();
  for (let i = spec.first; i < spec.first + spec.count; i++) codes.set(farmCode(i), farmSerial(i));
  const serialOf = new WeakMap<Client, string>();
  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const serial = username === 'bblp' ? codes.get(password?.toString('utf8') ?? '') : undefined;
      if (serial === undefined) {
        const error = new Error('Not authorized') as AuthenticateError;
        error.returnCode = 5;
        done(error, false);
        return;
      }
      serialOf.set(client, serial);
      done(null, true);
    },
    // Like a printer, a client acts only on its own printer's topics.
    authorizeSubscribe: (client, subscription, done) => {
      const serial = client ? serialOf.get(client) : undefined;
      done(
        null,
        serial !== undefined && subscription.topic === `device/${serial}/report` ? subscription : null,
      );
    },
  });

  const certStarted = Date.now();
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const printers: HostedPrinter[] = [];
  const infos: HostedPrinterInfo[] = [];
  for (let i = spec.first; i < spec.first + spec.count; i++) {
    const serial = farmSerial(i);
    const certificate = await certificateFor(serial);
    const server = createServer({ key: certificate.keyPem, cert: certificate.certPem }, (socket) =>
      aedes.handle(socket),
    );
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    server.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    servers.push(server);
    const printer = new HostedPrinter(serial, i, aedes);
    printer.listen();
    printers.push(printer);
    infos.push({ name: `farm-${i}`, serial, accessCode: farmCode(i), port });
  }
  send({ ready: infos, certMs: Date.now() - certStarted });

  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 500);
  process.on('message', (message: { go?: boolean; stop?: boolean }) => {
    if (message.go) {
      const until = Date.now() + spec.playMs;
      const played: PlayedJob[] = [];
      for (const printer of printers) printer.reports = 0;
      void Promise.all(printers.map((printer) => printer.play(spec, until, played))).then(() => {
        send({
          played,
          peakRssMb: Math.round(peakRss / 1048576),
          reports: printers.reduce((sum, printer) => sum + printer.reports, 0),
        });
      });
    }
    if (message.stop) {
      clearInterval(sampler);
      for (const printer of printers) printer.stop();
      for (const socket of sockets) socket.destroy();
      for (const server of servers) server.close();
      aedes.close(() => process.exit(0));
    }
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
