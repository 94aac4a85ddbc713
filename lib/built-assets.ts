import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Raised when the pages' built files are missing: a checkout that was never built, or a broken package. */
export class BuiltAssetsMissingError extends Error {
  constructor(
    readonly what: string,
    readonly looked: string[],
  ) {
    super(
      `${what} was not found (looked in ${looked.join(', ')}). ` +
        'Run `npm run build` in a checkout, or reinstall bambuzled.',
    );
    this.name = 'BuiltAssetsMissingError';
  }
}

/**
 * The `assets` folder `npm run build` writes for a stage (esbuild's bundles and the static files
 * beside them), whether the calling module runs from dist/<stage>/ or from the sources (vitest):
 * `moduleUrl` is the caller's `import.meta.url`; `marker` a file that must be there.
 */
export function builtAssetsDir(moduleUrl: string, marker: string, what: string): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const candidates = [join(here, 'assets'), join(here, '..', 'dist', basename(here), 'assets')];
  const found = candidates.find((dir) => existsSync(join(dir, marker)));
  if (!found) throw new BuiltAssetsMissingError(what, candidates);
  return found;
}

/**
 * The built JavaScript file `name` beside the calling module (a worker thread's entry, which Node
 * loads without the TypeScript the tests run from): dist/<stage>/name whether the caller runs from
 * dist/<stage>/ or from the sources (vitest, after `npm run build`).
 */
export function builtModule(moduleUrl: string, name: string, what: string): string {
  const here = dirname(fileURLToPath(moduleUrl));
  const candidates = [join(here, name), join(here, '..', 'dist', basename(here), name)];
  const found = moduleUrl.endsWith('.js')
    ? candidates[0]!
    : candidates.slice(1).find((file) => existsSync(file));
  if (!found || !existsSync(found)) throw new BuiltAssetsMissingError(what, candidates);
  return found;
}
