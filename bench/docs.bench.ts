/**
 * Docs site generation for a synthetic 500-action project (issue 5: under 5 s), against the same
 * project at 50 actions in the same run, so the ratio shows how generation grows with the graph.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { syntheticGraph, writeDocsSite } from '../docs-site/index.js';
import type { BenchReport } from './report.js';

const TARGET_MS = 5_000;

async function medianGenerationMs(size: number, outDir: string, repeats: number): Promise<number> {
  const graph = syntheticGraph(size);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    await writeDocsSite({ graph, outDir: join(outDir, `${size}-${i}`) });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function run(): Promise<BenchReport> {
  const dir = mkdtempSync(join(tmpdir(), 'bambuzled-bench-docs-'));
  try {
    const small = await medianGenerationMs(50, dir, 3);
    const large = await medianGenerationMs(500, dir, 3);
    return {
      title: 'Docs site: generating a synthetic project',
      figures: [
        {
          name: 'generate 500 actions (median of 3)',
          value: large,
          unit: 'ms',
          target: `< ${TARGET_MS} ms`,
          pass: large < TARGET_MS,
        },
        { name: '500 actions / 50 actions', value: large / small, unit: '×' },
      ],
      notes: [
        `50 actions: ${Math.round(small)} ms; the site includes the lineage laid out by elkjs twice (with and without assertions).`,
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
