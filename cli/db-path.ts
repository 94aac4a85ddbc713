import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where the database lives when nothing says otherwise (relative to the working directory). */
export const DEFAULT_DB_PATH = 'data/print_history.db';

/** The listener's config file, whose `db_file` names the database when no flag or variable does. */
export const DEFAULT_CONFIG_PATH = 'ingestion/config.json';

/**
 * The database path, by the precedence the README fixes (Configuration): `--db`, else `BAMBUZLED_DB`,
 * else the config file's `db_file`, else data/print_history.db.
 */
export function resolveDbPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  configDbFile: string | undefined = configDbFileAt(DEFAULT_CONFIG_PATH),
): string {
  return flag || env.BAMBUZLED_DB || configDbFile || DEFAULT_DB_PATH;
}

/**
 * The `db_file` of a config file, or undefined when the file is missing, is not JSON or has none.
 * Reading a broken config is the listener's business; here it only means "no answer".
 */
export function configDbFileAt(path: string): string | undefined {
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as { db_file?: unknown };
    return typeof config.db_file === 'string' && config.db_file.length > 0 ? config.db_file : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The local path the listener's own files are named after (the report archive, the health file,
 * the certificate pins): the SQLite file itself, or for a postgres:// URL one under data/ named
 * after the server and database (never the password), so that listen, start, schedule and status
 * on one machine agree on it.
 */
export function localFilesBase(spec: string, dir = 'data'): string {
  if (!/^postgres(?:ql)?:\/\//i.test(spec)) return spec;
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    return join(dir, 'postgres');
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'postgres';
  return join(dir, `postgres-${url.hostname}-${url.port || 5432}-${database}`.replace(/[^\w.-]/g, '_'));
}
