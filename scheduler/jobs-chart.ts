import type { QueryRows } from '../lib/index.js';

/** Jobs finished on one UTC day. */
export interface DayCount {
  day: string;
  jobs: number;
}

/**
 * Jobs per UTC day over the last `days` days (zeros included), from jobs_brz's `finished_at`;
 * empty when jobs_brz does not exist yet (before the first run).
 */
export async function jobsPerDay(
  query: QueryRows,
  options: { days?: number; now?: Date } = {},
): Promise<DayCount[]> {
  const days = options.days ?? 30;
  const now = options.now ?? new Date();
  const first = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() - (days - 1)));
  const firstDay = first.toISOString().slice(0, 10);
  const counted = new Map<string, number>();
  try {
    const rows = await query(
      `SELECT substr(finished_at, 1, 10) AS day, COUNT(*) AS jobs FROM jobs_brz
        WHERE substr(finished_at, 1, 10) >= ? GROUP BY substr(finished_at, 1, 10)`,
      [firstDay],
    );
    for (const row of rows) counted.set(String(row.day), Number(row.jobs));
  } catch {
    // No jobs_brz yet (before the first run), or one without finished_at (a project of someone
    // else's): no chart.
    return [];
  }
  const out: DayCount[] = [];
  for (let i = 0; i < days; i++) {
    const day = new Date(first.getTime() + i * 86_400_000).toISOString().slice(0, 10);
    out.push({ day, jobs: counted.get(day) ?? 0 });
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * A bar chart of jobs per day as a self-contained SVG string (no scripts, text escaped). It is drawn
 * at the size it will be shown (the page asks for its card's width), so that labels keep their size:
 * dates along the axis at least every ~80 px, and the count above each bar when there is room.
 */
export function renderJobsChart(counts: readonly DayCount[], size = { width: 640, height: 160 }): string {
  const { width, height } = size;
  if (counts.length === 0) {
    return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="No print history yet" width="${width}" height="40" viewBox="0 0 ${width} 40"><text x="0" y="24" font-size="13" fill="#666">No print history yet: jobs_brz appears after the first run.</text></svg>`;
  }
  const top = 16;
  const bottom = 22;
  const plot = height - top - bottom;
  const max = Math.max(1, ...counts.map((c) => c.jobs));
  const slot = width / counts.length;
  const labelEvery = Math.max(1, Math.ceil(80 / slot));
  const bars = counts
    .map((c, i) => {
      const h = Math.round((c.jobs / max) * plot);
      const x = (i * slot + 1).toFixed(1);
      const y = top + plot - h;
      const middle = (i * slot + slot / 2).toFixed(1);
      const bar = `<rect x="${x}" y="${y}" width="${Math.max(1, slot - 2).toFixed(1)}" height="${h}" fill="#3b82f6"><title>${escapeXml(c.day)}: ${c.jobs} job${c.jobs === 1 ? '' : 's'}</title></rect>`;
      const count =
        c.jobs > 0 && slot >= 16
          ? `<text x="${middle}" y="${y - 3}" font-size="11" fill="#1f2328" text-anchor="middle">${c.jobs}</text>`
          : '';
      // Label from the newest day backwards, so that today always has its date.
      // Labels near an edge are anchored to it, so that they are not cut off.
      const edge = i * slot + slot / 2 < 24 ? 'start' : i * slot + slot / 2 > width - 24 ? 'end' : 'middle';
      const labelX = edge === 'start' ? '0' : edge === 'end' ? String(width) : middle;
      const label =
        (counts.length - 1 - i) % labelEvery === 0
          ? `<text x="${labelX}" y="${height - 6}" font-size="11" fill="#444" text-anchor="${edge}">${escapeXml(shortDay(c.day))}</text>`
          : '';
      return bar + count + label;
    })
    .join('');
  const total = counts.reduce((sum, c) => sum + c.jobs, 0);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Jobs per day: ${total} in ${counts.length} days" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<text x="0" y="11" font-size="11" fill="#444">${total} job${total === 1 ? '' : 's'} in ${counts.length} days, at most ${max} a day (UTC days)</text>` +
    `<line x1="0" y1="${top + plot}" x2="${width}" y2="${top + plot}" stroke="#999"/>${bars}</svg>`
  );
}

/** 2026-11-27 -> "Nov 27"; anything else is shown as it is. */
function shortDay(day: string): string {
  const match = /^\d{4}-(\d{2})-(\d{2})$/.exec(day);
  const month = match ? MONTHS[Number(match[1]) - 1] : undefined;
  return match && month ? `${month} ${Number(match[2])}` : day;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
