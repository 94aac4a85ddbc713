/**
 * A small Dataform project shaped like Bambuzled's own (raw source → bronze → silver → gold, with
 * assertions) and a real SQLite file for it, shared by the docs-site tests.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type AsyncExecutor,
  type CompiledGraph,
  compileProject,
  openEngine,
  type RunResult,
  runGraph,
} from '../adapter/index.js';
import { migrateRawSchema } from '../ingestion/raw-schema.js';
import { openDatabase } from '../lib/sqlite.js';

export const FIXTURE_FILES: Record<string, string> = {
  'workflow_settings.yaml':
    'defaultProject: bambuzled\ndefaultDataset: main\ndefaultAssertionDataset: assertions\n',
  'definitions/sources/jobs_raw.sqlx': `config {
  type: "declaration",
  name: "jobs_raw",
  description: "One row per print job, updated in place by the listener.",
  columns: { job_key: "Stable job key", status: "running, finished, failed, ..." }
}
`,
  'definitions/bronze/jobs_brz.sqlx': `config {
  type: "table",
  tags: ["bronze"],
  description: "Immutable history of finished jobs.",
  columns: {
    job_id: "Unique job id, stable across restarts",
    job_name: "The report's subtask_name",
    duration_s: "Seconds from start to finish",
    ghost_column: "Documented but never selected"
  },
  assertions: { uniqueKey: ["job_id"], nonNull: ["job_id"] }
}
SELECT
  job_key AS job_id,
  printer_serial,
  subtask_name AS job_name,
  started_at,
  ended_at AS finished_at,
  CAST(round((julianday(ended_at) - julianday(started_at)) * 86400) AS INTEGER) AS duration_s,
  total_layers
FROM \${ref("jobs_raw")}
WHERE status = 'finished'
`,
  'definitions/silver/printer_jobs_slv.sqlx': `config {
  type: "view",
  tags: ["silver"],
  description: "Finished jobs per printer.",
  columns: { printer_serial: "Printer serial number", jobs: "How many jobs it finished" }
}
SELECT printer_serial, count(*) AS jobs, sum(duration_s) AS total_s FROM \${ref("jobs_brz")} GROUP BY printer_serial
`,
  'definitions/gold/printer_summary_gld.sqlx': `config {
  type: "table",
  tags: ["gold"],
  description: "One row per printer with its print time in hours.",
  columns: { hours: "Total print time in hours" }
}
SELECT printer_serial, jobs, round(total_s / 3600.0, 2) AS hours FROM \${ref("printer_jobs_slv")}
`,
  'definitions/assertions/jobs_have_names.sqlx': `config { type: "assertion", description: "Every finished job has a name." }
SELECT * FROM \${ref("jobs_brz")} WHERE job_name IS NULL
`,
};

/** The ids (`schema.name`) every test expects to find in the docs. */
export const FIXTURE_MODELS = [
  'main.jobs_raw',
  'main.jobs_brz',
  'main.printer_jobs_slv',
  'main.printer_summary_gld',
];

export function writeFixtureProject(dir: string, files: Record<string, string> = FIXTURE_FILES): void {
  for (const [path, content] of Object.entries(files)) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
}

export async function compileFixture(dir: string): Promise<CompiledGraph> {
  const outcome = await compileProject({ projectDir: dir });
  if (!outcome.ok) throw new Error(`fixture project does not compile: ${outcome.message}`);
  return outcome.graph;
}

/**
 * Creates (or adds to) the database the way the listener and a run would: the raw schema, `jobs`
 * finished jobs spread over two printers, then a run of the whole graph.
 */
export async function fillFixtureDatabase(
  dbPath: string,
  graph: CompiledGraph,
  jobs: number,
  firstJob = 0,
): Promise<RunResult> {
  const db = openDatabase(dbPath);
  try {
    migrateRawSchema(db);
    const insert = db.prepare(
      `INSERT INTO jobs_raw (job_key, printer_serial, printer_name, subtask_name, status, started_at, ended_at,
         total_layers, change_seq, updated_at)
       VALUES (?, ?, ?, ?, 'finished', ?, ?, ?, ?, ?)`,
    );
    for (let i = firstJob; i < firstJob + jobs; i++) {
      const start = new Date(Date.UTC(2026, 0, 1, 8) + i * 3_600_000);
      const end = new Date(start.getTime() + (20 + i) * 60_000);
      insert.run(
        `job-${i}`,
        i % 2 ? '01P00A000000001' : '01S00C000000002',
        i % 2 ? 'p1p' : 'x1c',
        `benchy_${i}`,
        start.toISOString(),
        end.toISOString(),
        100 + i,
        i + 1,
        end.toISOString(),
      );
    }
  } finally {
    db.close();
  }
  return runFixtureGraph(dbPath, graph);
}

/** One run of the whole graph on its own connection, as `bambuzled run` does it. */
export async function runFixtureGraph(dbPath: string, graph: CompiledGraph): Promise<RunResult> {
  const executor = await openEngine(dbPath).connect();
  try {
    return await runGraph(graph, { executor, trigger: 'test' });
  } finally {
    await executor.close();
  }
}

/** A read-only connection, as the docs read the database. */
export function readOnlyConnection(dbPath: string): Promise<AsyncExecutor> {
  return openEngine(dbPath).connect({ readonly: true });
}
