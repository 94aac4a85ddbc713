/**
 * The messages between the listener's thread and the raw writer's thread (threaded-raw-store.ts and
 * raw-writer-thread.ts): one request per RawStore call, one reply each, in order.
 */
import type { RawStore, WriteRefusal } from './raw-store.js';

/** The RawStore calls the thread answers, with their argument. */
export type RawCall = {
  [K in 'write' | 'openJobs' | 'keyTaken' | 'recordFilament' | 'jobHints' | 'fileFetched']: {
    op: K;
    arg: Parameters<RawStore[K]>[0];
  };
}['write' | 'openJobs' | 'keyTaken' | 'recordFilament' | 'jobHints' | 'fileFetched'];

export type RawRequest = RawCall & { id: number };

export type RawReply =
  | { id: number; ok: true; value: unknown }
  /** refusal: the database's (busy, full, read-only…); null: a bug of ours, with its message. */
  | { id: number; ok: false; refusal: WriteRefusal | null; message: string };

/** What the thread is opened with (workerData). */
export interface RawThreadSettings {
  path: string;
  /** How long a write waits for another connection's write lock, in the thread (the listener never does). */
  busyTimeoutMs: number;
}

/** The thread's first message: ready, or why the database could not be opened. */
export type RawThreadStart = { ready: true } | { ready: false; message: string };

/** The calls that write: the thread runs a batch of them in one transaction. */
export const WRITING_OPS: ReadonlySet<RawCall['op']> = new Set(['write', 'recordFilament']);
