/**
 * How the silver and gold models run incrementally: each remembers the change sequence it has
 * processed up to in one small table (model_watermarks, created by the models' own operations), and
 * an incremental run reads only what changed above it. Dataform attaches this file as `watermarks`;
 * each helper takes the table as the model resolves it: `resolve("model_watermarks")`.
 *
 * A watermark of the model's own rows (MAX(source_change_seq) FROM self) would stall when a change
 * produces no row (a job without filament figures adds nothing to job_filaments_slv): every later run
 * would read all changes since the last row again. The table holds the watermark whatever was written.
 * Its statements are the same on both engines (INSERT ... ON CONFLICT ... DO UPDATE is in both).
 */

/** Creates the watermark table if it is missing: a pre-operation of every model that uses one. */
function createTable(table) {
  return `CREATE TABLE IF NOT EXISTS ${table} (model TEXT PRIMARY KEY, high_water_seq BIGINT NOT NULL, previous_seq BIGINT NOT NULL)`;
}

/** The change sequence `model` has processed up to (0 before its first run: everything is new). */
function since(table, model) {
  return `(SELECT COALESCE(MAX(high_water_seq), 0) FROM ${table} WHERE model = '${model}')`;
}

/**
 * Records that `model` has processed everything up to `seqExpression`: its last post-operation. The
 * watermark it had before becomes previous_seq, which scopes the assertions to what this run changed;
 * a rebuild (`incrementalRun` false) sets it to 0, so that they check everything.
 */
function record(table, model, seqExpression, incrementalRun) {
  return `INSERT INTO ${table} (model, high_water_seq, previous_seq) VALUES ('${model}', COALESCE((${seqExpression}), 0), 0)
  ON CONFLICT (model) DO UPDATE SET high_water_seq = excluded.high_water_seq,
    previous_seq = ${incrementalRun ? `${table}.high_water_seq` : '0'}`;
}

/**
 * The watermark `model` had before its last run: what that run changed lies above it. Assertions
 * check only those rows (0 after a rebuild: all of them), so that they cost what changed.
 */
function changedAbove(table, model) {
  return `(SELECT COALESCE(MAX(previous_seq), 0) FROM ${table} WHERE model = '${model}')`;
}

/** The jobs of `jobsSlv` (jobs_slv as resolved) that its last run merged. */
function changedJobs(table, jobsSlv) {
  return `SELECT job_id FROM ${jobsSlv} WHERE source_change_seq > ${changedAbove(table, 'jobs_slv')}`;
}

module.exports = { changedAbove, changedJobs, createTable, record, since };
