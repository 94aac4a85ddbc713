/**
 * `npm run bench [name...]`: runs the benchmarks (all, or those named), prints each figure with its
 * target, and writes the results to bench/results/latest.json and latest.md (for the README).
 * Every figure is a ratio against a baseline measured in the same run, because these machines are
 * shared and noisy; absolute times are kept as notes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
const BENCHMARKS = {
    adapter: () => import('./adapter.bench.js'),
    listener: () => import('./listener.bench.js'),
    scheduler: () => import('./scheduler.bench.js'),
};
const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
    console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(BENCHMARKS).join(', ')}.`);
    process.exit(2);
}
const reports = [];
let missed = 0;
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
    console.error(`Running the ${name} benchmark...`);
    const bench = await BENCHMARKS[name]();
    const report = await bench.run();
    reports.push(report);
    console.log(formatReport(report));
    missed += report.figures.filter((figure) => figure.pass === false).length;
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/latest.json', `${JSON.stringify({ at: new Date().toISOString(), reports }, null, 2)}\n`);
writeFileSync('bench/results/latest.md', reports.map(formatReport).join('\n'));
console.log(missed === 0 ? 'Every figure meets its target.' : `${missed} figure(s) miss their target.`);
process.exitCode = missed === 0 ? 0 : 1;
function formatReport(report) {
    const rows = report.figures.map((f) => {
        const verdict = f.pass === undefined ? '' : f.pass ? 'yes' : '**no**';
        return `| ${f.name} | ${round(f.value)} ${f.unit} | ${f.target ?? ''} | ${verdict} |`;
    });
    const notes = (report.notes ?? []).map((note) => `- ${note}`);
    return [
        `### ${report.title}`,
        '',
        '| figure | value | target | met |',
        '| --- | --- | --- | --- |',
        ...rows,
        '',
        ...notes,
        '',
    ].join('\n');
}
function round(value) {
    return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
//# sourceMappingURL=index.js.map