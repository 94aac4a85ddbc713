import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import {
  type CompilationError,
  type CompiledGraph,
  type CompileOverrides,
  isServerUrl,
  withoutPassword,
} from '../adapter/index.js';
import {
  checkToken,
  contentSecurityPolicy,
  createGuardedServer,
  type GuardSettings,
  hideMachinePaths,
  type Logger,
  type MachineNames,
  sendPlain,
} from '../lib/index.js';
import { readCatalogFile } from './catalog-snapshot.js';
import { type DocsAdapter, defaultDocsAdapter } from './docs-adapter.js';
import { buildDocsModel, type DocsModel } from './docs-model.js';
import { type LineageLayout, layoutSite } from './layout.js';
import { docsPathReplacements } from './machine-paths.js';
import { contentTypeOf, type SiteFile, siteAssetFiles } from './site-assets.js';
import { type DocsSiteData, dataScript } from './site-data.js';

export const DEFAULT_DOCS_PORT = 8080;
export const DEFAULT_DOCS_HOST = '127.0.0.1';

export interface ServeDocsOptions {
  projectDir: string;
  /** Read live on every catalog request; the file may not exist yet. */
  dbPath: string;
  /** 0 picks a free port (tests). */
  port?: number;
  host?: string;
  adapter?: DocsAdapter;
  logger?: Logger;
  now?: () => Date;
  /** `--schema-suffix`, `--table-prefix`, …: document (and read the catalog of) that environment. */
  overrides?: CompileOverrides;
  /**
   * Host names accepted besides the bind address's own (`--allowed-host`: a reverse proxy, a LAN
   * name); any other Host header is refused, as on the status server.
   */
  allowedHosts?: readonly string[];
  /** The machine's names and addresses (read from the OS at start unless given). */
  machine?: MachineNames;
  /**
   * When set, the site's data (the SQL, the catalog) needs `Authorization: Bearer <token>`, as the
   * status API does; the page asks once and keeps it for the session (or open it as /#token=<token>).
   * Never shown or logged.
   */
  token?: string;
}

export interface DocsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Raised when the port cannot be bound; the message says how to pick another. */
export class DocsServerListenError extends Error {
  constructor(port: number, host: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`Cannot serve the docs on ${host}:${port} (${reason}). Pass --port with a free port.`, { cause });
    this.name = 'DocsServerListenError';
  }
}

interface CompiledSite {
  graph: CompiledGraph;
  model: DocsModel;
  layout: LineageLayout;
  compactLayout: LineageLayout;
}

/** The answers that hold the project (its SQL, the catalog): behind the token when one is set. */
const DATA_PATHS = new Set(['/docs-data.json', '/docs-data.js', '/api/catalog']);

const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Serves the docs site. Each page load recompiles through the adapter (which caches by file content,
 * so edited definitions show up on reload) and every catalog request opens the database read-only
 * afresh, so a database created or filled after start appears without a restart.
 */
