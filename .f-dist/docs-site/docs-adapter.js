import { compileProject, latestActionResults, readCatalog, refRewriterFor, sqliteNameOf, } from '../adapter/index.js';
export const defaultDocsAdapter = {
    compileProject,
    readCatalog,
    latestActionResults,
    sqliteNameOf,
    refRewriterFor,
};
//# sourceMappingURL=docs-adapter.js.map