/**
 * The raw layer on both engines, for tests that check what the listener writes: a real SQLite file,
 * or a fresh database on a real PostgreSQL server (one server per test file, started on first use;
 * the file stops it in afterAll with `stopRawEngines`). Reads go through one `rows` function with
 * `?` placeholders, so a test reads the same on both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgRawStore } from '../../ingestion/pg-raw-store.js';
import { migrateRawSchema } from '../../ingestion/raw-schema.js';
import type { RawStore } from '../../ingestion/raw-store.js';
import { ThreadedRawStore } from '../../ingestion/threaded-raw-store.js';
import { openDatabase, type SqliteDatabase } from '../../lib/sqlite.js';
import { type PostgresServer, startPostgres } from './postgres-server.js';

/** sqlite: the synchronous RawWriter on the listener's thread; sqlite-thread: the raw writer's thread `listen` uses. */
export type RawEngineName = 'sqlite' | 'sqlite-thread' | 'postgresql';
export const RAW_ENGINES: readonly RawEngineName[] = ['sqlite', 'sqlite-thread', 'postgresql'];

export interface RawTarget {
  engine: RawEngineName;
  /** The listener's SQLite file: the raw rows on SQLite, only the certificate pins on PostgreSQL. */
  db: SqliteDatabase;
  /** Where the listener writes: PostgreSQL, or the raw writer's thread (undefined: it writes through `db`). */
  store: RawStore | undefined;
  /** The database's URL on PostgreSQL, its file on SQLite. */
  spec: string;
  /** A query on the raw layer with `?` placeholders (the raw schema is the search path on PostgreSQL). */
  rows(sql: string, params?: readonly unknown[]): Promise<Record<string, unknown>[]>;
  /** A second store on the same database, as another listener would open (PostgreSQL only). */
  openStore(): RawStore;
  close(): Promise<void>;
}

let server: Promise<PostgresServer> | undefined;
let databases = 0;

/** The PostgreSQL server of this test file, started on first use. */
export function rawPostgres(): Promise<PostgresServer> {
  server ??= startPostgres();
  return server;
}

/** Stops this file's PostgreSQL server, if one was started (call in afterAll). */
export async function stopRawEngines(): Promise<void> {
  const running = server;
  server = undefined;
  if (running) await (await running).stop();
}

export async function openRawTarget(engine: RawEngineName): Promise<RawTarget> {
  const dir = mkdtempSync(join(tmpdir(), `bambuzled-raw-${engine}-`));
  const dbPath = join(dir, 'raw.db');
  const db = openDatabase(dbPath);
  migrateRawSchema(db);
  if (engine !== 'postgresql') {
    const store = engine === 'sqlite-thread' ? await ThreadedRawStore.open(dbPath) : undefined;
    return {
      engine,
      db,
      store,
      spec: dbPath,
      rows: async (sql, params = []) => db.prepare(sql).all(...params) as Record<string, unknown>[],
      openStore: () => {
        throw new Error('a second SQLite store is a second RawWriter on the file');
      },
      close: async () => {
        await store?.close();
        db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const pgServer = await rawPostgres();
  const name = `raw_${process.pid}_${++databases}`;
  await pgServer.createDatabase(name);
  const url = pgServer.urlFor(name);
  const stores: PgRawStore[] = [];
  const openStore = () => {
    const store = new PgRawStore({ url });
    stores.push(store);
    return store;
  };
  const store = openStore();
  await store.migrate();
  const reader = new pg.Pool({ connectionString: url, max: 1, options: '-c search_path=main', types });
  // pg-pool keeps its idle listener on a client that end() is still closing: when the server's shutdown
  // (afterAll) ends that client first (57P01), the pool emits 'error', and with no listener that is an
  // uncaught exception that fails the whole run though every test passed.
  reader.on('error', () => {});
  return {
    engine,
    db,
    store,
    spec: url,
    rows: async (sql, params = []) => {
      let n = 0;
      const { rows } = await reader.query(
        sql.replace(/\?/g, () => `$${++n}`),
        [...params],
      );
      return rows;
    },
    openStore,
    close: async () => {
      await reader.end();
      for (const s of stores) await s.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// BIGINT (and COUNT) come back as text from node-postgres; the raw layer's fit in a number.
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};
