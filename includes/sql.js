/**
 * Every SQL difference between the engines the project runs on, in one place. Dataform attaches this
 * file to the global scope as `sql`, so a model writes `${sql.isoUtc("started_at")}`.
 *
 * The engine comes from the compile var `engine` (sqlite | postgres), which the runner sets from the
 * engine it runs on (the Dialect's compileVars); the stock `npx dataform compile` gets SQLite's.
 * Timestamps are ISO-8601 UTC TEXT (YYYY-MM-DDTHH:MM:SS.sssZ) on both engines, so every helper takes
 * and gives text; models never compare or sort anything but that text.
 */

const ENGINES = ['sqlite', 'postgres'];

const vars = (typeof dataform !== 'undefined' && dataform.projectConfig && dataform.projectConfig.vars) || {};
const engine = vars.engine || 'sqlite';
if (!ENGINES.includes(engine)) {
  throw new Error(
    `The compile var engine is "${engine}"; use one of ${ENGINES.join(', ')} (--vars engine=sqlite).`,
  );
}

/** One expression per engine, picked for the engine being compiled for. */
function pick(byEngine) {
  return byEngine[engine];
}

/** A PostgreSQL timestamp (UTC wall clock) from an ISO-8601 text column. */
function pgUtc(column) {
  return `((${column})::timestamptz AT TIME ZONE 'UTC')`;
}

/** A timestamp column normalised to YYYY-MM-DDTHH:MM:SS.sssZ (SQLite: NULL when unparseable). */
function isoUtc(column) {
  return pick({
    sqlite: `strftime('%Y-%m-%dT%H:%M:%fZ', ${column})`,
    postgres: `to_char(${pgUtc(column)}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
  });
}

/** The whole seconds (rounded) from one timestamp column to another. */
function secondsBetween(fromColumn, toColumn) {
  return pick({
    // Whole milliseconds first: julianday's days * 86400 puts x.5 s a hair below or above the half,
    // and the engines must round the same half the same way (away from zero, as PostgreSQL does).
    sqlite: `CAST(ROUND((ROUND(julianday(${toColumn}) * 86400000) - ROUND(julianday(${fromColumn}) * 86400000)) / 1000.0) AS INTEGER)`,
    postgres: `CAST(ROUND(EXTRACT(EPOCH FROM (${pgUtc(toColumn)} - ${pgUtc(fromColumn)}))) AS INTEGER)`,
  });
}

/** The largest of two or more non-NULL values (SQLite's many-argument MAX, PostgreSQL's GREATEST). */
function greatest(...values) {
  return pick({ sqlite: `MAX(${values.join(', ')})`, postgres: `GREATEST(${values.join(', ')})` });
}

/** ISO day of the week of a timestamp column, UTC: 1 = Monday ... 7 = Sunday. */
function weekday(column) {
  return pick({
    // strftime('%w') counts from Sunday = 0; shift to ISO's Monday = 1 ... Sunday = 7.
    sqlite: `((CAST(strftime('%w', ${column}) AS INTEGER) + 6) % 7 + 1)`,
    postgres: `CAST(EXTRACT(ISODOW FROM ${pgUtc(column)}) AS INTEGER)`,
  });
}

/** The UTC hour (0-23) of a timestamp column. */
function hourOf(column) {
  return pick({
    sqlite: `CAST(strftime('%H', ${column}) AS INTEGER)`,
    postgres: `CAST(EXTRACT(HOUR FROM ${pgUtc(column)}) AS INTEGER)`,
  });
}

/** The Monday (YYYY-MM-DD) of the week of a YYYY-MM-DD date column, given its ISO weekday column. */
function weekStart(dateColumn, weekdayColumn) {
  return pick({
    sqlite: `date(${dateColumn}, '-' || (${weekdayColumn} - 1) || ' days')`,
    postgres: `to_char(CAST(${dateColumn} AS date) - (${weekdayColumn} - 1), 'YYYY-MM-DD')`,
  });
}

/** A YYYY-MM-DD date column plus `days` days, as YYYY-MM-DD. */
function addDays(dateColumn, days) {
  return pick({
    sqlite: `date(${dateColumn}, '+${days} days')`,
    postgres: `to_char(CAST(${dateColumn} AS date) + ${days}, 'YYYY-MM-DD')`,
  });
}

/** Rounds to `digits` decimals (PostgreSQL rounds only numeric, so a float is cast first). */
function round(expression, digits) {
  return pick({
    sqlite: `ROUND(${expression}, ${digits})`,
    postgres: `ROUND(CAST(${expression} AS NUMERIC), ${digits})`,
  });
}

/**
 * numerator / denominator rounded to `digits` decimals, the same on both engines for a whole-number
 * numerator: SQLite divides doubles, where 23886 / 3600.0 = 6.635 is stored a hair below the half and
 * rounds down; scaled first, the half is exact (663.5), and both round it away from zero.
 */
function ratio(numerator, denominator, digits) {
  const scale = 10 ** digits;
  return pick({
    sqlite: `(ROUND((${numerator}) * ${scale} / (${denominator} * 1.0)) / ${scale}.0)`,
    postgres: `ROUND((${numerator}) * 1.0 / ${denominator}, ${digits})`,
  });
}

/** A condition that a text column has exactly the shape YYYY-MM-DDTHH:MM:SS.sssZ. */
function matchesIsoUtc(column) {
  return pick({
    sqlite: `${column} GLOB '[0-9][0-9][0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]Z'`,
    postgres: `${column} ~ '^[0-9]{4}-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9][.][0-9]{3}Z$'`,
  });
}

/** A condition that a text column has exactly the shape YYYY-MM-DD. */
function matchesDate(column) {
  return pick({
    sqlite: `${column} GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'`,
    postgres: `${column} ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'`,
  });
}

