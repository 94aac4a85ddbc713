import { openDatabase } from '../lib/sqlite.js';

/**
 * For the farm benchmark: polls jobs_brz every 25 ms in a process of its own and sends the parent
 * each new job_id with the time it was first seen (`node bench/brz-watcher.js DB`, IPC). Each poll
 * reads only the rows above the highest rowid seen (a merge inserts a new job as a new row): reading
 * the whole table 40 times a second cost the machine up to a third of a core by the end of a
 * 5,000-printer run (19k rows), CPU the listener and the scheduler it measures were short of.
 */
const db = openDatabase(process.argv[2]!);
const seen = new Set<string>();
let above = 0;
setInterval(() => {
  let rows: { rowid: number; job_id: string }[];
  try {
    rows = db.prepare('SELECT rowid, job_id FROM jobs_brz WHERE rowid > ? ORDER BY rowid').all(above) as {
      rowid: number;
      job_id: string;
    }[];
  } catch {
    return; // jobs_brz does not exist before the first run
  }
  const now = Date.now();
  const fresh: string[] = [];
  for (const row of rows) {
    above = Math.max(above, row.rowid);
    if (seen.has(row.job_id)) continue;
    seen.add(row.job_id);
    fresh.push(row.job_id);
  }
  if (fresh.length > 0) process.send?.(fresh.map((id) => [id, now]));
}, 25);
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
