import { randomBytes } from 'node:crypto';
import type { ListenerConfig } from '../ingestion/index.js';
import type { Logger } from '../lib/index.js';
import type { JobKind } from './job-scripts.js';
import type { ModelFlavour } from './model-flavours.js';
import { startSimulatedFarm } from './simulated-farm.js';

export interface DemoOptions {
  logger: Logger;
  /** Real milliseconds between two scripted reports: a job is about ten steps. */
  stepMs?: number;
  /** Pause between two jobs of one printer. */
  gapMs?: number;
}

export interface Demo {
  /** A listener config pointing at the demo printers (their access codes are random, per run). */
  config: ListenerConfig;
  close(): Promise<void>;
}

/** What each demo printer prints, over and over: mostly finished jobs, with the other endings between. */
const PLAYLISTS: { model: ModelFlavour; name: string; jobs: JobKind[] }[] = [
  { model: 'P1S', name: 'demo-p1s', jobs: ['finish', 'cancel', 'finish', 'pause', 'quick-finish'] },
  { model: 'X1C', name: 'demo-x1c', jobs: ['finish', 'finish', 'fail', 'finish', 'old-cancel'] },
];

/**
 * The demo that `bambuzled start` runs when no printer is configured: an embedded MQTT broker over
 * TLS on loopback and two simulated printers (each with an FTPS server holding its jobs' .3mf files)
 * that keep printing short jobs, so that a new user sees
 * the whole pipeline work within a minute.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const { logger, stepMs = 800, gapMs = 3_000 } = options;
  const farm = await startSimulatedFarm({
    printers: PLAYLISTS.map((p, i) => ({
      serial: `DEMO${p.model}000${i + 1}`,
      accessCode: randomBytes(4).toString('hex'),
      model: p.model,
      name: p.name,
    })),
    withCaFile: true,
    withFtps: true,
    deltaIntervalMs: 2_000,
    checkIntervalS: 5,
  });
  let stopped = false;
  const loops = farm.printers.map(async (printer, i) => {
    const playlist = PLAYLISTS[i]!;
    // Stagger the printers so that their jobs interleave rather than end together.
    await delay(1_500 + i * 2_500);
    for (let n = 0; !stopped; n += 1) {
      const kind = playlist.jobs[n % playlist.jobs.length]!;
      try {
        await printer.play(kind, { stepMs, lan: n % 2 === 1 });
      } catch (error) {
        if (!stopped) logger.warn(`demo printer ${playlist.name}: ${String(error)}`);
      }
      await delay(gapMs);
    }
  });
  logger.info(
    `demo: an embedded broker on ${farm.broker.host}:${farm.broker.port} (TLS) and ${farm.printers.length} simulated printers (${PLAYLISTS.map((p) => p.name).join(', ')}).`,
  );
  return {
    config: farm.config,
    close: async () => {
      stopped = true;
      await farm.close();
      // A timer that holds the process: the loops may be waiting on unref'd gaps, and a close that
      // only waited on those would let Node exit before the caller's own shutdown has run.
      await Promise.race([Promise.all(loops), new Promise((resolve) => setTimeout(resolve, 2_000))]);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
