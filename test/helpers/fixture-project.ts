import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openSqliteExecutor,
} from '../../adapter/index.js';
import { migrateRawSchema } from '../../ingestion/raw-schema.js';
import { openDatabase, type SqliteDatabase } from '../../lib/sqlite.js';
import { writeFixtureHistory } from './print-history.js';

const PROJECT_DIR = new URL('../..', import.meta.url).pathname;

/** The real project, compiled, and a new SQLite file in a temp dir that holds the fixture history. */
export interface FixtureProject {
  graph: CompiledGraph;
  dir: string;
  /** The listener's side of the file (better-sqlite3), for writing raw rows and reading results. */
  raw: SqliteDatabase;
  /** The runner's side of the same file. */
  executor: AsyncExecutor;
}

export async function openFixtureProject(tempPrefix: string): Promise<FixtureProject> {
  const outcome = await compileProject({ projectDir: PROJECT_DIR });
  if (!outcome.ok) throw new Error(`the project does not compile: ${outcome.message}`);
  const dir = mkdtempSync(join(tmpdir(), tempPrefix));
  const raw = openDatabase(join(dir, 'print_history.db'));
  migrateRawSchema(raw);
  writeFixtureHistory(raw);
  const executor = await openSqliteExecutor(join(dir, 'print_history.db'));
  return { graph: outcome.graph, dir, raw, executor };
}

/** Closes what openFixtureProject opened (any part may be missing when it failed) and removes the dir. */
export async function closeFixtureProject(project: Partial<FixtureProject>): Promise<void> {
  await project.executor?.close();
  project.raw?.close();
  if (project.dir) rmSync(project.dir, { recursive: true, force: true });
}
