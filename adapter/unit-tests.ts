/**
 * Dataform's unit tests (`type: "test"`, `test()`): the compiler has already rendered each test's
 * dataset query over its inputs (`testQuery`) and its expectation (`expectedOutputQuery`); both run
 * on a scratch database and their rows are compared as `dataform test` compares them: the same number
 * of rows, the same columns (in any order, ignoring case), then row i against row i, value by value.
 */
import type { Row, Statements } from './engine/executor.js';
import { displayNameOf } from './names.js';
import type { CompiledGraph } from './types.js';

/** One test as the compiled graph carries it. */
export interface GraphTest {
  name: string;
  testQuery?: string;
  expectedOutputQuery?: string;
  fileName?: string;
  disabled?: boolean;
  target?: { database?: string; schema?: string; name: string };
}

/** One value that differs: which row, which column, what was expected and what came. */
export interface CellDifference {
  row: number;
  column: string;
  expected: unknown;
  actual: unknown;
}

export interface TestResult {
  name: string;
  fileName: string | undefined;
  status: 'SUCCESSFUL' | 'FAILED';
  /** What is wrong, in one sentence (a query error, row counts, columns). */
  error?: string;
  /** Values that differ, row by row (at most the first 50). */
  differences?: CellDifference[];
  expectedRows?: number;
  actualRows?: number;
  durationMs: number;
}

const MAX_DIFFERENCES = 50;

/** The tests of a compiled graph, in its order. */
export function graphTests(graph: CompiledGraph): GraphTest[] {
  return ((graph as { tests?: GraphTest[] }).tests ?? []).filter((t) => !t.disabled);
}

/** Runs every test on `scratch` (a database the tests may change; in-memory is best). */
export async function runUnitTests(graph: CompiledGraph, scratch: Statements): Promise<TestResult[]> {
  const results: TestResult[] = [];
  for (const test of graphTests(graph)) results.push(await runOne(test, scratch));
  return results;
}

async function runOne(test: GraphTest, db: Statements): Promise<TestResult> {
  const started = performance.now();
  const name = test.target ? displayNameOf(test.target) : test.name;
  const base = { name, fileName: test.fileName };
  const done = (fields: Omit<TestResult, 'name' | 'fileName' | 'durationMs'>): TestResult => ({
    ...base,
    ...fields,
    durationMs: Math.round((performance.now() - started) * 10) / 10,
  });
  let actual: Row[];
  let expected: Row[];
  try {
    actual = await db.query(cleaned(test.testQuery));
  } catch (error) {
    return done({ status: 'FAILED', error: `The tested query failed: ${messageOf(error)}` });
  }
  try {
    expected = await db.query(cleaned(test.expectedOutputQuery));
  } catch (error) {
    return done({ status: 'FAILED', error: `The expected-output query failed: ${messageOf(error)}` });
  }
  const counts = { expectedRows: expected.length, actualRows: actual.length };
  if (actual.length !== expected.length) {
    return done({
      status: 'FAILED',
      error: `Expected ${expected.length} row(s), got ${actual.length}.`,
      ...counts,
      differences: rowDifferences(expected, actual),
    });
  }
  const expectedColumns = columnsOf(expected);
  const actualColumns = columnsOf(actual);
  const missing = [...expectedColumns.keys()].filter((c) => !actualColumns.has(c));
  const extra = [...actualColumns.keys()].filter((c) => !expectedColumns.has(c));
  if (missing.length > 0 || extra.length > 0) {
    const parts = [
      ...(missing.length > 0
        ? [`missing column(s) ${missing.map((c) => expectedColumns.get(c)).join(', ')}`]
        : []),
      ...(extra.length > 0
        ? [`unexpected column(s) ${extra.map((c) => actualColumns.get(c)).join(', ')}`]
        : []),
    ];
    return done({ status: 'FAILED', error: `The columns differ: ${parts.join('; ')}.`, ...counts });
  }
  const differences = rowDifferences(expected, actual);
  if (differences.length > 0) {
    return done({
      status: 'FAILED',
      error: `${differences.length} value(s) differ.`,
      ...counts,
      differences,
    });
  }
  return done({ status: 'SUCCESSFUL', ...counts });
}

/** Column names by their lower case (Dataform compares them ignoring case). */
function columnsOf(rows: Row[]): Map<string, string> {
  const columns = new Map<string, string>();
  for (const row of rows) for (const key of Object.keys(row)) columns.set(key.toLowerCase(), key);
  return columns;
}

/** Row i against row i, every column of either side, type and value. */
function rowDifferences(expected: Row[], actual: Row[]): CellDifference[] {
  const differences: CellDifference[] = [];
  const rows = Math.max(expected.length, actual.length);
  for (let i = 0; i < rows && differences.length < MAX_DIFFERENCES; i++) {
    const want = lowerKeys(expected[i]);
    const got = lowerKeys(actual[i]);
    for (const column of new Set([...Object.keys(want), ...Object.keys(got)])) {
      if (!sameValue(want[column], got[column])) {
        differences.push({ row: i + 1, column, expected: want[column], actual: got[column] });
      }
    }
  }
  return differences;
}

function lowerKeys(row: Row | undefined): Row {
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a !== typeof b) return false;
  if (a !== null && typeof a === 'object') return JSON.stringify(a) === JSON.stringify(b);
  return a === b;
}

function cleaned(sql: string | undefined): string {
  return (sql ?? '').trim().replace(/;+\s*$/, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
