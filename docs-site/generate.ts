import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AsyncExecutor, CompilationError, CompiledGraph, CompileOverrides } from '../adapter/index.js';
import { hideMachinePaths } from '../lib/index.js';
import { type DocsCatalog, emptyCatalog, readCatalogSnapshot } from './catalog-snapshot.js';
import { type DocsAdapter, defaultDocsAdapter } from './docs-adapter.js';
import { buildDocsModel } from './docs-model.js';
import { layoutSite } from './layout.js';
import { docsPathReplacements } from './machine-paths.js';
import { siteAssetFiles } from './site-assets.js';
import { type DocsSiteData, dataScript } from './site-data.js';

/** Where `bambuzled docs generate` writes when `--out` is not given. */
export const DEFAULT_DOCS_OUT_DIR = 'docs-out';

export interface GenerateDocsOptions {
  projectDir: string;
  /**
   * A connection (read-only is enough) to the database to read the catalog and run history from;
   * without it the site says the catalog is empty.
   */
  db?: AsyncExecutor;
  /** Shown on the page next to the catalog (the path of `db`). */
  dbPath?: string;
  outDir: string;
  adapter?: DocsAdapter;
  now?: () => Date;
  /** `--schema-suffix`, `--table-prefix`, …: document (and read the catalog of) that environment. */
  overrides?: CompileOverrides;
}

export interface WriteDocsOptions extends Omit<GenerateDocsOptions, 'projectDir'> {
  graph: CompiledGraph;
  /** The project's folder: the pages name it by its folder name wherever a message quotes it. */
  projectDir?: string;
}

export type GenerateDocsResult =
  | {
      ok: true;
      outDir: string;
      files: string[];
      actionCount: number;
      catalogStatus: DocsCatalog['status'];
      durationMs: number;
    }
  | { ok: false; errors: CompilationError[]; message: string; durationMs: number };

/** Builds the data file's content: model, elkjs layouts and the catalog (empty without a database). */
export async function buildSiteData(
  graph: CompiledGraph,
  options: {
    db?: AsyncExecutor;
    dbPath?: string;
    projectDir?: string;
    adapter?: DocsAdapter;
    live?: boolean;
    now?: () => Date;
  },
): Promise<DocsSiteData> {
  const adapter = options.adapter ?? defaultDocsAdapter;
  const now = options.now ?? (() => new Date());
  const model = buildDocsModel(graph, adapter.sqliteNameOf, adapter.refRewriterFor(graph));
  // The page starts with assertions folded into badges on what they check (narrow enough to read at
  // first sight) and switches to the full layout when the reader asks to see them.
  const { layout, compactLayout } = await layoutSite(model);
  const catalog = options.db
    ? await readCatalogSnapshot(options.db, graph, adapter, { dbPath: options.dbPath ?? null, now })
    : emptyCatalog(
        'no-database',
        null,
        'The catalog is empty: these docs were generated without a database. Pass --db PATH to ' +
          '`bambuzled docs generate`, or use `bambuzled docs serve`, which reads the database live.',
        now,
      );
  const data: DocsSiteData = {
    generatedAt: now().toISOString(),
    live: Boolean(options.live),
    model,
    layout,
    compactLayout,
    catalog,
  };
  // The site may be shared: no absolute path of this machine in it (compiler messages quote them).
  return hideMachinePaths(
    data,
    docsPathReplacements({
      ...(options.projectDir ? { projectDir: options.projectDir } : {}),
      ...(options.dbPath ? { dbPath: options.dbPath } : {}),
    }),
  );
}

/** Writes the static site for an already compiled graph (the scale tests skip compiling 500 files). */
export async function writeDocsSite(options: WriteDocsOptions): Promise<GenerateDocsResult & { ok: true }> {
  const started = performance.now();
  const data = await buildSiteData(options.graph, options);
  const json = JSON.stringify(data);
  const outDir = resolve(options.outDir);
  const files = [
    ...siteAssetFiles().map((file) => ({ path: file.path, body: file.body })),
    { path: 'docs-data.json', body: json },
    { path: 'docs-data.js', body: dataScript(json) },
  ];
  for (const file of files) {
    const target = join(outDir, file.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.body);
  }
  return {
    ok: true,
    outDir,
    files: files.map((file) => file.path),
    actionCount: data.model.actions.length,
    catalogStatus: data.catalog.status,
    durationMs: Math.round(performance.now() - started),
  };
}

/**
 * Compiles the project through the adapter and writes a static docs site to `outDir`: index.html,
 * app.js, style.css, vendored highlight.js and `docs-data.json`. Compilation errors are returned, not thrown.
 */
export async function generateDocsSite(options: GenerateDocsOptions): Promise<GenerateDocsResult> {
  const started = performance.now();
  const adapter = options.adapter ?? defaultDocsAdapter;
  const compiled = await adapter.compileProject({
    projectDir: options.projectDir,
    ...(options.overrides ? { overrides: options.overrides } : {}),
  });
  if (!compiled.ok) {
    return {
      ok: false,
      errors: compiled.errors,
      message: compiled.message,
      durationMs: Math.round(performance.now() - started),
    };
  }
  const written = await writeDocsSite({ ...options, graph: compiled.graph, adapter });
  return { ...written, durationMs: Math.round(performance.now() - started) };
}
