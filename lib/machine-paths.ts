import { basename, isAbsolute, relative, resolve } from 'node:path';

/**
 * The pages (the docs site, the status page) may be shared or served to the LAN: the machine's
 * folders are not theirs to show. These helpers name a project and a file without them.
 */

/** What a path becomes on the pages: `[from, to]`. */
export type PathReplacement = [from: string, to: string];

/**
 * How the pages name a project folder: its path relative to the working directory when it lies
 * inside it (`projects/farm`), else its folder name (`farm`), so no absolute path and no `..` climb
 * out of the working directory.
 */
export function projectShownAs(projectDir: string, cwd: string = process.cwd()): string {
  const absolute = resolve(cwd, projectDir);
  const inside = relative(cwd, absolute);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return basename(absolute);
  return inside;
}

/**
 * What each absolute path of the machine becomes: the project as projectShownAs names it, each file
 * by its name (as resolved, and as given when given relative), and `also` as said. The longest first,
 * so that a file inside the project folder keeps its own name.
 */
export function pathReplacements(places: {
  projectDir?: string | undefined;
  files?: readonly string[];
  also?: readonly PathReplacement[];
}): PathReplacement[] {
  const pairs: PathReplacement[] = [];
  if (places.projectDir) pairs.push([resolve(places.projectDir), projectShownAs(places.projectDir)]);
  for (const file of places.files ?? []) {
    pairs.push([resolve(file), basename(file)]);
    if (file !== resolve(file)) pairs.push([file, basename(file)]);
  }
  pairs.push(...(places.also ?? []));
  return pairs.filter(([from]) => from.length > 1).sort((a, b) => b[0].length - a[0].length);
}

/**
 * Every string in `value` (a page's data, an API answer) with the machine's paths replaced: compiler
 * messages, engine errors and run errors may quote them anywhere.
 */
export function hideMachinePaths<T>(value: T, replacements: readonly PathReplacement[]): T {
  if (!replacements.length) return value;
  // A path is replaced where no letter or digit goes on after it: `/app` in `/app/x.sqlx` and a file
  // in `history.db-wal` or `history.db.listener.json` (its own side files), but not in `/apple`.
  const patterns = replacements.map(
    ([from, to]) => [new RegExp(`${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?!\\w)`, 'g'), to] as const,
  );
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      let text = item;
      for (const [from, to] of patterns) text = text.replace(from, () => to);
      return text;
    }
    if (Array.isArray(item)) return item.map(walk);
    if (item && typeof item === 'object')
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, walk(inner)]));
    return item;
  };
  return walk(value) as T;
}
