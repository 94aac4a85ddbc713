/**
 * The PostgreSQL executor: one node-postgres client per executor, driven through the same contract
 * as SQLite's. Cancelling asks the server to cancel the statement in flight (the protocol's
 * CancelRequest); the transaction it was in is rolled back. Values of int8 and numeric come back
 * as numbers (what the pages and the run history expect), as SQLite gives them.
 */
import pg from 'pg';
import { type AsyncExecutor, EngineError, type Row, type TableInfo } from '../executor.js';
import { batchInTurn, GatedExecutor, type PlainStatements } from '../gated-executor.js';
import { numberedPlaceholders } from './placeholders.js';
import { postgresError, type ServerPlace } from './postgres-errors.js';

const INT8 = 20;
const NUMERIC = 1700;

/** int8 and numeric as numbers; everything else as node-postgres parses it. */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

/** Where a URL points, for messages (no password). */
export function placeOf(url: string): ServerPlace {
  const parsed = new URL(url);
  return {
    host: parsed.hostname || 'localhost',
    port: Number(parsed.port || 5432),
    database:
      decodeURIComponent(parsed.pathname.replace(/^\//, '')) ||
      decodeURIComponent(parsed.username) ||
      'postgres',
    user: decodeURIComponent(parsed.username) || 'postgres',
  };
}

export interface PostgresExecutorOptions {
  /** How long a connection attempt may take (ms). */
  connectTimeoutMs?: number;
}

/** Connects to the database at `url`; rejects with an EngineError naming the server and database. */
export async function openPostgresExecutor(
  url: string,
  options: PostgresExecutorOptions = {},
): Promise<AsyncExecutor> {
  const place = placeOf(url);
  const config: pg.ClientConfig = {
    connectionString: url,
    types,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    application_name: 'bambuzled',
  };
  const client = await connectClient(config, place);
  return new PostgresExecutor(config, place, client);
}

async function connectClient(config: pg.ClientConfig, place: ServerPlace): Promise<pg.Client> {
  const client = new pg.Client(config);
  // A connection that drops later must not crash the process: the next statement reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => undefined);
    throw postgresError(place, error);
  }
}

/**
 * Asks the server to cancel the statement of session `processID` with the protocol's CancelRequest
 * (its own short connection, sent before any login): unlike pg_cancel_backend from a second session,
 * it needs no free connection slot and no password, so a cancel works on a server that is full.
 * The server closes that connection once it has the request.
 */
function sendCancelRequest(
  session: pg.Client,
  processID: number,
  secretKey: number,
  timeoutMs: number,
): Promise<void> {
  return new Promise((resolve, reject) => {
    // pg's Connection speaks the protocol; its types omit connect() and cancel().
    const connection = new pg.Connection() as pg.Connection & {
      connect(portOrPath: number | string, host?: string): void;
      cancel(processID: number, secretKey: number): void;
    };
    const timer = setTimeout(() => {
      connection.stream.destroy();
      reject(new Error('no answer to the cancel request'));
    }, timeoutMs);
    connection.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    connection.on('end', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.once('connect', () => connection.cancel(processID, secretKey));
    if (session.host.startsWith('/')) connection.connect(`${session.host}/.s.PGSQL.${session.port}`);
    else connection.connect(session.port, session.host);
  });
}

class PostgresExecutor extends GatedExecutor {
  readonly engine = 'postgresql';
  readonly location: string;
  protected readonly beginSql = 'BEGIN';
  private inFlight = 0;
  private closed = false;
  private readonly cancelTimeoutMs: number;
  /** Set when a cancel had to end the session: the statement in flight failed because of that. */
  private droppedByCancel = false;
  /** A cancel request the server has not taken yet. */
  private cancelling: Promise<void> | null = null;

  constructor(
    config: pg.ClientConfig,
    private readonly place: ServerPlace,
    private readonly client: pg.Client,
  ) {
    super();
    this.location = `postgres://${place.user}@${place.host}:${place.port}/${place.database}`;
    this.cancelTimeoutMs = config.connectionTimeoutMillis ?? 10_000;
  }

  async cancel(): Promise<void> {
    if (this.inFlight === 0) return;
    const session = this.client as unknown as { processID?: number; secretKey?: number };
    if (session.processID === undefined || session.secretKey === undefined) return;
    const request = this.requestCancel(session.processID, session.secretKey);
    this.cancelling = request;
    await request;
    if (this.cancelling === request) this.cancelling = null;
  }

  /** Never rejects: a cancel is called from an abort signal. */
  private async requestCancel(processID: number, secretKey: number): Promise<void> {
    try {
      await sendCancelRequest(this.client, processID, secretKey, this.cancelTimeoutMs);
    } catch {
      // The server could not be reached: ending our own session stops the statement as soon as the
      // server notices, and it rolls the transaction back. The executor is closed after that.
      this.droppedByCancel = true;
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }

  protected readonly plain: PlainStatements = {
    execute: async (sql, params) => {
      const result = await this.run(sql, params);
      const results = Array.isArray(result) ? result : [result];
      const changes = results
        .filter((r) => ['INSERT', 'UPDATE', 'DELETE', 'MERGE'].includes(r.command))
        .reduce((sum, r) => sum + (r.rowCount ?? 0), 0);
      return { changes };
    },
    query: async (sql, params) => {
      const result = await this.run(sql, params ?? []);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return (last?.rows ?? []) as Row[];
    },
    queryColumns: async (sql) => {
      const result = await this.run(`SELECT * FROM (\n${sql}\n) AS bambuzled_columns LIMIT 0`);
      const last = Array.isArray(result) ? result[result.length - 1] : result;
      return (last?.fields ?? []).map((f) => f.name);
    },
    describe: (name) => this.describeObject(name),
    batch: (statements, options) => batchInTurn(this.plain, statements, options),
  };

  private async run(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult | pg.QueryResult[]> {
    // The server takes a cancel request on its own connection, later: a statement sent before it
    // had would be the one cancelled (the run's record of the cancelled action, say), so it waits.
    while (this.cancelling) await this.cancelling;
    if (this.closed) throw new EngineError('closed', `The connection to ${this.location} is closed.`);
    this.inFlight++;
    try {
      // Without params the text may hold several statements (the simple query protocol takes them).
      if (params === undefined)
        return (await this.client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
      return await this.client.query(numberedPlaceholders(sql), [...params]);
    } catch (error) {
      if (this.droppedByCancel)
        throw new EngineError('cancelled', 'The statement was cancelled; its transaction was rolled back.', {
          sql,
        });
      throw postgresError(this.place, error, sql);
    } finally {
      this.inFlight--;
    }
  }

  /** `schema.name` (or a bare name, in the current schema) → what the catalog holds under it. */
  private async describeObject(name: string): Promise<TableInfo | undefined> {
    const dot = name.indexOf('.');
    const [schema, table] = dot === -1 ? [null, name] : [name.slice(0, dot), name.slice(dot + 1)];
    const found = (
      await this.plain.query(
        `SELECT c.oid::int8 AS oid, c.relkind, n.nspname
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relname = ? AND n.nspname = COALESCE(?, current_schema()) AND c.relkind IN ('r', 'v', 'm', 'p')`,
        [table, schema],
      )
    )[0];
    if (!found) return undefined;
    const columns = await this.plain.query(
      `SELECT a.attname::text AS name, upper(format_type(a.atttypid, a.atttypmod)) AS type
         FROM pg_attribute a WHERE a.attrelid = ? AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
      [found.oid],
    );
    const indexes = await this.plain.query(
      `SELECT ic.relname::text AS name, array_agg(a.attname::text ORDER BY k.ord) AS columns
         FROM pg_index i
         JOIN pg_class ic ON ic.oid = i.indexrelid
         JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = ? AND i.indisunique
        GROUP BY ic.relname ORDER BY ic.relname`,
      [found.oid],
    );
    return {
      type: found.relkind === 'v' || found.relkind === 'm' ? 'view' : 'table',
      columns: columns.map((c) => ({ name: String(c.name), type: String(c.type) })),
      uniqueIndexes: indexes.map((i) => ({
        name: String(i.name),
        columns: (i.columns as string[]).map(String),
      })),
    };
  }
}
