import type { Logger } from '../lib/index.js';
import type { SensorStore, TickDecision, TickRecord } from './sensor-store.js';

export interface TickRecorderOptions {
  store: SensorStore;
  now: () => Date;
  /** Ticks kept per sensor. */
  keepTicks?: number | undefined;
  logger?: Logger | undefined;
  /** Called after every evaluation, e.g. to alert on FAILED ticks. */
  onTick?: ((tick: TickRecord) => void) | undefined;
  /** Called last, e.g. to retry after a busy database (`busy`: the engine said so). */
  afterRecord(tick: TickRecord, busy: boolean): void;
}

/** What an evaluation decided, before it is recorded. */
export interface TickOutcome {
  wokenBy: string;
  at: Date;
  cursorBefore: number;
  cursorAfter: number;
  decision: TickDecision;
  reason: string;
  runId: number | null;
  /** The run failed because the database was busy (the engine's error kind), worth a quick retry. */
  busy?: boolean;
}

/** Records one tick in the sensor's tick log, prunes the log, and tells the logger and listeners. */
export class TickRecorder {
  constructor(private readonly options: TickRecorderOptions) {}

  async record(outcome: TickOutcome): Promise<TickRecord> {
    const { store } = this.options;
    const { wokenBy, at, cursorBefore, cursorAfter, decision, reason, runId } = outcome;
    const tick = await store.addTick({
      sensor: store.sensor,
      at: at.toISOString(),
      wokenBy,
      cursorBefore,
      cursorAfter,
      decision,
      reason,
      runId,
      durationMs: Math.max(0, this.options.now().getTime() - at.getTime()),
    });
    await store.pruneTicks(this.options.keepTicks ?? 5000);
    const line = `tick ${tick.tickId} (${wokenBy}): ${decision}, cursor ${cursorBefore} -> ${cursorAfter}: ${reason}`;
    if (decision === 'FAILED') this.options.logger?.error(line);
    else if (decision === 'REQUESTED') this.options.logger?.info(line);
    this.options.onTick?.(tick);
    this.options.afterRecord(tick, outcome.busy === true);
    return tick;
  }
}
