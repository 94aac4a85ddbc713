import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import type { Command } from 'commander';
import type { CompileOverrides } from '../../adapter/index.js';
import {
  type AsyncExecutor,
  EngineError,
  isServerUrl,
  openEngine,
  withoutPassword,
} from '../../adapter/index.js';
import {
  DEFAULT_DOCS_HOST,
  DEFAULT_DOCS_OUT_DIR,
  DEFAULT_DOCS_PORT,
  type DocsServer,
  DocsServerListenError,
  generateDocsSite,
  serveDocs,
} from '../../docs-site/index.js';
import { consoleLogger } from '../../lib/index.js';
import { resolveDbPath } from '../db-path.js';
import type { CompileFlags } from './compile-flags.js';

interface GenerateFlags extends CompileFlags {
  out: string;
  db?: string;
}

interface ServeFlags extends CompileFlags {
  port: string;
  host: string;
  db?: string;
  allowedHost?: string[];
  token?: string;
}

function parsePort(text: string): number | undefined {
  const port = Number(text);
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : undefined;
}

async function generate(projectDir: string, flags: GenerateFlags): Promise<number> {
  const dbPath = resolveDbPath(flags.db);
  // What messages and the page show: a server URL without its password.
  const shown = withoutPassword(dbPath);
  let db: AsyncExecutor | undefined;
  // A server (postgres://) is always asked; a SQLite file only when it exists.
  if (isServerUrl(dbPath) || existsSync(dbPath)) {
    try {
      // Read-only: the docs never write. A damaged or unreadable file is one line naming it.
      db = await openEngine(dbPath).connect({ readonly: true });
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      console.error(error.message);
      return 2;
    }
  } else if (flags.db) {
    console.error(`No database at ${dbPath}: pass --db with the path of an existing database.`);
    return 2;
  }
  try {
    const result = await generateDocsSite({
      projectDir,
      outDir: flags.out,
      overrides: overridesOf(flags),
      ...(db ? { db, dbPath: shown } : {}),
    });
    if (!result.ok) {
      console.error(result.message);
      return 1;
    }
    const fromHere = relative(process.cwd(), result.outDir);
    const where = fromHere === '' ? '.' : fromHere.startsWith('..') ? result.outDir : fromHere;
    console.log(`Wrote the docs for ${result.actionCount} actions to ${where}/ in ${result.durationMs} ms.`);
    if (result.catalogStatus === 'ready') console.log(`Catalog read from ${shown}.`);
    else
      console.log(
        `No database at ${dbPath}: the catalog is empty. Pass --db, or use \`bambuzled docs serve\` for a live catalog.`,
      );
    console.log(`Open ${where}/index.html in a browser, or serve the folder with any static file server.`);
    return 0;
  } catch (error) {
    // The catalog is read as data; what can still fail here is the engine itself (a file that is
    // not a database is only found out at the first read): one line, no stack.
    if (!(error instanceof EngineError)) throw error;
    console.error(error.message);
    return 2;
  } finally {
    await db?.close();
  }
}

async function serve(projectDir: string, flags: ServeFlags): Promise<number> {
  const port = parsePort(flags.port);
  if (port === undefined) {
    console.error(`--port expects a port number between 0 and 65535; got "${flags.port}".`);
    return 2;
  }
  const dbPath = resolveDbPath(flags.db);
  const token = flags.token ?? process.env.BAMBUZLED_DOCS_TOKEN;
  const logger = consoleLogger('docs', [token ?? '']);
  let server: DocsServer;
  try {
    server = await serveDocs({
      projectDir,
      dbPath,
      port,
      host: flags.host,
      ...(flags.allowedHost ? { allowedHosts: flags.allowedHost } : {}),
      ...(token ? { token } : {}),
      logger,
      overrides: overridesOf(flags),
    });
  } catch (error) {
    if (!(error instanceof DocsServerListenError)) throw error;
    console.error(error.message);
    return 1;
  }
  console.log(`Docs at ${server.url} (catalog read live from ${withoutPassword(dbPath)}). Ctrl-C to stop.`);
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolveStop, resolveStop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/** The flags that pick an environment (as `run` builds it), so that the docs read that copy of the tables. */
function environmentFlags(command: Command): Command {
  return command
    .option('--schema-suffix <suffix>', 'document the environment `run --schema-suffix` builds')
    .option('--table-prefix <prefix>', 'document the environment `run --table-prefix` builds')
    .option('--default-schema <schema>', "override workflow_settings.yaml's default schema, as `run` does")
    .option(
      '--assertion-schema <schema>',
      "override workflow_settings.yaml's assertion schema, as `run` does",
    );
}

function overridesOf(flags: CompileFlags): CompileOverrides {
  return {
    ...(flags.schemaSuffix ? { schemaSuffix: flags.schemaSuffix } : {}),
    ...(flags.tablePrefix ? { tablePrefix: flags.tablePrefix } : {}),
    ...(flags.defaultSchema ? { defaultSchema: flags.defaultSchema } : {}),
    ...(flags.assertionSchema ? { assertionSchema: flags.assertionSchema } : {}),
  };
}

/** `bambuzled docs generate|serve`: the lineage, column docs and catalog of a Dataform project. */
export function registerDocs(program: Command): void {
  const docs = program
    .command('docs')
    .description('Documentation site: lineage graph, column docs and the SQLite catalog (like dbt docs).');

  const generateCommand = docs
    .command('generate')
    .description('Write a static docs site (open index.html, or serve the folder).')
    .argument('[project-dir]', 'the Dataform project', '.')
    .option('--out <dir>', 'where to write the site', DEFAULT_DOCS_OUT_DIR)
    .option(
      '--db <path>',
      'the SQLite database to read the catalog from (default: BAMBUZLED_DB or data/print_history.db)',
    );
  environmentFlags(generateCommand).action(async (projectDir: string, flags: GenerateFlags) => {
    process.exitCode = await generate(projectDir, flags);
  });

  const serveCommand = docs
    .command('serve')
    .description('Serve the docs; the catalog is read live, so new tables and row counts show on reload.')
    .argument('[project-dir]', 'the Dataform project', '.')
    .option('--port <port>', 'port to listen on', String(DEFAULT_DOCS_PORT))
    .option('--host <host>', 'address to bind (0.0.0.0 to serve the LAN)', DEFAULT_DOCS_HOST)
    .option(
      '--db <path>',
      'the SQLite database (default: BAMBUZLED_DB or data/print_history.db); may not exist yet',
    )
    .option(
      '--allowed-host <name...>',
      'a host name the docs answer to besides the bind address (a reverse proxy, a LAN name); others are refused',
    )
    .option(
      '--token <token>',
      'require "Authorization: Bearer <token>" for the SQL and the catalog (or $BAMBUZLED_DOCS_TOKEN)',
    );
  environmentFlags(serveCommand).action(async (projectDir: string, flags: ServeFlags) => {
    process.exitCode = await serve(projectDir, flags);
  });
}
