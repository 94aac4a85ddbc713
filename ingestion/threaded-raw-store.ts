/**
 * The raw layer on SQLite, written from a thread of its own (raw-writer-thread.ts) — what `listen`
 * and `start` use. The same RawWriter and statements as the synchronous path, but the listener's
 * event loop never runs a statement: a run that holds the write lock makes the thread wait (up to
 * its busy timeout), not the reports of 5,000 printers. Every call answers later, in order; a
 * refusal (busy past the timeout, a full disk, a read-only file) is data the tracker retries.
 */
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import { builtModule } from '../lib/index.js';
import type { JobRecord } from './job-record.js';
import type { Awaitable, RawStore, WriteRefusal } from './raw-store.js';
import type {
  RawCall,
  RawReply,
  RawRequest,
  RawThreadSettings,
  RawThreadStart,
} from './raw-thread-protocol.js';
import type { FilamentRecord, JobHints, ReportWrite, WrittenTransition } from './raw-write-types.js';

/**
 * How long the thread waits for another connection's write lock before refusing: a sensor run's
 * action passes unnoticed, a long rebuild is a refusal the tracker retries (and logs once).
 */
export const THREAD_BUSY_TIMEOUT_MS = 10_000;

/** The database refused a call the thread made: what the tracker's refusal() reads. */
class RawThreadRefusal extends Error {
  constructor(readonly refusal: WriteRefusal) {
    super(refusal.message);
    this.name = 'RawThreadRefusal';
  }
}

/** Raised by ThreadedRawStore.open when the thread cannot open the database (the message says why). */
export class RawThreadOpenError extends Error {
  override name = 'RawThreadOpenError';
}

interface Waiting {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

export class ThreadedRawStore implements RawStore {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private stopped: string | null = null;
  private closing: Promise<void> | undefined;

  private constructor(
    readonly location: string,
    private readonly worker: Worker,
    private readonly port: MessagePort,
  ) {
    port.on('message', (message: RawReply[] | { closed: true }) => {
      if (!Array.isArray(message)) return;
      for (const reply of message) this.settle(reply);
    });
    // A bug in the thread (an exception) or its end: every call waiting is refused, none hangs.
    worker.on('error', (error) => this.stop(`the raw writer's thread failed (${error.message})`));
    worker.on('exit', () => this.stop("the raw writer's thread stopped"));
  }

  /** Starts the thread on the SQLite file `path` (migrated by the caller or here) and waits until it is ready. */
  static async open(path: string, options: { busyTimeoutMs?: number } = {}): Promise<ThreadedRawStore> {
    const { port1, port2 } = new MessageChannel();
    const settings: RawThreadSettings = {
      path,
      busyTimeoutMs: options.busyTimeoutMs ?? THREAD_BUSY_TIMEOUT_MS,
    };
    const script = builtModule(import.meta.url, 'raw-writer-thread.js', "The raw writer's thread");
    const worker = new Worker(script, { workerData: { ...settings, port: port2 }, transferList: [port2] });
    const start = await new Promise<RawThreadStart>((resolve, reject) => {
      port1.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) =>
        reject(new RawThreadOpenError(`the raw writer's thread exited (${code})`)),
      );
    });
    if (!start.ready) {
      await worker.terminate();
      throw new RawThreadOpenError(start.message);
    }
    return new ThreadedRawStore(path, worker, port1);
  }

  write(report: ReportWrite): Awaitable<WrittenTransition[]> {
    // Most reports write nothing (progress is written once per check interval): those never cross
    // to the thread, and the tracker goes on at once, as with the synchronous writer.
    if (report.writes.length === 0 && !report.touchPrinter) return [];
    return this.call({ op: 'write', arg: report }) as Promise<WrittenTransition[]>;
  }

  openJobs(serial: string): Promise<JobRecord[]> {
    return this.call({ op: 'openJobs', arg: serial }) as Promise<JobRecord[]>;
  }

  keyTaken(key: string): Promise<boolean> {
    return this.call({ op: 'keyTaken', arg: key }) as Promise<boolean>;
  }

  recordFilament(record: FilamentRecord): Promise<WrittenTransition | null> {
    return this.call({ op: 'recordFilament', arg: record }) as Promise<WrittenTransition | null>;
  }

  jobHints(key: string): Promise<JobHints | null> {
    return this.call({ op: 'jobHints', arg: key }) as Promise<JobHints | null>;
  }

  fileFetched(key: string): Promise<boolean> {
    return this.call({ op: 'fileFetched', arg: key }) as Promise<boolean>;
  }

  refusal(error: unknown): WriteRefusal | null {
    return error instanceof RawThreadRefusal ? error.refusal : null;
  }

  /** Answers what was asked before, closes the database and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.stopped === null) {
        const exited = new Promise((resolve) => this.worker.once('exit', resolve));
        this.port.postMessage({ close: true });
        await exited;
      }
      this.port.close();
    })();
    return this.closing;
  }

  private call(request: RawCall): Promise<unknown> {
    if (this.stopped !== null || this.closing) {
      const message = this.stopped ?? 'the raw store is closed';
      return Promise.reject(new RawThreadRefusal({ kind: 'unavailable', message }));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage({ ...request, id } as RawRequest);
    });
  }

  private settle(reply: RawReply): void {
    const waiting = this.waiting.get(reply.id);
    if (!waiting) return;
    this.waiting.delete(reply.id);
    if (reply.ok) waiting.resolve(reply.value);
    else if (reply.refusal) waiting.reject(new RawThreadRefusal(reply.refusal));
    // A bug of ours in the thread: the tracker drops that report and says so (not retried forever).
    else waiting.reject(new Error(reply.message));
  }

  private stop(reason: string): void {
    this.stopped ??= reason;
    for (const [id, waiting] of this.waiting) {
      this.waiting.delete(id);
      waiting.reject(new RawThreadRefusal({ kind: 'unavailable', message: reason }));
    }
  }
}
