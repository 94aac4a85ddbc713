import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import type { ListenerConfig } from '../ingestion/index.js';
import { buildJobScript, JOB_KINDS, type JobKind } from './job-scripts.js';
import { type SimulatedFarm, startSimulatedFarm } from './simulated-farm.js';

/**
 * Load for the listener benchmark: N simulated printers on an embedded broker, each sending a
 * stream of scripted jobs with noise deltas between the steps, as fast as the sockets take them.
 * Run as a child process (`node simulator/load-generator.js '<spec json>'`) so that the listener
 * process measures only itself; it speaks JSON lines on stdout and takes `go` / `stop` on stdin.
 */
export interface LoadSpec {
  printers: number;
  jobsPerPrinter: number;
  /** Reports between two scripted steps (temperatures, wifi). */
  noisePerStep: number;
  kinds?: JobKind[];
}

export interface PrinterLoad {
  serial: string;
  accessCode: string;
  payloads: string[];
  /** The transitions the scripted jobs should produce (job_events_raw rows). */
  expectedEvents: number;
}

/** The report stream of every printer of the spec. Deterministic apart from cloud ids. */
export function buildLoad(spec: LoadSpec): PrinterLoad[] {
  const kinds = spec.kinds ?? (['finish', 'cancel', 'pause', 'fail'] satisfies JobKind[]);
  return Array.from({ length: spec.printers }, (_, p) => {
    const payloads: string[] = [];
    let expectedEvents = 0;
    let sequence = 0;
    const push = (delta: Record<string, unknown>) => {
      sequence += 1;
      payloads.push(
        JSON.stringify({
          print: { ...delta, command: 'push_status', msg: 1, sequence_id: String(sequence) },
        }),
      );
    };
    for (let job = 0; job < spec.jobsPerPrinter; job++) {
      const kind = kinds[(job + p) % kinds.length]!;
      const script = buildJobScript(kind, { model: 'P1S', stepMs: 0, index: p * 1000 + job });
      expectedEvents += script.expectedEvents.length;
      for (const step of script.steps) {
        push(step.delta);
        for (let n = 0; n < spec.noisePerStep; n++) {
          push({
            nozzle_temper: 200 + (n % 20) / 4,
            bed_temper: 55 + (n % 8) / 8,
            wifi_signal: `-${50 + (n % 17)}dBm`,
          });
        }
      }
    }
    return {
      serial: `01P00A0000${String(10000 + p)}`,
      accessCode: `b3nch${String(100 + p)}`,
      payloads,
      expectedEvents,
    };
  });
}

/** Starts the broker and printers for `loads`. */
export async function startLoadFarm(loads: PrinterLoad[]): Promise<SimulatedFarm> {
  return startSimulatedFarm({
    printers: loads.map((load) => ({ serial: load.serial, accessCode: load.accessCode })),
    checkIntervalS: 60,
  });
}

/** Publishes every printer's payloads, waiting for the socket every few messages. */
export async function publishLoad(farm: SimulatedFarm, loads: PrinterLoad[]): Promise<void> {
  await Promise.all(
    farm.printers.map(async (printer, p) => {
      const payloads = loads[p]!.payloads;
      for (let i = 0; i < payloads.length; i++) {
        if (i % 32 === 31) await printer.publishRaw(payloads[i]!);
        else void printer.publishRaw(payloads[i]!);
      }
    }),
  );
}

/**
 * Publishes every printer's payloads one every `paceMs`, each stamped with the time it was sent
 * (`print.bench_sent_ms`, this machine's clock), so that a listener can measure report latency.
 */
export async function publishPaced(farm: SimulatedFarm, loads: PrinterLoad[], paceMs: number): Promise<void> {
  await Promise.all(
    farm.printers.map(async (printer, p) => {
      for (const payload of loads[p]!.payloads) {
        const report = JSON.parse(payload) as { print: Record<string, unknown> };
        report.print.bench_sent_ms = Date.now();
        await printer.publishRaw(JSON.stringify(report));
        await new Promise((resolve) => setTimeout(resolve, paceMs));
      }
    }),
  );
}

/** The message the child prints once its printers are online. */
export interface LoadReady {
  ready: { config: ListenerConfig; totalReports: number; expectedEvents: number; kinds: readonly string[] };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  const loads = buildLoad(spec);
  const farm = await startLoadFarm(loads);
  const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);
  const ready: LoadReady = {
    ready: {
      config: farm.config,
      totalReports: loads.reduce((sum, load) => sum + load.payloads.length, 0),
      expectedEvents: loads.reduce((sum, load) => sum + load.expectedEvents, 0),
      kinds: spec.kinds ?? JOB_KINDS,
    },
  };
  send(ready);
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'go' || line.startsWith('paced ')) {
      if (line === 'go') await publishLoad(farm, loads);
      else await publishPaced(farm, loads, Number(line.slice('paced '.length)));
      send({ published: true, peakRssMb: Math.round(peakRss / 1048576) });
    } else if (line === 'stop') {
      break;
    }
  }
  clearInterval(sampler);
  await farm.close();
  process.exit(0);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
