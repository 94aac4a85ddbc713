import { EventEmitter } from 'node:events';
import { type IClientOptions, type MqttClient, connect as mqttConnect } from 'mqtt';
import type { Logger } from '../lib/index.js';
import { buildJobScript, type JobKind, type JobScript, type JobScriptOptions } from './job-scripts.js';
import { FLAVOUR_TRAITS, idleState, type ModelFlavour } from './model-flavours.js';

export interface SimulatedPrinterOptions {
  /** `mqtts://host:port` of the broker the printer publishes on. */
  brokerUrl: string;
  serial: string;
  /** The LAN access code; the printer logs in as `bblp` with it unless username/password say otherwise. */
  accessCode: string;
  username?: string;
  password?: string;
  model?: ModelFlavour;
  /** PEM of the CA that signed the broker's certificate. */
  ca?: string;
  /** Accept any broker certificate. */
  insecure?: boolean;
  /** TLS server name to check the broker certificate against (the host by default). */
  servername?: string;
  /** Send an idle "noise" delta (wifi_signal, temperatures) every this many ms; 0 turns it off. */
  deltaIntervalMs?: number;
  logger?: Logger;
  connect?: (url: string, options: IClientOptions) => MqttClient;
  /** Called as a job begins, before its first report (the simulated FTPS server stores its .3mf). */
  onJob?: (script: JobScript, printer: SimulatedPrinter) => Promise<void> | void;
}

interface SimulatedPrinterEvents {
  request: [payload: Record<string, unknown>];
  report: [payload: Record<string, unknown>];
}

/**
 * A printer that speaks the Bambu LAN protocol to a broker: it answers `pushall` with a full
 * report (msg 0) and `get_version` with its modules, sends deltas (msg 1) as its state changes,
 * and plays scripted jobs. The printer keeps the merged state, as the real firmware does.
 */
export class SimulatedPrinter extends EventEmitter<SimulatedPrinterEvents> {
  readonly serial: string;
  readonly model: ModelFlavour;
  /** Counters a test or a benchmark can read. */
  readonly counters = { reports: 0, pushalls: 0, versions: 0, requests: 0 };
  private readonly options: SimulatedPrinterOptions;
  private readonly current: Record<string, unknown>;
  private client: MqttClient | undefined;
  private sequence = 1000;
  private jobIndex = 0;
  private noise: NodeJS.Timeout | undefined;
  private readonly sleeps = new Set<NodeJS.Timeout>();

  constructor(options: SimulatedPrinterOptions) {
    super();
    this.options = options;
    this.serial = options.serial;
    this.model = options.model ?? 'P1S';
    this.current = idleState(this.model);
  }

  get reportTopic(): string {
    return `device/${this.serial}/report`;
  }

