import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { resolve } from 'node:path';
import { readCatalogFile } from './catalog-snapshot.js';
import { defaultDocsAdapter } from './docs-adapter.js';
import { buildDocsModel } from './docs-model.js';
import { layoutLineage } from './layout.js';
import { contentTypeOf, siteAssetFiles } from './site-assets.js';
import { dataScript } from './site-data.js';
export const DEFAULT_DOCS_PORT = 8080;
export const DEFAULT_DOCS_HOST = '127.0.0.1';
/** Raised when the port cannot be bound; the message says how to pick another. */
export class DocsServerListenError extends Error {
    constructor(port, host, cause) {
        const reason = cause instanceof Error ? cause.message : String(cause);
        super(`Cannot serve the docs on ${host}:${port} (${reason}). Pass --port with a free port.`, { cause });
        this.name = 'DocsServerListenError';
    }
}
const silentLogger = { info: () => { }, warn: () => { }, error: () => { } };
/**
 * Serves the docs site. Each page load recompiles through the adapter (which caches by file content,
 * so edited definitions show up on reload) and every catalog request opens the database read-only
 * afresh, so a database created or filled after start appears without a restart.
 */
export async function serveDocs(options) {
    const adapter = options.adapter ?? defaultDocsAdapter;
    const logger = options.logger ?? silentLogger;
    const now = options.now ?? (() => new Date());
    const host = options.host ?? DEFAULT_DOCS_HOST;
    const dbPath = resolve(options.dbPath);
    const assets = new Map(siteAssetFiles().map((file) => [`/${file.path}`, file]));
    let lastGood;
    let lastKey = '';
    let inFlight;
    const compile = async () => {
        const outcome = await adapter.compileProject({ projectDir: options.projectDir });
        if (!outcome.ok) {
            logger.warn(`compilation failed: ${outcome.message}`);
            const errors = outcome.errors.length ? outcome.errors : [{ message: outcome.message }];
            return { site: lastGood, errors };
        }
        // The layout is the slow part; redo it only when the graph itself changed.
        const key = createHash('sha1').update(JSON.stringify(outcome.graph)).digest('hex');
        if (!lastGood || key !== lastKey) {
            const model = buildDocsModel(outcome.graph, adapter.sqliteNameOf, adapter.refRewriterFor(outcome.graph));
            lastGood = { graph: outcome.graph, model, layout: await layoutLineage(model) };
            lastKey = key;
            logger.info(`compiled ${model.actions.length} actions`);
        }
        return { site: lastGood, errors: [] };
    };
    // Concurrent page loads share one compilation.
    const currentSite = () => {
        inFlight ??= compile().finally(() => {
            inFlight = undefined;
        });
        return inFlight;
    };
    const siteData = async () => {
        const { site, errors } = await currentSite();
        const model = site
            ? { ...site.model, compilationErrors: [...site.model.compilationErrors, ...errors] }
            : {
                projectName: '',
                defaultSchema: '',
                dataformCoreVersion: '',
                actions: [],
                edges: [],
                compilationErrors: errors,
            };
        const layout = site?.layout ?? { width: 0, height: 0, nodes: {}, edges: [] };
        const catalog = readCatalogFile(dbPath, site?.graph ?? {}, adapter, now);
        return { generatedAt: now().toISOString(), live: true, model, layout, catalog };
    };
    const send = (res, status, contentType, body) => {
        res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
        res.end(body);
    };
    const handle = async (req, res) => {
        const path = new URL(req.url ?? '/', 'http://localhost').pathname;
        if (req.method !== 'GET' && req.method !== 'HEAD')
            return send(res, 405, 'text/plain', 'GET only\n');
        if (path === '/api/catalog') {
            const { site } = await currentSite();
            return send(res, 200, contentTypeOf('.json'), JSON.stringify(readCatalogFile(dbPath, site?.graph ?? {}, adapter, now)));
        }
        if (path === '/docs-data.json')
            return send(res, 200, contentTypeOf('.json'), JSON.stringify(await siteData()));
        if (path === '/docs-data.js')
            return send(res, 200, contentTypeOf('.js'), dataScript(JSON.stringify(await siteData())));
        // Browsers ask for a favicon on their own; an empty answer keeps the console free of 404s.
        if (path === '/favicon.ico')
            return send(res, 204, 'image/x-icon', '');
        const asset = assets.get(path === '/' ? '/index.html' : path);
        if (asset)
            return send(res, 200, asset.contentType, asset.body);
        return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}\n`);
    };
    const server = createServer((req, res) => {
        handle(req, res).catch((error) => {
            logger.error(`request ${req.url} failed: ${error instanceof Error ? error.message : String(error)}`);
            if (!res.headersSent)
                send(res, 500, 'text/plain; charset=utf-8', 'Internal error; see the server log.\n');
            else
                res.end();
        });
    });
    const requestedPort = options.port ?? DEFAULT_DOCS_PORT;
    await new Promise((resolveListen, reject) => {
        server.once('error', (error) => reject(new DocsServerListenError(requestedPort, host, error)));
        server.listen(requestedPort, host, () => resolveListen());
    });
    // Compile once now so that errors show in the log at start, not at the first visit.
    currentSite().catch((error) => logger.error(`compilation crashed: ${error instanceof Error ? error.message : String(error)}`));
    const port = server.address().port;
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
    logger.info(`docs at ${url} (catalog from ${dbPath})`);
    return {
        url,
        port,
        close: () => new Promise((resolveClose) => {
            server.closeAllConnections();
            server.close(() => resolveClose());
        }),
    };
}
//# sourceMappingURL=server.js.map