export async function serveDocs(options: ServeDocsOptions): Promise<DocsServer> {
  const adapter = options.adapter ?? defaultDocsAdapter;
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? (() => new Date());
  const host = options.host ?? DEFAULT_DOCS_HOST;
  // A server URL (postgres://) is used as it is; a file path is made absolute for the messages.
  const dbPath = isServerUrl(options.dbPath) ? options.dbPath : resolve(options.dbPath);
  const assets = new Map<string, SiteFile>(siteAssetFiles().map((file) => [`/${file.path}`, file]));
  // The pages name the project and the database; they never show this machine's folders.
  const hidden = docsPathReplacements({ projectDir: options.projectDir, dbPath });

  let lastGood: CompiledSite | undefined;
  let lastKey = '';
  let inFlight: Promise<{ site: CompiledSite | undefined; errors: CompilationError[] }> | undefined;

  const compile = async (): Promise<{ site: CompiledSite | undefined; errors: CompilationError[] }> => {
    const outcome = await adapter.compileProject({
      projectDir: options.projectDir,
      ...(options.overrides ? { overrides: options.overrides } : {}),
    });
    if (!outcome.ok) {
      logger.warn(`compilation failed: ${outcome.message}`);
      const errors = outcome.errors.length ? outcome.errors : [{ message: outcome.message }];
      return { site: lastGood, errors };
    }
    // The layout is the slow part; redo it only when the graph itself changed.
    const key = createHash('sha1').update(JSON.stringify(outcome.graph)).digest('hex');
    if (!lastGood || key !== lastKey) {
      const model = buildDocsModel(
        outcome.graph,
        adapter.sqliteNameOf,
        adapter.refRewriterFor(outcome.graph),
      );
      lastGood = { graph: outcome.graph, model, ...(await layoutSite(model)) };
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

  const siteData = async (): Promise<DocsSiteData> => {
    const { site, errors } = await currentSite();
    const model: DocsModel = site
      ? { ...site.model, compilationErrors: [...site.model.compilationErrors, ...errors] }
      : {
          projectName: '',
          environment: null,
          defaultSchema: '',
          dataformCoreVersion: '',
          actions: [],
          edges: [],
          compilationErrors: errors,
        };
    const empty: LineageLayout = { width: 0, height: 0, nodes: {}, edges: [] };
    const catalog = await readCatalogFile(dbPath, site?.graph ?? {}, adapter, now);
    return hideMachinePaths(
      {
        generatedAt: now().toISOString(),
        live: true,
        model,
        layout: site?.layout ?? empty,
        compactLayout: site?.compactLayout ?? empty,
        catalog,
      },
      hidden,
    );
  };

  const send = (res: ServerResponse, status: number, contentType: string, body: string) => {
    res.writeHead(status, {
      'content-type': contentType,
      // The page's scripts and styles are files of this site: nothing inline runs.
      'content-security-policy': contentSecurityPolicy(),
    });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, guard: GuardSettings) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    // The docs only read: a POST from anywhere (a cross-site form included) changes nothing.
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'The docs site only answers GET and HEAD.\n');
    }
    // The page and its scripts are the same for everyone; what the project holds needs the token.
    if (DATA_PATHS.has(path)) {
      const token = checkToken(req.headers, guard);
      if (!token.ok) return send(res, token.status, 'text/plain; charset=utf-8', `${token.message}\n`);
    }
    if (path === '/api/catalog') {
      const { site } = await currentSite();
      const catalog = await readCatalogFile(dbPath, site?.graph ?? {}, adapter, now);
      return send(res, 200, contentTypeOf('.json'), JSON.stringify(hideMachinePaths(catalog, hidden)));
    }
    if (path === '/docs-data.json')
      return send(res, 200, contentTypeOf('.json'), JSON.stringify(await siteData()));
    if (path === '/docs-data.js')
      return send(res, 200, contentTypeOf('.js'), dataScript(JSON.stringify(await siteData())));
    // Browsers ask for a favicon on their own; an empty answer keeps the console free of 404s.
    if (path === '/favicon.ico') return send(res, 204, 'image/x-icon', '');
    const asset = assets.get(path === '/' ? '/index.html' : path);
    if (asset) return send(res, 200, asset.contentType, asset.body);
    return send(res, 404, 'text/plain; charset=utf-8', `Not found: ${path}\n`);
  };

  // The HTTP layer the status server uses too: foreign Host names refused, security headers on every answer.
  const { server } = createGuardedServer({
    host,
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
    ...(options.machine ? { machine: options.machine } : {}),
    ...(options.token ? { token: options.token } : {}),
    handle,
    onError: (error, req, res) => {
      logger.error(`request ${req.url} failed: ${error instanceof Error ? error.message : String(error)}`);
      sendPlain(res, 500, 'Internal error; see the server log.');
    },
  });
  const requestedPort = options.port ?? DEFAULT_DOCS_PORT;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (error) => reject(new DocsServerListenError(requestedPort, host, error)));
    server.listen(requestedPort, host, () => resolveListen());
  });
  // Compile once now so that errors show in the log at start, not at the first visit.
  currentSite().catch((error: unknown) =>
    logger.error(`compilation crashed: ${error instanceof Error ? error.message : String(error)}`),
  );
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  logger.info(`docs at ${url} (catalog from ${withoutPassword(dbPath)})`);
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}
