// Written in Dataform's JS API (publish) rather than SQLX: the per-outcome counters are generated
// from the shared status list, so a new status in includes/constants.js shows up here by itself.
const outcomeCounters = constants.ENDED_STATUSES.map(
  (status) => `${sql.countIf(`outcome = ${constants.sqlString(status)}`)} AS ${status}_jobs`,
).join(',\n  ');

const outcomeColumnDocs = Object.fromEntries(
  constants.ENDED_STATUSES.map((status) => [
    `${status}_jobs`,
    `Of those, the jobs whose outcome is ${status}.`,
  ]),
);

publish('filament_usage_gld', {
  type: 'view',
  tags: ['gold'],
  description:
    'Gold: per filament type and colour (the active tray while printing), how many jobs used it, how they ended and the hours printed with it. Jobs whose filament is unknown are grouped under "unknown". A view: each group spans the whole history, so it is computed when read and costs a sensor run nothing. No built-in assertions, for the same reason: its key and counts follow from its own GROUP BY over jobs_slv (an outcome outside the status list already fails job_outcomes_brz).',
  columns: {
    filament_type: 'Material (PLA, PETG, ...), or "unknown".',
    filament_color: 'Colour as RRGGBBAA hex, or "unknown".',
    jobs: 'Ended jobs that used this filament.',
    ...outcomeColumnDocs,
    print_hours: 'Hours from start to end of those jobs, two decimals.',
    finished_layers: 'Layers of the finished jobs (sum of total_layers).',
    printers: 'How many printers used this filament.',
    last_used_at: 'When the last job with this filament ended, ISO-8601 UTC.',
  },
}).query(
  (ctx) => `
SELECT
  COALESCE(filament_type, 'unknown') AS filament_type,
  COALESCE(filament_color, 'unknown') AS filament_color,
  COUNT(*) AS jobs,
  ${outcomeCounters},
  ${sql.ratio('SUM(duration_s)', 3600, 2)} AS print_hours,
  COALESCE(SUM(CASE WHEN is_finished = 1 THEN total_layers END), 0) AS finished_layers,
  COUNT(DISTINCT printer_serial) AS printers,
  MAX(ended_at) AS last_used_at
FROM ${ctx.ref('jobs_slv')}
GROUP BY 1, 2
`,
);
