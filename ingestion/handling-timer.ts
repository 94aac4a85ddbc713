/** How long the listener took over each report (parse, state machine, write), for the farm figures. */
export interface HandlingFigures {
  reports: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The slowest report of each second, at its 95th percentile over the seconds seen. */
  worstPerSecondP95Ms: number;
}

/** Bucket i holds durations up to 2^(i/4) µs: about 19 % wide, from 1 µs to over a minute. */
const BUCKETS = 4 * 27;
const SECONDS_KEPT = 3_600;

/**
 * Report handling times in log-scale buckets (constant memory, O(1) per report) and the slowest
 * report of each wall-clock second of the last hour. Durations come from performance.now(): they
 * are figures, never inputs to the job logic (which takes the injected clock).
 */
export class HandlingTimer {
  private readonly counts = new Uint32Array(BUCKETS);
  private readonly worstBySecond = new Float64Array(SECONDS_KEPT);
  private readonly secondOf = new Float64Array(SECONDS_KEPT).fill(-1);
  private reports = 0;
  private maxMs = 0;

  record(durationMs: number, atMs: number = Date.now()): void {
    this.reports += 1;
    if (durationMs > this.maxMs) this.maxMs = durationMs;
    const micros = Math.max(1, durationMs * 1000);
    const bucket = Math.min(BUCKETS - 1, Math.ceil(Math.log2(micros) * 4));
    this.counts[bucket]! += 1;
    const second = Math.floor(atMs / 1000);
    const slot = second % SECONDS_KEPT;
    if (this.secondOf[slot] !== second) {
      this.secondOf[slot] = second;
      this.worstBySecond[slot] = 0;
    }
    if (durationMs > this.worstBySecond[slot]!) this.worstBySecond[slot] = durationMs;
  }

  /** Starts counting again (a benchmark's next phase). */
  reset(): void {
    this.counts.fill(0);
    this.secondOf.fill(-1);
    this.reports = 0;
    this.maxMs = 0;
  }

  figures(): HandlingFigures {
    const worst: number[] = [];
    for (let slot = 0; slot < SECONDS_KEPT; slot++) {
      if (this.secondOf[slot]! >= 0) worst.push(this.worstBySecond[slot]!);
    }
    worst.sort((a, b) => a - b);
    return {
      reports: this.reports,
      p50Ms: this.quantile(0.5),
      p95Ms: this.quantile(0.95),
      p99Ms: this.quantile(0.99),
      maxMs: this.maxMs,
      worstPerSecondP95Ms:
        worst.length === 0 ? 0 : worst[Math.min(worst.length - 1, Math.floor(worst.length * 0.95))]!,
    };
  }

  /** The upper bound of the bucket that holds the q-th report. */
  private quantile(q: number): number {
    if (this.reports === 0) return 0;
    const rank = Math.ceil(q * this.reports);
    let seen = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(this.maxMs, 2 ** (bucket / 4) / 1000);
    }
    return this.maxMs;
  }
}
