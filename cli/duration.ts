/**
 * Durations as `dataform run --timeout` and `--execution-timeout` take them: `90s`, `10m`, `1h30m`,
 * `1.5h`, `250ms`, or a bare number of milliseconds.
 */
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/gy;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  let total = 0;
  let at = 0;
  PART.lastIndex = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    at = PART.lastIndex;
    while (trimmed[at] === ' ') at++;
    PART.lastIndex = at;
  }
  return at === trimmed.length && at > 0 && total > 0 ? total : undefined;
}
