import { basename, resolve } from 'node:path';
import { isServerUrl, withoutPassword } from '../adapter/index.js';

/**
 * How the pages name a database: a SQLite file by its file name, a server by its URL without the
 * password. The pages may be shared or served to the LAN; the machine's folders are not theirs to show.
 */
export function databaseShownAs(dbPath: string): string {
  return isServerUrl(dbPath) ? withoutPassword(dbPath) : basename(dbPath);
}

/** What each absolute path of the machine becomes on the pages: the project and database by name. */
export function pathReplacements(options: { projectDir?: string; dbPath?: string }): [string, string][] {
  const pairs: [string, string][] = [];
  if (options.projectDir) pairs.push([resolve(options.projectDir), basename(resolve(options.projectDir))]);
  if (options.dbPath && !isServerUrl(options.dbPath)) {
    pairs.push([resolve(options.dbPath), basename(options.dbPath)]);
    // A path given relative to the working directory appears as given, too.
    if (options.dbPath !== resolve(options.dbPath)) pairs.push([options.dbPath, basename(options.dbPath)]);
  } else if (options.dbPath) pairs.push([options.dbPath, withoutPassword(options.dbPath)]);
  // The longest first, so that a database inside the project folder keeps its own name.
  return pairs.filter(([from]) => from.length > 1).sort((a, b) => b[0].length - a[0].length);
}

/**
 * Every string in `value` (the site's data, a catalog) with the machine's paths replaced: compiler
 * messages, engine errors and run errors may quote them anywhere.
 */
export function hideMachinePaths<T>(value: T, replacements: [string, string][]): T {
  if (!replacements.length) return value;
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      let text = item;
      for (const [from, to] of replacements) text = text.split(from).join(to);
      return text;
    }
    if (Array.isArray(item)) return item.map(walk);
    if (item && typeof item === 'object')
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, walk(inner)]));
    return item;
  };
  return walk(value) as T;
}
