import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: Buffer | null | undefined;

/**
 * Chart.js's UMD build, read from node_modules once: the status page draws the owners' charts with
 * it and works offline (no CDN). null when the package is missing.
 */
export function chartLibrary(): Buffer | null {
  if (cached !== undefined) return cached;
  try {
    const main = createRequire(import.meta.url).resolve('chart.js');
    cached = readFileSync(join(dirname(main), 'chart.umd.min.js'));
  } catch {
    cached = null;
  }
  return cached;
}
