/**
 * The colour groups of the lineage graph, in the order the legend and the sidebar list them (and data
 * flows through them). Pure, so that the generator (docs-model.ts) and the page (browser/) share it.
 */
export type DocsLayer = 'source' | 'bronze' | 'silver' | 'gold' | 'model' | 'assertion';

export const DOCS_LAYERS: readonly DocsLayer[] = ['source', 'bronze', 'silver', 'gold', 'model', 'assertion'];

/** What the legend and the sidebar call each layer. */
export const LAYER_LABELS: Readonly<Record<DocsLayer, string>> = {
  source: 'Sources',
  bronze: 'Bronze',
  silver: 'Silver',
  gold: 'Gold',
  model: 'Models',
  assertion: 'Assertions',
};
