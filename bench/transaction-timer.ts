/**
 * How long a run holds the write lock at a time: an executor that passes everything through and times
 * each outermost transaction from the call to its commit or rollback. On SQLite a transaction begins
 * IMMEDIATE, so that span is the time another writer (the listener) may wait; the figure is an upper
 * bound, since it also counts the messages to the connection's process.
 */
import { performance } from 'node:perf_hooks';
import type { AsyncExecutor, Statements } from '../adapter/index.js';

/** One transaction: when it began (epoch ms, to match an action's startedAt/endedAt) and how long it took. */
export interface TimedTransaction {
  startedAt: number;
  ms: number;
}

export interface TransactionTimer {
  executor: AsyncExecutor;
  /** The transactions since the last call, oldest first; clears the list. */
  take(): TimedTransaction[];
}

export function timeTransactions(inner: AsyncExecutor): TransactionTimer {
  let taken: TimedTransaction[] = [];
  const executor: AsyncExecutor = {
    engine: inner.engine,
    location: inner.location,
    execute: (sql, params) => inner.execute(sql, params),
    query: (sql, params) => inner.query(sql, params),
    queryColumns: (sql) => inner.queryColumns(sql),
    describe: (name) => inner.describe(name),
    batch: (statements, options) => inner.batch(statements, options),
    rolledBack: (work) => inner.rolledBack(work),
    cancel: () => inner.cancel(),
    close: () => inner.close(),
    async transaction<T>(work: (tx: Statements) => Promise<T>): Promise<T> {
      const startedAt = Date.now();
      const t0 = performance.now();
      try {
        return await inner.transaction(work);
      } finally {
        taken.push({ startedAt, ms: performance.now() - t0 });
      }
    },
  };
  return {
    executor,
    take() {
      const out = taken;
      taken = [];
      return out;
    },
  };
}
