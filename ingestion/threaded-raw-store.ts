/**
 * The raw layer on SQLite, written from a thread of its own (raw-writer-thread.ts) — what `listen`
 * and `start` use. The same RawWriter and statements as the synchronous path, but the listener's
 * event loop never runs a statement: a run that holds the write lock makes the thread wait (up to
 * its busy timeout), not the reports of 5,000 printers. Every call answers later, in order; a
 * refusal (busy past the timeout, a full disk, a read-only file) is data the tracker retries.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
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

type ThreadMessage = RawReply[];

/** One running thread and our end of its channel. */
interface Thread {
  worker: Worker;
  port: MessagePort;
}

/** Starts a thread on the file and waits until it has opened it (or says why it could not). */
async function startThread(settings: RawThreadSettings): Promise<Thread> {
  const { port1, port2 } = new MessageChannel();
  const script = builtModule(import.meta.url, 'raw-writer-thread.js', "The raw writer's thread");
  const worker = new Worker(script, { workerData: { ...settings, port: port2 }, transferList: [port2] });
  const start = await new Promise<RawThreadStart>((resolve, reject) => {
    port1.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => {
      // A thread that could not open the file says why, then ends: its message may still wait on
      // the channel when the exit is seen.
      const said = receiveMessageOnPort(port1)?.message as RawThreadStart | undefined;
      if (said) resolve(said);
      else reject(new RawThreadOpenError(`the raw writer's thread exited (${code})`));
    });
  });
  if (!start.ready) {
    await worker.terminate();
    throw new RawThreadOpenError(start.message);
  }
  return { worker, port: port1 };
}

export class ThreadedRawStore implements RawStore {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private thread: Thread | null = null;
  private starting: Promise<Thread> | null = null;
  private closing: Promise<void> | undefined;
  /** Calls not answered yet: close() waits for them. */
  private readonly asked = new Set<Promise<unknown>>();

  private constructor(
    readonly location: string,
    private readonly settings: RawThreadSettings,
    thread: Thread,
  ) {
    this.attach(thread);
  }

  /** Starts the thread on the SQLite file `path` (migrated by the caller or here) and waits until it is ready. */
  static async open(path: string, options: { busyTimeoutMs?: number } = {}): Promise<ThreadedRawStore> {
    const settings: RawThreadSettings = {
      path,
      busyTimeoutMs: options.busyTimeoutMs ?? THREAD_BUSY_TIMEOUT_MS,
    };
    return new ThreadedRawStore(path, settings, await startThread(settings));
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

  /** Answers what was asked before close, closes the database and ends the thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // The answers to what was asked before come back first, through the usual path: a close sent
      // with them could end the thread while its last replies were still on their way (seen under load).
      await Promise.allSettled(this.asked);
      const thread = this.thread ?? (await this.starting?.catch(() => null)) ?? null;
      if (!thread) return;
      const exited = new Promise((resolve) => thread.worker.once('exit', resolve));
      thread.port.postMessage({ close: true });
      await exited;
      thread.port.close();
    })();
    return this.closing;
  }

  private attach(thread: Thread): void {
    this.thread = thread;
    thread.port.on('message', (message: ThreadMessage) => this.received(message));
    // A bug in the thread (an exception) or its end: every call waiting is refused, none hangs,
    // and the next call starts a new thread (the tracker retries what was refused).
    thread.worker.once('error', (error) =>
      this.lost(thread, `the raw writer's thread failed (${error.message})`),
    );
    thread.worker.once('exit', () => this.lost(thread, "the raw writer's thread stopped"));
  }

  private call(request: RawCall): Promise<unknown> {
    if (this.closing) return Promise.reject(unavailable('the raw store is closed'));
    const id = this.nextId++;
    const asked = new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const message = { ...request, id } as RawRequest;
      if (this.thread) {
        this.thread.port.postMessage(message);
        return;
      }
      this.starting ??= startThread(this.settings).then(
        (thread) => {
          this.starting = null;
          this.attach(thread);
          return thread;
        },
        (error: unknown) => {
          this.starting = null;
          throw error;
        },
      );
      this.starting.then(
        (thread) => thread.port.postMessage(message),
        (error: unknown) => {
          this.waiting.delete(id);
          reject(unavailable(error instanceof Error ? error.message : String(error)));
        },
      );
    });
    this.asked.add(asked);
    const forget = () => this.asked.delete(asked);
    asked.then(forget, forget);
    return asked;
  }

  private received(message: ThreadMessage): void {
    for (const reply of message) this.settle(reply);
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

  private lost(thread: Thread, reason: string): void {
    if (this.thread !== thread) return;
    this.thread = null;
    // Replies the thread sent before it ended may still wait on the channel: they are answers,
    // not refusals (a write refused here would be written twice when the tracker retries it).
    for (let next = receiveMessageOnPort(thread.port); next; next = receiveMessageOnPort(thread.port)) {
      this.received(next.message as ThreadMessage);
    }
    for (const [id, waiting] of this.waiting) {
      this.waiting.delete(id);
      waiting.reject(unavailable(reason));
    }
  }
}

function unavailable(message: string): RawThreadRefusal {
  return new RawThreadRefusal({ kind: 'unavailable', message });
}
