/** Where the database lives when nothing says otherwise (relative to the working directory). */
export const DEFAULT_DB_PATH = 'data/print_history.db';

/**
 * The database path, by the precedence DESIGN.md fixes: `--db`, else `BAMBUZLED_DB`,
 * else the config file's `db_file`, else data/print_history.db.
 */
export function resolveDbPath(
  flag: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  configDbFile?: string,
): string {
  return flag || env.BAMBUZLED_DB || configDbFile || DEFAULT_DB_PATH;
}
