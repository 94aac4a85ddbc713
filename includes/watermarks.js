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
  return `CREATE TABLE IF NOT EXISTS ${table} (model TEXT PRIMARY KEY, high_water_seq BIGINT NOT NULL)`;
}

/** The change sequence `model` has processed up to (0 before its first run: everything is new). */
function since(table, model) {
  return `(SELECT COALESCE(MAX(high_water_seq), 0) FROM ${table} WHERE model = '${model}')`;
}

/** Records that `model` has processed everything up to `seqExpression`: its last post-operation. */
function record(table, model, seqExpression) {
  return `INSERT INTO ${table} (model, high_water_seq) VALUES ('${model}', COALESCE((${seqExpression}), 0))
  ON CONFLICT (model) DO UPDATE SET high_water_seq = excluded.high_water_seq`;
}

module.exports = { createTable, record, since };
