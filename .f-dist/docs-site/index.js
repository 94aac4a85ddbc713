export { defaultDocsAdapter } from './docs-adapter.js';
export { buildSiteData, DEFAULT_DOCS_OUT_DIR, generateDocsSite, writeDocsSite, } from './generate.js';
export { DEFAULT_DOCS_HOST, DEFAULT_DOCS_PORT, DocsServerListenError, serveDocs, } from './server.js';
export { DocsAssetsMissingError } from './site-assets.js';
export { syntheticGraph } from './synthetic-graph.js';
//# sourceMappingURL=index.js.map