import pg from 'pg';
import { compileProject, compileVarsFor, openEngine, runGraph } from '/work/main/dist/adapter/index.js';
import { migratePostgresRawSchema } from '/work/main/dist/ingestion/index.js';
const url = process.argv[2];
const size = Number(process.argv[3]);
const engine = openEngine(url);
const compiled = await compileProject({ projectDir: '/work/main', vars: compileVarsFor(engine.dialect) });
const graph = compiled.graph;
const client = new pg.Client({ connectionString: url }); await client.connect();
await client.query('SET search_path TO main'); await migratePostgresRawSchema(client);
const ins = async (from, to) => {
  await client.query(`INSERT INTO main.jobs_raw (job_key, printer_serial, printer_name, task_id, subtask_id, subtask_name, gcode_file, print_type, status, gcode_state, started_at, ended_at, progress_percent, layer_num, total_layers, remaining_min, print_error, nozzle_diameter, nozzle_type, filament_type, filament_color, change_seq, updated_at)
   SELECT 'bench-' || i, 'BENCH' || lpad((i % 200)::text, 4, '0'), 'P', (700000000 + i)::text, (800000000 + i)::text, 'Part ' || i, '/x.gcode', 'cloud', 'finished', 'FINISH',
   to_char(to_timestamp(1704067200 + i * 600) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), to_char(to_timestamp(1704067200 + i * 600 + 1800 + (i * 37) % 7200 + 0.123) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
   100, 50, 50, 0, 0, '0.4', 'hs', 'PLA', 'FFFFFFFF', i, to_char(to_timestamp(1704067200 + i * 600 + 1800) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') FROM generate_series($1::bigint, $2::bigint) AS i`, [from, to]);
  await client.query(`INSERT INTO main.job_events_raw (seq, job_key, printer_serial, event, from_status, to_status, gcode_state, at) SELECT i, 'bench-' || i, 'BENCH' || lpad((i % 200)::text, 4, '0'), 'finished', 'running', 'finished', 'FINISH', '2024-01-01T00:00:00.000Z' FROM generate_series($1::bigint, $2::bigint) AS i`, [from, to]);
};
const exists = (await client.query(`select count(*)::int n from main.jobs_raw`)).rows[0].n;
if (exists === 0) { await ins(1, size); await client.query('VACUUM ANALYZE main.jobs_raw'); await client.query('VACUUM ANALYZE main.job_events_raw'); }
const executor = await engine.connect();
let r = await runGraph(graph, { executor, dialect: engine.dialect, selection: { tags: ['bronze'] }, trigger: 'bench' });
console.log('build', r.status);
const n = (await client.query(`select max(seq)::int n from main.job_events_raw`)).rows[0].n;
await ins(n + 1, n + 100);
r = await runGraph(graph, { executor, dialect: engine.dialect, selection: { tags: ['bronze'] }, trigger: 'bench' });
for (const a of r.actions) console.log(String(a.durationMs).padStart(7), a.status, a.name, a.rowsAffected ?? '', a.scope ?? '', a.error ?? '');
await executor.close(); await client.end();
