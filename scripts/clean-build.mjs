// Empties a build's out dir (the first argument) before tsc writes it: tsc never deletes, so a file
// that left the build (a moved test kit, a benchmark) would otherwise stay in dist/ and ship.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = process.argv[2];
if (out !== 'dist' && out !== 'dist-bench') {
  console.error(`clean-build: expected dist or dist-bench, not ${out ?? 'nothing'}.`);
  process.exit(2);
}
rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', out), { recursive: true, force: true });
