import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListenerConfig, PrinterConfig } from '../ingestion/index.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import type { JobScript } from './job-scripts.js';
import type { ModelFlavour } from './model-flavours.js';
import { type SimulatedFtps, startSimulatedFtps } from './simulated-ftps.js';
import { SIMULATOR_CLIENT_PREFIX, SimulatedPrinter } from './simulated-printer.js';
import type { PlateFilament } from './three-mf.js';

export interface FarmPrinterSpec {
  serial: string;
  /** 8 characters, as the listener's config requires. */
  accessCode: string;
  model?: ModelFlavour;
  name?: string;
}

export interface SimulatedFarmOptions {
  printers: FarmPrinterSpec[];
  /** Idle noise delta period of each printer; 0 (the default) sends only what is asked. */
  deltaIntervalMs?: number;
  /** Give the listener config ca_file (the broker's certificate) instead of trust on first use. */
  withCaFile?: boolean;
  checkIntervalS?: number;
  port?: number;
  /**
   * Give each printer an FTPS server (implicit TLS, the broker's certificate as on a real printer)
   * that holds a real .3mf for every job it plays, and point the config's ftp_port at it.
   */
  withFtps?: boolean;
}

export interface SimulatedFarm {
  broker: EmbeddedBroker;
  printers: SimulatedPrinter[];
  /** Each printer's FTPS server (withFtps), in printer order. */
  ftps: SimulatedFtps[];
  /** A listener config that points every printer at the embedded broker. */
  config: ListenerConfig;
  /**
   * Stops the broker, then starts a new one on the same port with the same certificate; the printers
   * reconnect by themselves. printersFirst: other clients (the listener) are refused until every
   * printer listens for requests again, as with a real printer, which is its own broker (else a
   * pushall sent before the simulated printer is back is lost). whileDown runs between the stop and
   * the start (reports sent then are lost).
   */
  restartBroker(options?: { printersFirst?: boolean; whileDown?: () => Promise<void> }): Promise<void>;
  close(): Promise<void>;
}

/**
 * An embedded broker with several simulated printers online, and the listener config for them:
 * what the listener tests and the listener benchmark run against.
 */
export async function startSimulatedFarm(options: SimulatedFarmOptions): Promise<SimulatedFarm> {
  const codes = Object.fromEntries(options.printers.map((p) => [p.serial, p.accessCode]));
  let broker = await startEmbeddedBroker({ printers: codes, port: options.port ?? 0 });
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-farm-'));
  const caFile = join(dir, 'broker-ca.pem');
  writeFileSync(caFile, broker.caPem);
  const ftps = options.withFtps
    ? await Promise.all(
        options.printers.map((spec) =>
          startSimulatedFtps({
            host: broker.host,
            certificate: broker.certificate,
            accessCode: spec.accessCode,
            root: join(dir, `sdcard-${spec.serial}`),
          }),
        ),
      )
    : [];
  const printers = options.printers.map(
    (spec, i) =>
      new SimulatedPrinter({
        brokerUrl: broker.url,
        serial: spec.serial,
        accessCode: spec.accessCode,
        model: spec.model ?? 'P1S',
        ca: broker.caPem,
        servername: spec.serial,
        deltaIntervalMs: options.deltaIntervalMs ?? 0,
        ...(ftps[i] ? { onJob: storeJobFile(ftps[i]) } : {}),
      }),
  );
  await Promise.all(printers.map((printer) => printer.start()));
  const config: ListenerConfig = {
    printers: options.printers.map((spec): PrinterConfig => {
      const printer: PrinterConfig = {
        name: spec.name ?? `sim-${spec.serial.slice(-4)}`,
        host: broker.host,
        port: broker.port,
        accessCode: spec.accessCode,
        serial: spec.serial,
      };
      const server = ftps[options.printers.indexOf(spec)];
      if (server) printer.ftpPort = server.port;
      if (options.withCaFile) printer.caFile = caFile;
      return printer;
    }),
    checkIntervalS: options.checkIntervalS ?? 60,
  };
  const farm: SimulatedFarm = {
    broker,
    printers,
    ftps,
    config,
    restartBroker: async ({ printersFirst = false, whileDown } = {}) => {
      const { port, certificate } = broker;
      await broker.close();
      await whileDown?.();
      const refuse = printersFirst
        ? (clientId: string) => !clientId.startsWith(SIMULATOR_CLIENT_PREFIX)
        : undefined;
      broker = await startEmbeddedBroker({
        printers: codes,
        port,
        certificate,
        ...(refuse ? { refuse } : {}),
      });
      farm.broker = broker;
      if (!printersFirst) return;
      const restarted = broker;
      await new Promise<void>((resolve) => {
        const poll = () => {
          if (printers.every((printer) => restarted.subscribed(`device/${printer.serial}/request`)))
            resolve();
          else setTimeout(poll, 20);
        };
        poll();
      });
      restarted.setRefused(null);
    },
    close: async () => {
      await Promise.all(printers.map((printer) => printer.stop()));
      await Promise.all(ftps.map((server) => server.close()));
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return farm;
}

/**
 * What a simulated job prints with: always AMS tray 0 (white PLA), every other job also tray 2 (red
 * PLA) for a second colour, with grams that vary from job to job.
 */
export function simulatedFilaments(index: number): PlateFilament[] {
  const grams = 6 + (index % 5) * 3.5;
  const filaments: PlateFilament[] = [
    { slot: 1, type: 'PLA', color: '#FFFFFF', usedG: grams, usedM: grams / 2.98 },
  ];
  if (index % 2 === 0)
    filaments.push({ slot: 2, type: 'PLA', color: '#F72323', usedG: grams / 3, usedM: grams / 8.94 });
  return filaments;
}

/** Before a job's first report: its .3mf on the card, and the project_file echo with its slot mapping. */
export function storeJobFile(server: SimulatedFtps) {
  let index = 0;
  return async (script: JobScript, printer: SimulatedPrinter) => {
    index += 1;
    const filaments = simulatedFilaments(index);
    const file = server.storeJobFile(script, filaments);
    await printer.echo({
      command: 'project_file',
      param: 'Metadata/plate_1.gcode',
      file: file.split('/').pop(),
      ams_mapping: filaments.length === 2 ? [0, 2] : [0],
      use_ams: true,
      sequence_id: '0',
    });
  };
}