  /** Connects and subscribes to the request topic; resolves once the printer is listening. */
  async start(): Promise<void> {
    const connect = this.options.connect ?? mqttConnect;
    const client = connect(this.options.brokerUrl, {
      clientId: `${SIMULATOR_CLIENT_PREFIX}${this.serial}_${process.pid}_${Math.random().toString(16).slice(2, 8)}`,
      username: this.options.username ?? 'bblp',
      password: this.options.password ?? this.options.accessCode,
      clean: true,
      reconnectPeriod: 300,
      // A real printer sends a report to whoever is subscribed now: what happens while nobody
      // listens is lost, never replayed after a reconnect.
      queueQoSZero: false,
      connectTimeout: 5_000,
      rejectUnauthorized: !this.options.insecure,
      ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
      ...(this.options.servername !== undefined ? { servername: this.options.servername } : {}),
    });
    this.client = client;
    client.on('message', (_topic, payload) => this.onRequest(payload));
    client.on('error', (error) => this.options.logger?.warn(`simulated ${this.serial}: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        client.end(true);
        reject(error);
      };
      client.once('error', onError);
      client.once('connect', () => {
        client.off('error', onError);
        resolve();
      });
    });
    // Subscribe on every (re)connect: the session is clean, like a printer after a broker restart.
    const subscribe = () => client.subscribe(`device/${this.serial}/request`);
    client.on('connect', subscribe);
    await client.subscribeAsync(`device/${this.serial}/request`);
    const every = this.options.deltaIntervalMs ?? 0;
    if (every > 0) {
      this.noise = setInterval(() => {
        void this.report({ wifi_signal: `-${50 + Math.floor(Math.random() * 20)}dBm` });
      }, every);
    }
  }

  /** Whether the printer is connected to its broker now. */
  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** The printer's merged state (a copy). */
  state(): Record<string, unknown> {
    return structuredClone(this.current);
  }

  /** Merges `delta` into the state and sends it (the whole state on models that always send it). */
  async report(delta: Record<string, unknown>): Promise<void> {
    deepMerge(this.current, delta);
    if (FLAVOUR_TRAITS[this.model].fullReports) return this.send({ ...this.current }, 0);
    return this.send({ ...delta }, 1);
  }

  /**
   * Changes the state as `delta` would, but the report never reaches the listener (lost in transit,
   * as QoS 0 reports are from a busy printer or during a reconnect): a later pushall shows it.
   */
  changeUnseen(delta: Record<string, unknown>): void {
    deepMerge(this.current, delta);
  }

  /** Sends the full state, as the reply to `pushall`. */
  async reportAll(): Promise<void> {
    return this.send({ ...this.current }, 0);
  }

  /** Publishes bytes as they are on the report topic (malformed input for tests). */
  async publishRaw(payload: string | Buffer): Promise<void> {
    await this.requireClient().publishAsync(this.reportTopic, payload);
  }

  /**
   * Echoes a command on the report topic as the firmware does (project_file with its ams_mapping).
   * Like a report, it is lost while the broker is away, and never waits for a stopped client.
   */
  async echo(print: Record<string, unknown>): Promise<void> {
    const client = this.client;
    if (!client?.connected) return;
    await client.publishAsync(this.reportTopic, JSON.stringify({ print })).catch((error: Error) => {
      if (client.connected) throw error;
    });
  }

  /** Plays one scripted job to its end; resolves with the script (its expected transitions). */
  async play(kind: JobKind | JobScript, options: Partial<JobScriptOptions> = {}): Promise<JobScript> {
    this.jobIndex += 1;
    const script =
      typeof kind === 'string'
        ? buildJobScript(kind, { model: this.model, index: this.jobIndex, ...options })
        : kind;
    await this.options.onJob?.(script, this);
    for (const step of script.steps) {
      if (step.afterMs > 0) await this.sleep(step.afterMs);
      await this.report(step.delta);
    }
    return script;
  }

  async stop(): Promise<void> {
    if (this.noise) clearInterval(this.noise);
    for (const timer of this.sleeps) clearTimeout(timer);
    this.sleeps.clear();
    const client = this.client;
    this.client = undefined;
    if (client) await client.endAsync(true);
  }

  private async send(body: Record<string, unknown>, msg: 0 | 1): Promise<void> {
    this.sequence += 1;
    const print: Record<string, unknown> = {
      ...body,
      command: 'push_status',
      msg,
      sequence_id: String(this.sequence),
    };
    if (FLAVOUR_TRAITS[this.model].newerFirmware) print.t_utc = Date.now();
    const payload = { print };
    this.counters.reports += 1;
    this.emit('report', payload);
    const client = this.client;
    // While the broker is away the report is lost, as a real printer's is for a listener not connected.
    if (!client?.connected) return;
    await client.publishAsync(this.reportTopic, JSON.stringify(payload)).catch((error: Error) => {
      if (client.connected) throw error;
    });
  }

  private onRequest(raw: Buffer): void {
    this.counters.requests += 1;
    let request: Record<string, unknown>;
    try {
      request = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      return;
    }
    this.emit('request', request);
    const pushing = request.pushing as { command?: string } | undefined;
    const info = request.info as { command?: string; sequence_id?: string } | undefined;
    if (pushing?.command === 'pushall') {
      this.counters.pushalls += 1;
      void this.reportAll().catch(() => {});
    }
    if (info?.command === 'get_version') {
      this.counters.versions += 1;
      void this.requireClient()
        .publishAsync(
          this.reportTopic,
          JSON.stringify(versionReply(this.serial, this.model, info.sequence_id)),
        )
        .catch(() => {});
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeps.delete(timer);
        resolve();
      }, ms);
      this.sleeps.add(timer);
    });
  }

  private requireClient(): MqttClient {
    if (!this.client) throw new Error(`Simulated printer ${this.serial} is not started; call start() first.`);
    return this.client;
  }
}

/** How every simulated printer's MQTT client id begins (brokers in tests tell printers apart by it). */
export const SIMULATOR_CLIENT_PREFIX = 'sim_';

/** The `get_version` reply, shaped like test/fixtures/bambu/*_get_version_response.json. */
export function versionReply(serial: string, model: ModelFlavour, sequenceId = '0'): Record<string, unknown> {
  return {
    info: {
      command: 'get_version',
      sequence_id: sequenceId,
      module: [
        { name: 'ota', project_name: model, sw_ver: '01.08.00.00', hw_ver: 'OTA', sn: serial },
        { name: 'mc', project_name: model, sw_ver: '00.00.30.75', hw_ver: 'MC07', sn: serial },
      ],
      result: 'success',
      reason: '',
    },
  };
}

/** Deep-merges `delta` into `target` the way a report consumer must: objects merge, the rest replaces. */
export function deepMerge(target: Record<string, unknown>, delta: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(delta)) {
    const existing = target[key];
    if (isPlainObject(value) && isPlainObject(existing)) deepMerge(existing, value);
    else target[key] = structuredClone(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
