/** Small helpers the benchmarks share: where the project is, and how figures are summed up and shown. */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the nearest folder above `moduleUrl` with a workflow_settings.yaml. */
export function findProjectDir(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  while (!existsSync(join(dir, 'workflow_settings.yaml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('No workflow_settings.yaml above bench/: run from the repository.');
    dir = parent;
  }
  return dir;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** 10k, 1M: a history size as the figures name it. */
export function sizeLabel(size: number): string {
  return size >= 1_000_000 ? `${size / 1_000_000}M` : `${size / 1000}k`;
}
