/**
 * The docs site: lineage graph, per-action docs and a catalog read from SQLite. `generateDocsSite` writes
 * a static copy; `serveDocs` serves it with the catalog read live.
 */

export { BuiltAssetsMissingError as DocsAssetsMissingError } from '../lib/index.js';
export type { DocsCatalog, DocsCatalogEntry, DocsRunResult } from './catalog-snapshot.js';
export { type DocsAdapter, defaultDocsAdapter } from './docs-adapter.js';
export type { DocsAction, DocsLayer, DocsModel } from './docs-model.js';
export {
  buildSiteData,
  DEFAULT_DOCS_OUT_DIR,
  type GenerateDocsOptions,
  type GenerateDocsResult,
  generateDocsSite,
  writeDocsSite,
} from './generate.js';
export type { LineageLayout } from './layout.js';
export {
  DEFAULT_DOCS_HOST,
  DEFAULT_DOCS_PORT,
  type DocsServer,
  DocsServerListenError,
  type ServeDocsOptions,
  serveDocs,
} from './server.js';
export type { DocsSiteData } from './site-data.js';
export { syntheticGraph } from './synthetic-graph.js';
