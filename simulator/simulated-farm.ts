import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ListenerConfig, PrinterConfig } from '../ingestion/config.js';
import { type EmbeddedBroker, startEmbeddedBroker } from './embedded-broker.js';
import type { ModelFlavour } from './model-flavours.js';
import { SIMULATOR_CLIENT_PREFIX, SimulatedPrinter } from './simulated-printer.js';

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
}

export interface SimulatedFarm {
  broker: EmbeddedBroker;
  printers: SimulatedPrinter[];
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
  const printers = options.printers.map(
    (spec) =>
      new SimulatedPrinter({
        brokerUrl: broker.url,
        serial: spec.serial,
        accessCode: spec.accessCode,
        model: spec.model ?? 'P1S',
        ca: broker.caPem,
        servername: spec.serial,
        deltaIntervalMs: options.deltaIntervalMs ?? 0,
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
      if (options.withCaFile) printer.caFile = caFile;
      return printer;
    }),
    checkIntervalS: options.checkIntervalS ?? 60,
  };
  const farm: SimulatedFarm = {
    broker,
    printers,
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
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return farm;
}
