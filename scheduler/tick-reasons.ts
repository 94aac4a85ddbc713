import type { RunResult } from '../adapter/index.js';
import type { EndedJob } from '../ingestion/index.js';

/** The tick reasons a user reads on the status page: which jobs, which action, what error. */
export function describeEnded(ended: readonly EndedJob[]): string {
  const shown = ended
    .slice(0, 3)
    .map((job) => `${job.printerSerial}/${job.jobKey} ${job.event} (change ${job.seq})`)
    .join(', ');
  const more = ended.length > 3 ? ` and ${ended.length - 3} more` : '';
  return `${ended.length} job${ended.length === 1 ? '' : 's'} ended: ${shown}${more}`;
}

export function failureOf(result: RunResult): string {
  const failed = result.actions.filter((action) => action.status === 'FAILED');
  if (failed.length === 0) return result.error ?? 'no action reported an error';
  return failed.map((action) => `${action.name}: ${action.error ?? 'failed'}`).join('; ');
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
