/**
 * Shared constants for the SQLX/JS definitions. Dataform attaches this file to the global scope as
 * `constants` (by its basename), so a SQLX file writes `${constants.ENDED_STATUSES_SQL}`.
 *
 * The statuses mirror ingestion/raw-schema.ts (JOB_STATUSES), which the listener owns: the project
 * cannot import TypeScript, so bronze assertions check that the raw layer still speaks this vocabulary:
 * job_outcomes_brz takes every job that is not open, and its rowCondition on outcome fails for a status
 * that is not listed here.
 * Engine differences (dates, rounding, patterns) live in includes/sql.js, not here.
 */

/** The status of a job that ran to the end. */
const FINISHED_STATUS = 'finished';

/** Statuses of a job that has ended, whatever the outcome. */
const ENDED_STATUSES = ['finished', 'failed', 'cancelled', 'ended_while_disconnected'];

/** Statuses of a job that is still open. */
const OPEN_STATUSES = ['running', 'paused'];

/** A SQL string literal, standard quoting on both engines (a quote inside is doubled). */
function sqlString(value) {
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** A parenthesised SQL list of string literals, for `x IN (...)`. */
function sqlList(values) {
  return `(${values.map(sqlString).join(', ')})`;
}

/** `ENDED_STATUSES` as a SQL list: ('finished', 'failed', ...). */
const ENDED_STATUSES_SQL = sqlList(ENDED_STATUSES);

/** Bambu's own names for the outcome of a job, as shown in the docs and the gold tables. */
const OUTCOME_LABELS = {
  finished: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
  ended_while_disconnected: 'Ended while disconnected',
};

/**
 * The share of a job's sliced filament it is charged (job_outcomes_brz columns under `alias`, the
 * filament source as `sourceColumn`): measured AMS figures and finished jobs in full, a failed,
 * cancelled or lost job by layers reached / total layers, else by progress; NULL when unknown.
 */
function chargedFraction(alias, sourceColumn) {
  return `CASE
      WHEN ${sourceColumn} = 'ams_remain' OR ${alias}.outcome = ${sqlString(FINISHED_STATUS)} THEN 1.0
      WHEN ${alias}.total_layers > 0 AND ${alias}.last_layer >= ${alias}.total_layers THEN 1.0
      WHEN ${alias}.total_layers > 0 AND ${alias}.last_layer IS NOT NULL THEN ${alias}.last_layer * 1.0 / ${alias}.total_layers
      WHEN ${alias}.progress_percent IS NOT NULL THEN ${alias}.progress_percent / 100.0
    END`;
}

/** One filament source per job: the .3mf when the listener read it, else the AMS figures (`where`: which jobs). */
function chosenFilamentSource(filamentsTable, where = '') {
  return `SELECT job_id, CASE WHEN SUM(CASE WHEN source = '3mf' THEN 1 ELSE 0 END) > 0 THEN '3mf' ELSE 'ams_remain' END AS source
  FROM ${filamentsTable}
  ${where ? `WHERE ${where}` : ''}
  GROUP BY job_id`;
}

module.exports = {
  chargedFraction,
  chosenFilamentSource,
  FINISHED_STATUS,
  ENDED_STATUSES,
  ENDED_STATUSES_SQL,
  OPEN_STATUSES,
  OUTCOME_LABELS,
  sqlList,
  sqlString,
};
