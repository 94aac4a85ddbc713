import { describe, expect, it } from 'vitest';
import { openDatabase } from '../lib/sqlite.js';
import { queryRowsOf } from '../test/helpers/sqlite-reader.js';
import { jobsPerDay, renderJobsChart } from './jobs-chart.js';

describe('the print-history chart', async () => {
  it('counts jobs per UTC day with the empty days in between', async () => {
    const db = openDatabase(':memory:');
    expect(await jobsPerDay(queryRowsOf(db))).toEqual([]);
    db.exec(`CREATE TABLE jobs_brz (job_id TEXT, finished_at TEXT);
             INSERT INTO jobs_brz VALUES ('a', '2026-11-25T23:59:59.000Z'), ('b', '2026-11-27T00:00:01.000Z'),
                                         ('c', '2026-11-27T10:00:00.000Z'), ('old', '2026-10-01T10:00:00.000Z');`);
    const days = await jobsPerDay(queryRowsOf(db), { days: 3, now: new Date('2026-11-27T12:00:00.000Z') });
    expect(days).toEqual([
      { day: '2026-11-25', jobs: 1 },
      { day: '2026-11-26', jobs: 0 },
      { day: '2026-11-27', jobs: 2 },
    ]);
    db.close();
  });

  it('draws one bar per day, the tallest at full height, with text escaped', async () => {
    const svg = renderJobsChart([
      { day: '2026-11-26', jobs: 1 },
      { day: '<script>', jobs: 4 },
    ]);
    expect(svg.match(/<rect /g)).toHaveLength(2);
    expect(svg).toContain('height="122"');
    expect(svg).not.toContain('<script>');
    expect(renderJobsChart([])).toContain('No print history yet');
  });
});
