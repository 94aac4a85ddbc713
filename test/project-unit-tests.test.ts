/**
 * The repository's own Dataform unit tests (definitions/tests/), as `bambuzled test` runs them. Dataform
 * cannot unit-test incremental datasets, so jobs_slv and printer_daily_gld have their cases in
 * test/project-model-cases.test.ts (through the runner) instead.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileProject, graphTests } from '../adapter/index.js';
import { unitTestsOf } from '../cli/commands/test.js';

const PROJECT_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

describe("the project's unit tests", () => {
  it('cover the estimate accuracy view, and pass', async () => {
    const compiled = await compileProject({ projectDir: PROJECT_DIR });
    if (!compiled.ok) throw new Error(compiled.message);
    expect(
      graphTests(compiled.graph)
        .map((t) => t.name)
        .sort(),
    ).toEqual(['estimate_accuracy_gld_test']);
    const results = await unitTestsOf(compiled.graph);
    expect(
      results.filter((r) => r.status !== 'SUCCESSFUL').map((r) => [r.name, r.error, r.differences]),
    ).toEqual([]);
  });
});