/** How many rows of a group meet a condition (PostgreSQL cannot SUM a boolean; this is the same on both). */
function countIf(condition) {
  return `SUM(CASE WHEN ${condition} THEN 1 ELSE 0 END)`;
}

/** 1 when a condition holds, else 0 (NULL stays NULL), as an integer column. */
function flag(condition) {
  return `CAST(CASE WHEN ${condition} THEN 1 WHEN NOT (${condition}) THEN 0 END AS INTEGER)`;
}

/**
 * `column IN (subquery)` for a subquery that returns the few keys a run changed. PostgreSQL cannot
 * estimate a change-sequence filter whose bound is itself a subquery, plans for a third of the table
 * and scans it; `= ANY (ARRAY(...))` makes it look each key up in the index instead.
 */
function inKeys(column, subquery) {
  return pick({
    sqlite: `${column} IN (${subquery})`,
    postgres: `${column} = ANY (ARRAY(${subquery}))`,
  });
}

/**
 * The rows of `table` whose `columns` equal one row of `keysQuery` (the few keys a run touched), as
 * a FROM item aliased `alias`; the whole table when `keysQuery` is empty (a full build). The keys
 * drive: CROSS JOIN makes SQLite loop over them and look each one up in the table's index on those
 * columns. Without table statistics, SQLite plans `(a, b) IN (subquery)` and a plain join on its own
 * and may pick another index that shares the first column (jobs_slv's (printer_serial, started_at))
 * or scan the table, a cost that grows with the history. PostgreSQL plans a CROSS JOIN with WHERE
 * like any join.
 */
function rowsOfKeys(table, keysQuery, columns, alias = 'rows_of_keys') {
  if (!keysQuery) return `${table} AS ${alias}`;
  const match = columns.map((c) => `r.${c} = k.${c}`).join(' AND ');
  return `(SELECT r.* FROM (${keysQuery}) AS k CROSS JOIN ${table} AS r WHERE ${match}) AS ${alias}`;
}

module.exports = {
  engine,
  inKeys,
  rowsOfKeys,
  addDays,
  countIf,
  flag,
  greatest,
  hourOf,
  isoUtc,
  matchesDate,
  matchesIsoUtc,
  ratio,
  round,
  secondsBetween,
  weekday,
  weekStart,
};
