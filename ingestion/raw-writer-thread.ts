/**
 * The raw writer's thread (a worker_threads entry, started by threaded-raw-store.ts): the listener's
 * SQLite writes run here, so that waiting for a run's write lock, a WAL checkpoint or an fsync never
 * holds up the listener's event loop. Requests that queued up while a write waited are taken all at
 * once and written in one transaction (in slices, so that a farm's backlog does not hold the lock
 * for long): a farm's reports cost one commit per slice, not one per report.
 */
import { type MessagePort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { openDatabase, type SqliteDatabase } from '../lib/index.js';
import {
  type RawReply,
  type RawRequest,
  type RawThreadSettings,
  type RawThreadStart,
  WRITING_OPS,
} from './raw-thread-protocol.js';
import { RawWriter } from './raw-writer.js';

/** Requests per transaction: ~50 µs a report, so a slice holds the write lock a few ms at most. */
const SLICE = 64;
/**
 * How often a write that found the lock taken tries again. SQLite's own busy handler sleeps up to
 * 100 ms between tries, so a run that begins its next action's transaction right after the last one
 * commits keeps the lock for its whole run; trying every half millisecond takes the lock in the gap
 * between two actions (a try that fails costs microseconds, and this thread has nothing else to do).
 */
const LOCK_POLL_MS = 0.5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const { path, busyTimeoutMs, port } = workerData as RawThreadSettings & { port: MessagePort };

function start(): void {
  let db: SqliteDatabase;
  let writer: RawWriter;
  try {
    // The thread waits for the lock itself (takeLock), so SQLite's busy handler never sleeps.
    db = openDatabase(path, { busyTimeoutMs: 0 });
    writer = new RawWriter(db);
  } catch (error) {
    port.postMessage({
      ready: false,
      message: error instanceof Error ? error.message : String(error),
    } satisfies RawThreadStart);
    // Not closed here: the message goes out, and the thread ends with nothing left to do.
    return;
  }
  const answer = (request: RawRequest): RawReply => {
    try {
      return { id: request.id, ok: true, value: call(writer, request) };
    } catch (error) {
      return failure(writer, request.id, error);
    }
  };
  // One transaction for a slice of requests; each write inside it is its own savepoint (better-sqlite3
  // nests transactions), so a report that fails leaves the others written.
  const inOneTransaction = db.transaction((slice: RawRequest[]) => slice.map(answer));
  const handle = (batch: RawRequest[]) => {
    const replies: RawReply[] = [];
    for (let from = 0; from < batch.length; from += SLICE) {
      const slice = batch.slice(from, from + SLICE);
      if (!slice.some((request) => WRITING_OPS.has(request.op))) {
        replies.push(...slice.map(answer));
        continue;
      }
      try {
        replies.push(...withLock(() => inOneTransaction.immediate(slice)));
      } catch (error) {
        // BEGIN waited past the busy timeout, or COMMIT failed (a full disk): nothing of the slice is
        // written, and every request in it is refused (the listener keeps the reports and retries).
        replies.push(...slice.map((request) => failure(writer, request.id, error)));
      }
    }
    port.postMessage(replies);
  };
  // Everything that queued up is taken at once, up to a close (which comes after what was asked before it).
  port.on('message', (first: RawRequest | { close: true }) => {
    const batch: RawRequest[] = [];
    let closing = false;
    for (
      let message: RawRequest | { close: true } | undefined = first;
      message;
      message = receiveMessageOnPort(port)?.message as RawRequest | { close: true } | undefined
    ) {
      if ('close' in message) {
        closing = true;
        break;
      }
      batch.push(message);
    }
    if (batch.length > 0) handle(batch);
    if (closing) {
      db.close();
      port.close();
    }
  });
  port.postMessage({ ready: true } satisfies RawThreadStart);
}

/**
 * Runs `transaction` (one that begins IMMEDIATE: a refusal comes at BEGIN, before anything ran),
 * trying again every LOCK_POLL_MS while another connection holds the write lock, up to the busy
 * timeout; then the refusal is the caller's (the listener keeps the reports and retries later).
 */
function withLock<T>(transaction: () => T): T {
  const until = performance.now() + busyTimeoutMs;
  for (;;) {
    try {
      return transaction();
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? '');
      if (!code.startsWith('SQLITE_BUSY') || performance.now() >= until) throw error;
      Atomics.wait(sleeper, 0, 0, LOCK_POLL_MS);
    }
  }
}

function call(writer: RawWriter, request: RawRequest): unknown {
  switch (request.op) {
    case 'write':
      return writer.write(request.arg);
    case 'recordFilament':
      return writer.recordFilament(request.arg);
    case 'openJobs':
      return writer.openJobs(request.arg);
    case 'keyTaken':
      return writer.keyTaken(request.arg);
    case 'jobHints':
      return writer.jobHints(request.arg);
    case 'fileFetched':
      return writer.fileFetched(request.arg);
  }
}

function failure(writer: RawWriter, id: number, error: unknown): RawReply {
  return {
    id,
    ok: false,
    refusal: writer.refusal(error),
    message: error instanceof Error ? error.message : String(error),
  };
}

start();
