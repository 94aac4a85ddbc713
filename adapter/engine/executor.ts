/**
 * The engine boundary's I/O half (Dataform's IDbAdapter, cut down and made async): every engine runs
 * statements through this, and nothing above it knows which engine it talks to. Generating the SQL
 * is the dialect's job (dialect.ts); recording runs is the run-history store's (run-history.ts).
 */

export type Row = Record<string, unknown>;

export interface ColumnInfo {
  name: string;
  /** The declared type ('' when the engine does not know it, as for most SQLite view columns). */
  type: string;
}

export interface TableInfo {
  type: 'table' | 'view';
  columns: ColumnInfo[];
  /** The table's unique indexes (primary keys included), each with its columns in order. */
  uniqueIndexes: { name: string; columns: string[] }[];
  /**
   * A view's CREATE VIEW statement as the engine keeps it, where it keeps it as written (SQLite's
   * sqlite_master.sql); absent elsewhere. A run leaves a view whose statement is unchanged in place.
   */
  definition?: string;
}

/** One statement of a batch: with `read`, one query whose rows come back; else run as execute() runs it. */
export interface BatchStatement {
  sql: string;
  params?: readonly unknown[];
  read?: boolean;
}

/** What one statement of a batch did: the rows it read ([] for a write) and the rows it changed. */
export interface BatchResult {
  rows: Row[];
  changes: number;
}

export interface BatchOptions {
  /** Stops the batch before its next statement once aborted (EngineError of kind 'cancelled'). */
  signal?: AbortSignal | undefined;
  /**
   * These are the transaction's last statements: its COMMIT goes with them, in the same request, so
   * that the write lock is not held across one more round trip. Nothing may run on the transaction
   * after it (a call rejects, kind 'closed'). Ignored outside a transaction, in a nested one and in a
   * rolled-back block; if the batch fails the transaction rolls back as it would otherwise.
   */
  endsTransaction?: boolean;
}

/** Statements on one connection; inside a transaction they are that transaction's. */
export interface Statements {
  /**
   * Runs SQL and returns how many rows it inserted, updated or deleted. Without params the text may
   * hold several statements; with params it is one statement whose `?` placeholders they fill.
   */
  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
  /** Runs one query (`?` placeholders) and returns its rows. */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
  /** The columns a query would return, without running it (preparing it also checks it). */
  queryColumns(sql: string): Promise<string[]>;
  /**
   * Runs statements in order and returns what each did, in one request where the engine can (SQLite:
   * one message to its connection's process instead of one round trip each, which a transaction
   * holding the write lock waits through). Stops at the first failure and rejects with its error,
   * whose `sql` and `batchIndex` name the statement; those before it ran (a rollback undoes them).
   * An engine that sends them one by one checks `signal` between two: cancel() stops only a
   * statement in flight, so an abort between two would otherwise go unnoticed to the batch's end.
   */
  batch(statements: readonly BatchStatement[], options?: BatchOptions): Promise<BatchResult[]>;
  /** What holds `name` in the database: a table or a view with its columns, or undefined. */
  describe(name: string): Promise<TableInfo | undefined>;
  /**
   * Runs `work` in a transaction that holds the write lock from its first statement (the BEGIN goes
   * with it), committing when `work` resolves (or with a batch that ends the transaction) and rolling
   * back when it rejects (the rejection passes through). Inside one, a nested
   * call is a savepoint. Statements must go through `tx`: calls on the outer object wait until the
   * transaction has ended, so that nothing slips into it from elsewhere.
   */
  transaction<T>(work: (tx: Statements) => Promise<T>): Promise<T>;
}

export interface AsyncExecutor extends Statements {
  /** 'sqlite', 'postgresql', ...: for messages and the run history, never for branching. */
  readonly engine: string;
  /** Where the data lives, for messages: a file path, or a URL without its password. */
  readonly location: string;
  /** Runs `work` in a transaction that is always rolled back, returning what `work` returned. */
  rolledBack<T>(work: (tx: Statements) => Promise<T>): Promise<T>;
  /**
   * Stops the statement in flight, if any: its call rejects with an EngineError of kind 'cancelled'
   * and its transaction is rolled back. The executor stays usable for later calls. Never rejects: a
   * cancel is called from an abort signal, where nobody could handle a rejection.
   */
  cancel(): Promise<void>;
  /** Closes the connection; later calls reject. */
  close(): Promise<void>;
}

/** What went wrong, as a user can act on it; `sql` is a statement that failed. */
export type EngineErrorKind =
  | 'cancelled'
  | 'busy'
  | 'corrupt'
  | 'read-only'
  | 'disk-full'
  | 'cannot-open'
  | 'closed'
  | 'sql';

/** A failure of the engine, classified; the message names the database and says what to do. */
export class EngineError extends Error {
  constructor(
    readonly kind: EngineErrorKind,
    message: string,
    options?: { cause?: unknown; sql?: string; batchIndex?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EngineError';
    if (options?.sql !== undefined) this.sql = options.sql;
    if (options?.batchIndex !== undefined) this.batchIndex = options.batchIndex;
  }

  readonly sql?: string;
  /** For a batch that failed: the place in it of the statement that failed (`sql`). */
  readonly batchIndex?: number;
}

/** The error's kind when it is an EngineError, else undefined. */
export function engineErrorKind(error: unknown): EngineErrorKind | undefined {
  return error instanceof EngineError ? error.kind : undefined;
}
