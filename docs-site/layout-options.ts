/**
 * The lineage graph's geometry and elkjs options, in one place: the generator lays out the whole
 * project with them in Node (layout.ts) and the page lays out a selection's lineage with them in the
 * browser (browser/graph.ts imports this module; esbuild bundles it), so the two cannot drift.
 * Pure: no Node or DOM imports.
 */

/** The height of every node. */
export const NODE_HEIGHT = 34;
/** An upper bound of a 12 px system-ui character (DejaVu Sans, the widest common one, is about 6.8). */
const CHAR_WIDTH = 7;
/** The layer bar and the gap before the label (the page draws the label at this x). */
export const LABEL_LEFT = 13;
/** Room on the right for the last-run dot. */
export const DOT_ROOM = 16;
/** The assertion badge the page draws left of the last-run dot. */
export const BADGE_WIDTH = 26;
/** The room a badge takes: the pill and the gap before it. */
export const BADGE_ROOM = BADGE_WIDTH + 4;
const MIN_WIDTH = 80;
const ORTHOGONAL_EDGE_LIMIT = 300;

/** Node widths follow the label so that names stay readable; the browser draws the same text. */
export function nodeWidth(label: string, badge = false): number {
  const width = Math.round(LABEL_LEFT + label.length * CHAR_WIDTH + DOT_ROOM + (badge ? BADGE_ROOM : 0));
  return Math.max(MIN_WIDTH, width);
}

/** The elkjs options of every lineage layout, the whole project's and a selection's. */
export function lineageLayoutOptions(edgeCount: number): Record<string, string> {
  return {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    // Orthogonal routes read best, but each edge claims its own channel between layers; past a few
    // hundred edges that makes the graph several times wider, so big projects get straight segments.
    'elk.edgeRouting': edgeCount > ORTHOGONAL_EDGE_LIMIT ? 'POLYLINE' : 'ORTHOGONAL',
    // Narrow gaps between layers: a medallion project is wide, and every unit here costs label size
    // when the graph is fitted to the pane.
    'elk.layered.spacing.nodeNodeBetweenLayers': '40',
    'elk.layered.spacing.edgeNodeBetweenLayers': '12',
    'elk.spacing.nodeNode': '14',
    'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
    // Fewer crossing-minimisation passes: a 500-action graph lays out in about a second, barely less tidy.
    'elk.layered.thoroughness': '3',
    // One layered graph rather than packed components: sources are pinned to the first layer (below),
    // so a declaration nothing reads yet sits with the other sources instead of floating on its own.
    'elk.separateConnectedComponents': 'false',
  };
}

/** Sources (declarations) start the lineage whatever reads them, even when nothing does. */
export function nodeLayoutOptions(action: { layer: string }): Record<string, string> | undefined {
  return action.layer === 'source' ? { 'elk.layered.layering.layerConstraint': 'FIRST' } : undefined;
}
