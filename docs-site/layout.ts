import ElkBundle from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import type { DocsAction, DocsModel } from './docs-model.js';

export interface NodeBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface EdgePath {
  from: string;
  to: string;
  /** Start, bend and end points of an orthogonal route. */
  points: [number, number][];
}

/** Where elkjs placed every node and routed every edge, in SVG user units. */
export interface LineageLayout {
  width: number;
  height: number;
  nodes: Record<string, NodeBox>;
  edges: EdgePath[];
}

export interface LayoutLineageOptions {
  /**
   * Draw assertions as nodes of their own (true, the default) or leave them out, so that the page shows
   * them as a badge on the node they check and the graph stays narrow enough to read at first sight.
   */
  assertions?: boolean;
}

/** Node geometry, shared with the page (assets/graph.js draws the same sizes). */
export const NODE_HEIGHT = 34;
/** An upper bound of a 12 px system-ui character (DejaVu Sans, the widest common one, is about 6.8). */
const CHAR_WIDTH = 7;
/** The layer bar and the gap before the label. */
const LABEL_LEFT = 13;
/** Room on the right for the last-run dot. */
const DOT_ROOM = 16;
/** The assertion badge (a 24-unit pill) and the gap before it. */
export const BADGE_ROOM = 30;
const MIN_WIDTH = 80;
const ORTHOGONAL_EDGE_LIMIT = 300;

/** Node widths follow the label so that names stay readable; the browser draws the same text. */
export function nodeWidth(label: string, badge = false): number {
  const width = Math.round(LABEL_LEFT + label.length * CHAR_WIDTH + DOT_ROOM + (badge ? BADGE_ROOM : 0));
  return Math.max(MIN_WIDTH, width);
}

/**
 * The elkjs options of every lineage layout. The page lays out a selection's lineage with the same
 * settings (assets/graph.js, `lineageLayout`), so keep the two in step.
 */
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
export function nodeLayoutOptions(action: Pick<DocsAction, 'layer'>): Record<string, string> | undefined {
  return action.layer === 'source' ? { 'elk.layered.layering.layerConstraint': 'FIRST' } : undefined;
}

/**
 * Lays out the lineage left to right with elkjs's layered algorithm (sources in the first layer,
 * assertions, when drawn, after what they check). Runs in Node at generation time so that the page
 * only draws.
 */
export async function layoutLineage(
  model: DocsModel,
  options: LayoutLineageOptions = {},
): Promise<LineageLayout> {
  const withAssertions = options.assertions ?? true;
  const actions = withAssertions ? model.actions : model.actions.filter((a) => a.kind !== 'assertion');
  const drawn = new Set(actions.map((action) => action.id));
  const modelEdges = model.edges.filter((edge) => drawn.has(edge.from) && drawn.has(edge.to));
  // The bundle is CommonJS; its constructor is both `module.exports` and `module.exports.default`.
  const elk = new ElkBundle.default();
  const graph: ElkNode = {
    id: 'root',
    layoutOptions: lineageLayoutOptions(modelEdges.length),
    children: actions.map((action) => {
      const layoutOptions = nodeLayoutOptions(action);
      return {
        id: action.id,
        width: nodeWidth(action.label, !withAssertions && action.assertions.length > 0),
        height: NODE_HEIGHT,
        ...(layoutOptions ? { layoutOptions } : {}),
      };
    }),
    edges: modelEdges.map((edge, index) => ({ id: `e${index}`, sources: [edge.from], targets: [edge.to] })),
  };
  const result: ElkNode = await elk.layout(graph);

  const nodes: Record<string, NodeBox> = {};
  for (const child of result.children ?? []) {
    nodes[child.id] = {
      x: Math.round(child.x ?? 0),
      y: Math.round(child.y ?? 0),
      width: child.width ?? 0,
      height: child.height ?? NODE_HEIGHT,
    };
  }
  const edges: EdgePath[] = (result.edges ?? []).map((edge, index) => {
    const points: [number, number][] = [];
    for (const section of edge.sections ?? []) {
      for (const point of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
        points.push([Math.round(point.x), Math.round(point.y)]);
      }
    }
    const source = modelEdges[index]!;
    return { from: source.from, to: source.to, points };
  });
  return { width: Math.ceil(result.width ?? 0), height: Math.ceil(result.height ?? 0), nodes, edges };
}

/** Both layouts a site needs: every action (`layout`) and assertions folded into badges (`compactLayout`). */
export async function layoutSite(
  model: DocsModel,
): Promise<{ layout: LineageLayout; compactLayout: LineageLayout }> {
  const layout = await layoutLineage(model, { assertions: true });
  const compactLayout = await layoutLineage(model, { assertions: false });
  return { layout, compactLayout };
}
