import type { DocsCatalog } from './catalog-snapshot.js';
import type { DocsModel } from './docs-model.js';
import type { LineageLayout } from './layout.js';

/**
 * The site's data file (`docs-data.json`): the compiled project with its layout, and the catalog as it
 * was when the file was written. A served site sets `live` and the page reads `api/catalog` for fresh
 * numbers.
 */
export interface DocsSiteData {
  generatedAt: string;
  live: boolean;
  model: DocsModel;
  /** Every action, assertions included: the graph with the "assertions" toggle on. */
  layout: LineageLayout;
  /** Sources and models only; each assertion is a badge on what it checks. The page's first view. */
  compactLayout: LineageLayout;
  catalog: DocsCatalog;
}

/** `docs-data.js`: the same data for a page opened from disk, where browsers refuse `fetch` of files. */
export function dataScript(json: string): string {
  return `window.BAMBUZLED_DOCS = ${json};\n`;
}
