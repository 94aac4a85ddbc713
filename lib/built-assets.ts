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
