import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
/** Raised when the site's own files are missing from the installation (a broken checkout or package). */
export class DocsAssetsMissingError extends Error {
    looked;
    constructor(looked) {
        super(`The docs site's assets were not found (looked in ${looked.join(', ')}). ` +
            'Reinstall bambuzled or run it from a complete checkout.');
        this.looked = looked;
        this.name = 'DocsAssetsMissingError';
    }
}
const TYPES = {
    html: 'text/html; charset=utf-8',
    js: 'text/javascript; charset=utf-8',
    css: 'text/css; charset=utf-8',
    json: 'application/json; charset=utf-8',
};
export function contentTypeOf(path) {
    return TYPES[path.split('.').pop() ?? ''] ?? 'application/octet-stream';
}
/** docs-site/assets, whether this module runs from the sources (vitest) or from dist/docs-site. */
function assetsDir() {
    const here = dirname(fileURLToPath(import.meta.url));
    const candidates = [join(here, 'assets'), join(here, '..', '..', 'docs-site', 'assets')];
    const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
    if (!found)
        throw new DocsAssetsMissingError(candidates);
    return found;
}
/**
 * highlight.js ships CommonJS only; wrapping it lets the page load it with a plain script tag, with no
 * bundler and no CDN.
 */
function wrapCommonJs(source, assign) {
    return `(function () {\nvar module = { exports: {} };\nvar exports = module.exports;\n${source}\n;${assign}\n})();\n`;
}
const APP_FILES = [
    'index.html',
    'style.css',
    'core.js',
    'graph.js',
    'search.js',
    'panels.js',
    'app.js',
];
/** Every static file of the site: the page, its styles and scripts, and vendored highlight.js and elkjs. */
export function siteAssetFiles() {
    const dir = assetsDir();
    const files = APP_FILES.map((name) => ({
        path: name,
        contentType: contentTypeOf(name),
        body: readFileSync(join(dir, name), 'utf8'),
    }));
    const require = createRequire(import.meta.url);
    const hljsRoot = dirname(require.resolve('highlight.js/package.json'));
    const read = (relative) => readFileSync(join(hljsRoot, relative), 'utf8');
    files.push({
        path: 'vendor/highlight.js',
        contentType: TYPES.js,
        body: wrapCommonJs(read('lib/core.js'), 'window.hljs = module.exports;'),
    }, {
        path: 'vendor/highlight-sql.js',
        contentType: TYPES.js,
        body: wrapCommonJs(read('lib/languages/sql.js'), "window.hljs.registerLanguage('sql', module.exports);"),
    }, { path: 'vendor/highlight-github.css', contentType: TYPES.css, body: read('styles/github.css') }, {
        // For the lineage-only view, which lays out a selection in the page; the page loads it on demand.
        path: 'vendor/elk.bundled.js',
        contentType: TYPES.js,
        body: readFileSync(join(dirname(require.resolve('elkjs/package.json')), 'lib', 'elk.bundled.js'), 'utf8'),
    });
    return files;
}
//# sourceMappingURL=site-assets.js.map