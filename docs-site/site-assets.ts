import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { builtAssetsDir } from '../lib/index.js';

/** One file of the site: its path under the site root, its MIME type and its bytes. */
export interface SiteFile {
  path: string;
  contentType: string;
  body: string;
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  return TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream';
}

/**
 * The site's own files as `npm run build` wrote them (dist/docs-site/assets: the page, its styles and
 * app.js, the bundle of docs-site/browser/), whether this module runs from dist/ or from the sources.
 */
function assetsDir(): string {
  return builtAssetsDir(import.meta.url, 'app.js', "The docs site's page and script (app.js)");
}

/**
 * highlight.js ships CommonJS only; wrapping it lets the page load it with a plain script tag, with no
 * bundler and no CDN.
 */
function wrapCommonJs(source: string, assign: string): string {
  return `(function () {\nvar module = { exports: {} };\nvar exports = module.exports;\n${source}\n;${assign}\n})();\n`;
}

const APP_FILES = ['index.html', 'style.css', 'app.js'] as const;

/** Every static file of the site: the page, its styles and scripts, and vendored highlight.js and elkjs. */
export function siteAssetFiles(): SiteFile[] {
  const dir = assetsDir();
  const files: SiteFile[] = APP_FILES.map((name) => ({
    path: name,
    contentType: contentTypeOf(name),
    body: readFileSync(join(dir, name), 'utf8'),
  }));
  const require = createRequire(import.meta.url);
  const hljsRoot = dirname(require.resolve('highlight.js/package.json'));
  const read = (relative: string) => readFileSync(join(hljsRoot, relative), 'utf8');
  files.push(
    {
      path: 'vendor/highlight.js',
      contentType: TYPES.js!,
      body: wrapCommonJs(read('lib/core.js'), 'window.hljs = module.exports;'),
    },
    {
      path: 'vendor/highlight-sql.js',
      contentType: TYPES.js!,
      body: wrapCommonJs(
        read('lib/languages/sql.js'),
        "window.hljs.registerLanguage('sql', module.exports);",
      ),
    },
    { path: 'vendor/highlight-github.css', contentType: TYPES.css!, body: read('styles/github.css') },
    {
      // For the lineage-only view, which lays out a selection in the page; the page loads it on demand.
      path: 'vendor/elk.bundled.js',
      contentType: TYPES.js!,
      body: readFileSync(
        join(dirname(require.resolve('elkjs/package.json')), 'lib', 'elk.bundled.js'),
        'utf8',
      ),
    },
  );
  return files;
}
