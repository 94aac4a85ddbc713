/**
 * A date a user typed for --since/--before: `YYYY-MM-DD` (midnight UTC), a full ISO-8601 time, or unix
 * seconds. Returns undefined for anything else, so that the command can say what it expected.
 */
export function parseUserDate(text: string): Date | undefined {
  const value = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return valid(new Date(`${value}T00:00:00.000Z`));
  if (/^\d{4}-\d{2}-\d{2}T/.test(value)) return valid(new Date(value));
  if (/^\d+(\.\d+)?$/.test(value)) return valid(new Date(Number(value) * 1000));
  return undefined;
}

function valid(date: Date): Date | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export const DATE_HINT =
  'a date as YYYY-MM-DD, an ISO-8601 time such as 2025-05-01T08:00:00Z, or unix seconds';
