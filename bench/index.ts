/**
 * `npm run bench [name...]`: runs the benchmarks (all, or those named), prints each figure with its
 * target, and writes the results to bench/results/latest.json and latest.md (for the README).
 * Every figure is a ratio against a baseline measured in the same run, because these machines are
 * shared and noisy; absolute times are kept as notes.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchModule, BenchReport } from './report.js';

const BENCHMARKS: Record<string, () => Promise<BenchModule>> = {
  adapter: () => import('./adapter.bench.js'),
  engine: () => import('./engine.bench.js'),
  listener: () => import('./listener.bench.js'),
  archive: () => import('./archive.bench.js'),
  scheduler: () => import('./scheduler.bench.js'),
  docs: () => import('./docs.bench.js'),
  'sensor-run': () => import('./sensor-run.bench.js'),
  farm: () => import('./farm.bench.js'),
  postgres: () => import('./postgres.bench.js'),
};

// `--child NAME OUT`: run one benchmark and write its report to OUT (used by the parent below).
if (process.argv[2] === '--child') {
  const [name, out] = process.argv.slice(3) as [string, string];
  const bench = await BENCHMARKS[name]!();
  writeFileSync(out, JSON.stringify(await bench.run()));
  process.exit(0);
}

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in BENCHMARKS));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${Object.keys(BENCHMARKS).join(', ')}.`);
  process.exit(2);
}

const reports: BenchReport[] = [];
let missed = 0;
const scratch = mkdtempSync(join(tmpdir(), 'bambuzled-bench-'));
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
  console.error(`Running the ${name} benchmark...`);
  // Each benchmark runs in a process of its own, so that one's memory never counts in another's peak RSS.
  const out = join(scratch, `${name}.json`);
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--child', name, out],
    {
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  if (child.status !== 0) {
    console.error(`The ${name} benchmark failed (exit ${child.status ?? child.signal}).`);
    missed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(out, 'utf8')) as BenchReport;
  reports.push(report);
  console.log(formatReport(report));
  missed += report.figures.filter((figure) => figure.pass === false).length;
}
rmSync(scratch, { recursive: true, force: true });

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/latest.json',
  `${JSON.stringify({ at: new Date().toISOString(), reports }, null, 2)}\n`,
);
writeFileSync('bench/results/latest.md', reports.map(formatReport).join('\n'));
console.log(missed === 0 ? 'Every figure meets its target.' : `${missed} figure(s) miss their target.`);
process.exitCode = missed === 0 ? 0 : 1;

function formatReport(report: BenchReport): string {
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

function round(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}
