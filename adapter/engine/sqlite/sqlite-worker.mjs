// @ts-check
/**
 * The SQLite connection's own process: better-sqlite3 is synchronous, so it runs here and the main
 * thread (listener, pages) never waits on a statement. One message in, one reply out, in order.
 *
 * A process, not a worker thread: cancelling must stop a statement in flight, and better-sqlite3 has
 * no sqlite3_interrupt while Worker.terminate() waits for native code to return (a long statement
 * would never be stopped). Killing this process stops it at once; SQLite is built for that: the
 * uncommitted transaction is rolled back and the operating system releases the file's locks.
 * Plain JavaScript (type-checked), so that the same file runs from the sources and from dist/.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** @typedef {{ modulePath: string, path: string, readonly: boolean, busyTimeoutMs: number }} WorkerSettings */
/** @typedef {{ sql: string, params?: unknown[], read: boolean }} BatchStatement */
/** @typedef {{ id: number, op: 'execute' | 'query' | 'columns' | 'describe' | 'batch' | 'close', sql?: string, params?: unknown[], statements?: BatchStatement[] }} Request */

const settings = /** @type {WorkerSettings} */ (JSON.parse(process.argv[2] ?? '{}'));
/** @param {unknown} message */
const send = (message) => process.send?.(message);
// The parent is gone (it exited or was killed): so is the reason to exist. While a statement runs
// this thread hears nothing, so a watchdog thread looks for the parent and ends the process itself:
// an orphan would hold the database's write lock until its statement ended, perhaps never.
process.on('disconnect', () => process.exit(0));
new Worker(
  `const { workerData } = require('node:worker_threads');
   setInterval(() => { if (process.ppid !== workerData) process.kill(process.pid, 'SIGKILL'); }, 250);`,
  { eval: true, workerData: process.ppid },
).unref();
const Database = createRequire(import.meta.url)(settings.modulePath);

/** @param {unknown} error */
function failure(error) {
  const e = /** @type {{ code?: unknown, message?: unknown }} */ (error ?? {});
  return {
    code: typeof e.code === 'string' ? e.code : 'ERROR',
    message: typeof e.message === 'string' ? e.message : String(error),
  };
}

/** @type {any} */
let db;
try {
  db = new Database(settings.path, {
    readonly: settings.readonly,
    fileMustExist: settings.readonly,
    timeout: settings.busyTimeoutMs,
  });
  // Reading the schema is what finds a file that is not a database (or a damaged one) at once.
  db.prepare('SELECT count(*) FROM sqlite_master').get();
  if (!settings.readonly) db.pragma('journal_mode = WAL');
  // A commit does not wait for fsync (WAL stays consistent; a power cut may undo the last commits).
  // What a run writes is derived from the raw layer and its watermarks commit with it, so the next
  // run redoes what was undone; and every action's transaction holds the write lock ~1 ms less,
  // which the listener waits on. The listener's own writes keep SQLite's default (FULL).
  if (!settings.readonly) db.pragma('synchronous = NORMAL');
  // SQLite's automatic checkpoint stays on: it runs in the COMMIT that crosses 1,000 WAL pages, after
  // the write lock is released. Checkpointing after each run instead (PASSIVE, once idle) made the
  // listener's writes beside a sensor run twice as slow (farm benchmark, 1,000 printers: job end →
  // raw p99 67-103 ms against 22 ms), its fsyncs competing with the listener's every second.
  db.pragma('foreign_keys = ON');
  send({ type: 'ready' });
} catch (error) {
  try {
    db?.close();
  } catch {}
  send({ type: 'open-failed', error: failure(error) });
}

/** Prepared statements by their text: the run history and the locks send the same few again and again. */
const cache = new Map();
/** @param {string} sql */
function prepared(sql) {
  let statement = cache.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    if (cache.size >= 256) cache.delete(cache.keys().next().value);
    cache.set(sql, statement);
  }
  return statement;
}

/** @param {string} name */
function quote(name) {
  return `"${name.replaceAll('"', '""')}"`;
}

