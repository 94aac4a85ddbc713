/**
 * Picks the engine a database spec names, as the README says (PostgreSQL section): a `postgres://` or `postgresql://`
 * URL is PostgreSQL, anything else a SQLite file path.
 */
import type { Dialect } from './dialect.js';
import { type AsyncExecutor, EngineError } from './executor.js';
import { postgresDialect } from './postgres/postgres-dialect.js';
import { openPostgresExecutor, placeOf } from './postgres/postgres-executor.js';
import { sqliteDialect } from './sqlite/sqlite-dialect.js';
import { openSqliteExecutor } from './sqlite/sqlite-executor.js';

/** An engine and where its data lives: connections are opened from it as the parts need them. */
export interface Engine {
  readonly name: string;
  /** Where the data lives, printable: a file path, or a URL without its password. */
  readonly location: string;
  readonly dialect: Dialect;
  /** A new connection of its own (a run, a lock's heartbeat and a page each want one). */
  connect(options?: { readonly?: boolean; busyTimeoutMs?: number }): Promise<AsyncExecutor>;
}

const SERVER_URL = /^postgres(?:ql)?:\/\//i;

/** Whether a database spec names a server (a URL) rather than a SQLite file. */
export function isServerUrl(spec: string): boolean {
  return SERVER_URL.test(spec);
}

/** A URL with its password replaced by `***`, for messages. */
export function withoutPassword(spec: string): string {
  try {
    const url = new URL(spec);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return spec.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@');
  }
}

export function openEngine(spec: string): Engine {
  if (isServerUrl(spec)) {
    let location: string;
    try {
      location = placeOf(spec) && withoutPassword(spec);
    } catch {
      throw new EngineError(
        'cannot-open',
        `${withoutPassword(spec)} is not a valid PostgreSQL URL: write postgres://user:password@host:5432/database.`,
      );
    }
    return {
      name: 'postgresql',
      location,
      dialect: postgresDialect,
      connect: () => openPostgresExecutor(spec),
    };
  }
  return {
    name: 'sqlite',
    location: spec,
    dialect: sqliteDialect,
    connect: (options = {}) => openSqliteExecutor(spec, options),
  };
}
