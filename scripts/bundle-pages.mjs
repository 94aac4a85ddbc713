// Builds the pages' browser code (part of `npm run build`, after tsc): each entry is a TypeScript ES
// module graph that esbuild bundles into one classic script (IIFE), because a page opened from disk
// (file://) may not load ES modules; the docs site's static files are copied beside its bundle, so
// that dist/ holds everything `bambuzled docs generate` writes and the status page serves. The out dir
// is the first argument (default dist): `npm run bench` bundles them into dist-bench/ too, whose
// compiled modules look for their assets beside themselves.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? 'dist';

const bundles = [
  { entry: 'docs-site/browser/app.ts', out: `${out}/docs-site/assets/app.js` },
  { entry: 'scheduler/browser/status-page.ts', out: `${out}/scheduler/assets/status-page.js` },
];
const copies = [
  { from: 'docs-site/assets/index.html', to: `${out}/docs-site/assets/index.html` },
  { from: 'docs-site/assets/style.css', to: `${out}/docs-site/assets/style.css` },
];

for (const bundle of bundles) {
  await build({
    entryPoints: [join(root, bundle.entry)],
    outfile: join(root, bundle.out),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'warning',
  });
}
for (const copy of copies) {
  mkdirSync(dirname(join(root, copy.to)), { recursive: true });
  copyFileSync(join(root, copy.from), join(root, copy.to));
}
