import { openDatabase } from '../lib/sqlite.js';

/**
 * For the farm benchmark: polls jobs_brz every 25 ms in a process of its own and sends the parent
 * each new job_id with the time it was first seen (`node bench/brz-watcher.js DB`, IPC).
 */
const db = openDatabase(process.argv[2]!);
const seen = new Set<string>();
setInterval(() => {
  let rows: string[];
  try {
    rows = db.prepare('SELECT job_id FROM jobs_brz').pluck().all() as string[];
  } catch {
    return; // jobs_brz does not exist before the first run
  }
  const now = Date.now();
  const fresh = rows.filter((id) => !seen.has(id));
  for (const id of fresh) seen.add(id);
  if (fresh.length > 0) process.send?.(fresh.map((id) => [id, now]));
}, 25);
process.on('SIGTERM', () => {
  db.close();
  process.exit(0);
});
