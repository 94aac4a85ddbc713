import ElkBundle from 'elkjs/lib/elk.bundled.js';
import type { ElkNode } from 'elkjs/lib/elk-api.js';
import type { DocsModel } from './docs-model.js';
import { lineageLayoutOptions, NODE_HEIGHT, nodeLayoutOptions, nodeWidth } from './layout-options.js';

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