/** @param {string} name */
function describe(name) {
  /** @type {{ type: string, sql: string | null } | undefined} */
  const found = db
    .prepare("SELECT type, sql FROM sqlite_master WHERE name = ? AND type IN ('table', 'view')")
    .get(name);
  const type = found?.type;
  if (type !== 'table' && type !== 'view') return undefined;
  /** @type {{ name: string, type: string }[]} */
  let columns = [];
  try {
    columns = db.prepare(`PRAGMA table_info(${quote(name)})`).all();
  } catch {
    // A view whose sources are gone cannot list its columns; it still exists and can be replaced.
  }
  /** @type {{ name: string, columns: string[] }[]} */
  let uniqueIndexes = [];
  if (type === 'table') {
    /** @type {{ name: string, unique: number }[]} */
    const indexes = db.prepare(`PRAGMA index_list(${quote(name)})`).all();
    uniqueIndexes = indexes
      .filter((index) => index.unique === 1)
      .map((index) => ({
        name: index.name,
        columns: db
          .prepare(`PRAGMA index_info(${quote(index.name)})`)
          .all()
          .map((/** @type {{ name: string | null }} */ c) => c.name ?? ''),
      }));
  }
  const described = { type, columns: columns.map((c) => ({ name: c.name, type: c.type })), uniqueIndexes };
  // The view's statement as written: a run that would create the same view again leaves it alone.
  return type === 'view' && typeof found?.sql === 'string'
    ? { ...described, definition: found.sql }
    : described;
}

/**
 * One statement with params, or several without.
 * @param {string} sql @param {unknown[] | undefined} params
 * @returns {{ changes: number }}
 */
function execute(sql, params) {
  if (params) return { changes: prepared(sql).run(...params).changes };
  // exec() runs several statements; total_changes() counts across all of them, and unlike
  // changes() it is not left over from an earlier INSERT when the statements are DDL.
  const before = db.prepare('SELECT total_changes()').pluck().get();
  db.exec(sql);
  return { changes: db.prepare('SELECT total_changes()').pluck().get() - before };
}

/**
 * One query's rows (none for a statement that returns none).
 * @param {string} sql @param {unknown[]} params
 * @returns {unknown[]}
 */
function query(sql, params) {
  const statement = prepared(sql);
  if (statement.reader) return statement.all(...params);
  statement.run(...params);
  return [];
}

/** A statement of a batch that failed, and its place in the batch. */
class BatchFailure {
  /** @param {number} index @param {unknown} error */
  constructor(index, error) {
    this.index = index;
    this.error = error;
  }
}

/**
 * A batch's statements one after another, in this one request: the round trip is paid once, not by
 * every statement while the transaction holds the write lock. Stops at the first that fails.
 * @param {BatchStatement[]} statements
 */
function batch(statements) {
  return statements.map((statement, index) => {
    try {
      return statement.read
        ? { rows: query(statement.sql, statement.params ?? []), changes: 0 }
        : { rows: [], changes: execute(statement.sql, statement.params).changes };
    } catch (error) {
      throw new BatchFailure(index, error);
    }
  });
}

/** @param {Request} request */
function handle(request) {
  const sql = request.sql ?? '';
  const params = request.params ?? [];
  switch (request.op) {
    case 'execute':
      return execute(sql, request.params);
    case 'query':
      return query(sql, params);
    case 'columns':
      return db
        .prepare(sql)
        .columns()
        .map((/** @type {{ name: string }} */ c) => c.name);
    case 'describe':
      return describe(sql);
    case 'batch':
      return batch(request.statements ?? []);
    case 'close':
      cache.clear();
      db.close();
      return null;
  }
}

process.on('message', (/** @type {Request} */ request) => {
  try {
    send({ id: request.id, ok: true, value: handle(request) });
  } catch (error) {
    if (error instanceof BatchFailure)
      send({ id: request.id, ok: false, error: failure(error.error), index: error.index });
    else send({ id: request.id, ok: false, error: failure(error) });
  }
  if (request.op === 'close') process.disconnect();
});
