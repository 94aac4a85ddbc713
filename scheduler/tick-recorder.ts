import type { Logger } from '../lib/logger.js';
import type { SensorStore, TickDecision, TickRecord } from './sensor-store.js';

export interface TickRecorderOptions {
  store: SensorStore;
  now: () => Date;
  /** Ticks kept per sensor. */
  keepTicks?: number | undefined;
  logger?: Logger | undefined;
  /** Called after every evaluation, e.g. to alert on FAILED ticks. */
  onTick?: ((tick: TickRecord) => void) | undefined;
  /** Called last, e.g. to retry after a busy database. */
  afterRecord(tick: TickRecord): void;
}

/** Records one tick in the sensor's tick log, prunes the log, and tells the logger and listeners. */
export class TickRecorder {
  constructor(private readonly options: TickRecorderOptions) {}

  record(
    wokenBy: string,
    at: Date,
    cursorBefore: number,
    cursorAfter: number,
    decision: TickDecision,
    reason: string,
    runId: number | null,
  ): TickRecord {
    const { store } = this.options;
    const tick = store.addTick({
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
    store.pruneTicks(this.options.keepTicks ?? 5000);
    const line = `tick ${tick.tickId} (${wokenBy}): ${decision}, cursor ${cursorBefore} -> ${cursorAfter}: ${reason}`;
    if (decision === 'FAILED') this.options.logger?.error(line);
    else if (decision === 'REQUESTED') this.options.logger?.info(line);
    this.options.onTick?.(tick);
    this.options.afterRecord(tick);
    return tick;
  }
}
