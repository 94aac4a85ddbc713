import { basename } from 'node:path';
import { isServerUrl, withoutPassword } from '../adapter/index.js';
import { type PathReplacement, pathReplacements } from '../lib/index.js';

/**
 * How the pages name a database: a SQLite file by its file name, a server by its URL without the
 * password. The pages may be shared or served to the LAN; the machine's folders are not theirs to show.
 */
export function databaseShownAs(dbPath: string): string {
  return isServerUrl(dbPath) ? withoutPassword(dbPath) : basename(dbPath);
}

/** What each absolute path of the machine becomes on the docs pages: the project and database by name. */
export function docsPathReplacements(options: { projectDir?: string; dbPath?: string }): PathReplacement[] {
  const db = options.dbPath;
  const server = db !== undefined && isServerUrl(db);
  return pathReplacements({
    projectDir: options.projectDir,
    files: db && !server ? [db] : [],
    also: db && server ? [[db, withoutPassword(db)]] : [],
  });
}
