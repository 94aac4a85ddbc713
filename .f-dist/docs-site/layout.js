import ElkBundle from 'elkjs/lib/elk.bundled.js';
const NODE_HEIGHT = 34;
const CHAR_WIDTH = 7.2;
const NODE_PADDING = 28;
const ORTHOGONAL_EDGE_LIMIT = 300;
/** Node widths follow the label so that names stay readable; the browser draws the same text. */
export function nodeWidth(label) {
    return Math.max(90, Math.round(label.length * CHAR_WIDTH + NODE_PADDING));
}
/**
 * Lays out the lineage left to right with elkjs's layered algorithm (sources on the left, assertions
 * after what they check). Runs in Node at generation time so that the page only draws.
 */
export async function layoutLineage(model) {
    // The bundle is CommonJS; its constructor is both `module.exports` and `module.exports.default`.
    const elk = new ElkBundle.default();
    const graph = {
        id: 'root',
        layoutOptions: {
            'elk.algorithm': 'layered',
            'elk.direction': 'RIGHT',
            // Orthogonal routes read best, but each edge claims its own channel between layers; past a few
            // hundred edges that makes the graph several times wider, so big projects get straight segments.
            'elk.edgeRouting': model.edges.length > ORTHOGONAL_EDGE_LIMIT ? 'POLYLINE' : 'ORTHOGONAL',
            'elk.layered.spacing.nodeNodeBetweenLayers': '60',
            'elk.spacing.nodeNode': '14',
            'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
            // Fewer crossing-minimisation passes: a 500-action graph lays out in about a second, barely less tidy.
            'elk.layered.thoroughness': '3',
            // Disconnected parts (a lone declaration, a second pipeline) pack side by side, not in one tall column.
            'elk.separateConnectedComponents': 'true',
            'elk.spacing.componentComponent': '40',
        },
        children: model.actions.map((action) => ({
            id: action.id,
            width: nodeWidth(action.label),
            height: NODE_HEIGHT,
        })),
        edges: model.edges.map((edge, index) => ({ id: `e${index}`, sources: [edge.from], targets: [edge.to] })),
    };
    const result = await elk.layout(graph);
    const nodes = {};
    for (const child of result.children ?? []) {
        nodes[child.id] = {
            x: Math.round(child.x ?? 0),
            y: Math.round(child.y ?? 0),
            width: child.width ?? 0,
            height: child.height ?? NODE_HEIGHT,
        };
    }
    const edges = (result.edges ?? []).map((edge, index) => {
        const points = [];
        for (const section of edge.sections ?? []) {
            for (const point of [section.startPoint, ...(section.bendPoints ?? []), section.endPoint]) {
                points.push([Math.round(point.x), Math.round(point.y)]);
            }
        }
        const source = model.edges[index];
        return { from: source.from, to: source.to, points };
    });
    return { width: Math.ceil(result.width ?? 0), height: Math.ceil(result.height ?? 0), nodes, edges };
}
//# sourceMappingURL=layout.js.map