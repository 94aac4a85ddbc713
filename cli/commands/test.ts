import type { Command } from 'commander';
import {
  type CompiledGraph,
  EngineError,
  graphTests,
  isServerUrl,
  openEngine,
  openSqliteExecutor,
  runUnitTests,
  type TestResult,
} from '../../adapter/index.js';
import { engineCompileVars } from '../engine-vars.js';
import { collectList, formatCompileErrors, parseVars } from './compile.js';
import { compileWithFlags } from './compile-flags.js';

interface TestFlags {
  vars?: string[];
  json?: boolean;
  timeout?: string;
  db?: string;
}

/** `bambuzled test [project-dir] [--vars k=v,…] [--json]`, like `dataform test`. */
export function registerTest(program: Command): void {
  program
    .command('test')
    .description(
      'Run the project\'s unit tests (type: "test") on a scratch in-memory database, like dataform test.',
    )
    .argument('[project-dir]', 'the Dataform project folder', '.')
    .option(
      '--vars <k=v...>',
      'project variables, overriding workflow_settings.yaml (k=v,k2=v2)',
      collectList,
    )
    .option('--timeout <duration>', 'how long compilation may take (e.g. 30s, 2m), like dataform test')
    .option('--json', 'print only the test results, as one JSON document')
    .option(
      '--db <url>',
      "a postgres:// URL: run the tests on that server's engine, in a transaction that is rolled back (SQLite tests always use a scratch in-memory database)",
    )
    .action(async (projectDir: string, flags: TestFlags) => {
      process.exitCode = await testCommand(projectDir, flags);
    });
}

async function testCommand(projectDir: string, flags: TestFlags): Promise<number> {
  const vars = parseVars(flags.vars);
  if (!vars.ok) {
    console.error(vars.message);
    return 2;
  }
  // The tests run on the server --db names, else on a scratch SQLite database.
  const compiled = await compileWithFlags(projectDir, {
    vars: engineCompileVars(flags.db && isServerUrl(flags.db) ? flags.db : ':memory:', vars.vars),
    timeout: flags.timeout,
  });
  if (!compiled.ok) {
    console.error('message' in compiled ? compiled.message : formatCompileErrors(compiled.outcome));
    return compiled.exitCode;
  }
  if (graphTests(compiled.graph).length === 0) {
    console.error(
      `No unit tests in ${projectDir}: write one as a SQLX file with config { type: "test", dataset: "…" }, or test() in JS.`,
    );
    return 1;
  }
  let results: TestResult[];
  try {
    results =
      flags.db && isServerUrl(flags.db)
        ? await unitTestsOn(flags.db, compiled.graph)
        : await unitTestsOf(compiled.graph);
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    console.error(error.message);
    return 2;
  }
  if (flags.json) console.log(JSON.stringify(results, null, 2));
  else for (const line of formatTestResults(results)) console.log(line);
  return results.every((r) => r.status === 'SUCCESSFUL') ? 0 : 1;
}

/** Runs a graph's unit tests on a scratch in-memory SQLite database of their own. */
export async function unitTestsOf(graph: CompiledGraph): Promise<TestResult[]> {
  const scratch = await openSqliteExecutor(':memory:');
  try {
    return await runUnitTests(graph, scratch);
  } catch (error) {
    if (error instanceof EngineError)
      throw new Error(`The scratch database for the unit tests failed: ${error.message}`);
    throw error;
  } finally {
    await scratch.close();
  }
}

/** Runs a graph's unit tests on a server, inside a transaction that is always rolled back. */
async function unitTestsOn(url: string, graph: CompiledGraph): Promise<TestResult[]> {
  const executor = await openEngine(url).connect();
  try {
    return await executor.rolledBack((tx) => runUnitTests(graph, tx));
  } finally {
    await executor.close();
  }
}

/** A line per test (and per differing value of a failed one), then the tally. */
export function formatTestResults(results: TestResult[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    const seconds = `${(result.durationMs / 1000).toFixed(2)}s`;
    if (result.status === 'SUCCESSFUL') {
      lines.push(`Test passed:  ${result.name} ${seconds}`);
      continue;
    }
    lines.push(
      `Test failed:  ${result.name} (${result.fileName ?? 'unknown file'}) ${seconds}: ${result.error ?? ''}`,
    );
    for (const d of result.differences ?? []) {
      lines.push(`    row ${d.row}, column ${d.column}: expected ${show(d.expected)}, got ${show(d.actual)}`);
    }
  }
  const failed = results.filter((r) => r.status === 'FAILED').length;
  lines.push(`Unit tests: ${results.length - failed} passed, ${failed} failed.`);
  return lines;
}

function show(value: unknown): string {
  if (value === undefined) return '(no such row or column)';
  if (value === null) return 'NULL';
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value);
}
