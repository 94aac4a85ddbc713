/**
 * The SQLite executor: a better-sqlite3 connection in a process of its own (sqlite-worker.mjs says why
 * not a thread), driven by messages. Cancelling kills that process mid-statement (SQLite rolls the
 * transaction back and the locks go with the process) and the next call starts a new one.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AsyncExecutor, BatchResult, BatchStatement, Row, TableInfo } from '../executor.js';
import { EngineError } from '../executor.js';
import { GatedExecutor, type PlainStatements } from '../gated-executor.js';
import { sqliteError, type WorkerFailure } from './sqlite-errors.js';

export interface SqliteExecutorOptions {
  /** Open an existing file for reading only. */
  readonly?: boolean;
  /** How long a statement waits for another connection's write lock (ms), in the worker. */
  busyTimeoutMs?: number;
}

type Op = 'execute' | 'query' | 'columns' | 'describe' | 'batch' | 'close';
type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WorkerFailure; index?: number };
type Control = { type: 'ready' } | { type: 'open-failed'; error: WorkerFailure };

interface Pending {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  sql: string | undefined;
  /** A batch's statements, to name the one that failed. */
  batch?: readonly BatchStatement[];
}

const WORKER_SCRIPT = fileURLToPath(new URL('./sqlite-worker.mjs', import.meta.url));
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/** One connection, in its own process. */
class Connection {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone: EngineError | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly path: string,
  ) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.on('message', (message: Reply) => this.settle(message));
    child.on('exit', () => this.fail(new EngineError('closed', `The connection to ${path} is closed.`)));
  }

  static open(path: string, options: Required<SqliteExecutorOptions>): Promise<Connection> {
    const settings = {
      modulePath: BETTER_SQLITE3,
      path,
      readonly: options.readonly,
      busyTimeoutMs: options.busyTimeoutMs,
    };
    const child = fork(WORKER_SCRIPT, [JSON.stringify(settings)], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      execArgv: [],
    });
    return new Promise((resolve, reject) => {
      const onExit = () =>
        reject(new EngineError('cannot-open', `Cannot open the database ${path}: its process stopped.`));
      child.once('exit', onExit);
      child.once('error', (error) =>
        reject(new EngineError('cannot-open', `Cannot open the database ${path}: ${error.message}`)),
      );
      child.once('message', (message: Control) => {
        child.off('exit', onExit);
        if (message.type === 'ready') {
          resolve(new Connection(child, path));
        } else {
          child.kill('SIGKILL');
          reject(sqliteError(path, message.error, undefined, !options.readonly));
        }
      });
    });
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  send(op: Op, sql?: string, params?: readonly unknown[]): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sql });
      this.child.send({ id, op, sql, params: params === undefined ? undefined : [...params] });
    });
  }

  /** Several statements in one message; the reply holds each one's result. */
  sendBatch(statements: readonly BatchStatement[]): Promise<unknown> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, sql: undefined, batch: statements });
      this.child.send({
        id,
        op: 'batch',
        statements: statements.map((s) => ({
          sql: s.sql,
          params: s.params === undefined ? undefined : [...s.params],
          read: s.read === true,
        })),
      });
    });
  }

  /** Stops the process now, statement and all; what was in flight rejects with `reason`. */
  async kill(reason: EngineError): Promise<void> {
    this.fail(reason);
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async close(): Promise<void> {
    if (!this.gone) await this.send('close').catch(() => undefined);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }

  private settle(message: Reply): void {
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    if (message.ok) waiting.resolve(message.value);
    else if (message.index !== undefined)
      waiting.reject(
        sqliteError(this.path, message.error, waiting.batch?.[message.index]?.sql, false, message.index),
      );
    else waiting.reject(sqliteError(this.path, message.error, waiting.sql));
  }

  private fail(error: EngineError): void {
    this.gone ??= error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
  }
}

/**
 * Opens (and for a writable one creates) the SQLite file at `path` in a worker thread: WAL mode, a
 * busy timeout and foreign keys on. Rejects with an EngineError naming the file and what to do.
 */
export async function openSqliteExecutor(
  path: string,
  options: SqliteExecutorOptions = {},
): Promise<AsyncExecutor> {
  const settings = {
    readonly: options.readonly ?? false,
    busyTimeoutMs: options.busyTimeoutMs ?? 5_000,
  };
  if (path !== ':memory:') {
    if (settings.readonly && !existsSync(path)) {
      throw new EngineError(
        'cannot-open',
        `The database ${path} does not exist. Start the listener (\`bambuzled listen\`) or pass --db with the path of an existing database.`,
      );
    }
    if (!settings.readonly) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (error) {
        throw new EngineError(
          'cannot-open',
          `Cannot create the folder ${dirname(path)} for the database ${path} (${(error as Error).message}). Pass --db with a path in a writable folder.`,
        );
      }
    }
  }
  const first = await Connection.open(path, settings);
  return new SqliteExecutor(path, settings, first);
}

class SqliteExecutor extends GatedExecutor {
  readonly engine = 'sqlite';
  // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes fails at
  // once if another connection committed in between, busy timeout or not; waiting at BEGIN is what the
  // busy timeout can help with.
  protected readonly beginSql = 'BEGIN IMMEDIATE';
  private connection: Connection | undefined;
  /** Bumped when a connection is killed: a transaction begun on an older one is already rolled back. */
  private generation = 0;
  private closed = false;

  constructor(
    readonly location: string,
    private readonly settings: Required<SqliteExecutorOptions>,
    first: Connection,
  ) {
    super();
    this.connection = first;
  }

  protected override openToken(): unknown {
    return this.generation;
  }

  protected override ended(token: unknown): boolean {
    return token !== this.generation;
  }

  async cancel(): Promise<void> {
    const connection = this.connection;
    if (!connection || (!connection.busy && !this.inTransaction)) return;
    this.connection = undefined;
    this.generation++;
    await connection.kill(
      new EngineError('cancelled', 'The statement was cancelled; its transaction was rolled back.'),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close();
  }

  protected readonly plain: PlainStatements = {
    execute: async (sql, params) => (await this.send('execute', sql, params)) as { changes: number },
    query: async (sql, params) => (await this.send('query', sql, params ?? [])) as Row[],
    queryColumns: async (sql) => (await this.send('columns', sql)) as string[],
    describe: async (name) => ((await this.send('describe', name)) as TableInfo | null) ?? undefined,
    // One message: once sent, a cancel kills the process mid-batch; the signal matters only before.
    batch: async (statements, options) => {
      if (options?.signal?.aborted) {
        throw new EngineError('cancelled', 'The batch was cancelled before its first statement.', {
          ...(statements[0] ? { sql: statements[0].sql } : {}),
          batchIndex: 0,
        });
      }
      return (await this.connected()).sendBatch(statements) as Promise<BatchResult[]>;
    },
  };

  private async send(op: Op, sql?: string, params?: readonly unknown[]): Promise<unknown> {
    return (await this.connected()).send(op, sql, params);
  }

  private async connected(): Promise<Connection> {
    if (this.closed) throw new EngineError('closed', `The connection to ${this.location} is closed.`);
    this.connection ??= await Connection.open(this.location, this.settings);
    return this.connection;
  }
}
