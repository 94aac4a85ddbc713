/**
 * A compiled graph of `size` actions shaped like a real medallion project (sources → bronze → silver →
 * gold, with assertions), for scale tests and benchmarks. Deterministic: the same size gives the same graph.
 */
export function syntheticGraph(size, seed = 7) {
    let state = seed >>> 0 || 1;
    // xorshift32: a tiny seeded generator so that layouts can be compared across runs.
    const random = () => {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return (state >>> 0) / 0x1_0000_0000;
    };
    const pick = (items) => items[Math.floor(random() * items.length)];
    const target = (schema, name) => ({ database: 'synthetic', schema, name });
    const counts = {
        source: Math.max(1, Math.round(size * 0.04)),
        bronze: Math.max(1, Math.round(size * 0.2)),
        silver: Math.max(1, Math.round(size * 0.3)),
        gold: Math.max(1, Math.round(size * 0.16)),
    };
    const assertionCount = Math.max(0, size - counts.source - counts.bronze - counts.silver - counts.gold);
    const declarations = Array.from({ length: counts.source }, (_, i) => ({
        target: target('main', `source_${i}_raw`),
        actionDescriptor: { description: `Raw feed number ${i}.` },
    }));
    const tables = [];
    const layer = (name, suffix, inputs, fanIn) => {
        const made = [];
        for (let i = 0; i < counts[name]; i++) {
            const deps = new Map();
            const wanted = 1 + Math.floor(random() * fanIn);
            for (let d = 0; d < wanted; d++) {
                const dep = pick(inputs);
                deps.set(dep.name, dep);
            }
            const t = target('main', `${name}_model_${i}_${suffix}`);
            tables.push({
                target: t,
                enumType: i % 4 === 0 ? 'VIEW' : 'TABLE',
                tags: [name],
                fileName: `definitions/${name}/${t.name}.sqlx`,
                dependencyTargets: [...deps.values()],
                query: `SELECT id, amount, created_at FROM ${[...deps.values()].map((dep) => `\`synthetic.main.${dep.name}\``).join(' JOIN ')}`,
                actionDescriptor: {
                    description: `The ${name} model number ${i}.`,
                    columns: [
                        { path: ['id'], description: 'Row key' },
                        { path: ['amount'], description: 'An amount' },
                        { path: ['created_at'], description: 'ISO-8601 UTC time' },
                    ],
                },
            });
            made.push(t);
        }
        return made;
    };
    const bronze = layer('bronze', 'brz', declarations.map((d) => d.target), 2);
    const silver = layer('silver', 'slv', bronze, 3);
    layer('gold', 'gld', silver, 4);
    const assertions = Array.from({ length: assertionCount }, (_, i) => {
        const parent = pick(tables).target;
        return {
            target: target('assertions', `${parent.name}_assertion_${i}`),
            parentAction: parent,
            dependencyTargets: [parent],
            fileName: `definitions/assertions/${i}.sqlx`,
            query: `SELECT * FROM \`synthetic.main.${parent.name}\` WHERE id IS NULL`,
        };
    });
    return {
        declarations,
        tables,
        assertions,
        projectConfig: { defaultDatabase: 'synthetic', defaultSchema: 'main', assertionSchema: 'assertions' },
        dataformCoreVersion: '3.0.62',
    };
}
//# sourceMappingURL=synthetic-graph.js.map