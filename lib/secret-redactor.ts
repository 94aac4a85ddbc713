/** Removes secrets from a text; built once for a set of secrets, then called per line. */
export type Redactor = (text: string) => string;

export const SECRET_MASK = '********';

/** Below this many secrets, one native search per secret is faster than the table scan. */
const FEW = 8;

/**
 * A redactor for `secrets`, built once. With few secrets it searches for each (native indexOf);
 * with many (a farm's access codes) it scans the text once, looking up the substring at each
 * position in a set per secret length, so a line costs O(its length × distinct secret lengths)
 * whatever the number of secrets: a farm of 5,000 printers no longer pays 5,000 searches per line.
 * Where two secrets overlap, the one that starts first (then the longer) is masked; either way
 * neither leaves the line whole.
 */
export function secretRedactor(secrets: readonly string[]): Redactor {
  const unique = [...new Set(secrets.filter((secret) => secret.length > 0))];
  if (unique.length === 0) return (text) => text;
  if (unique.length <= FEW) {
    return (text) => {
      let out = text;
      for (const secret of unique) if (out.includes(secret)) out = out.split(secret).join(SECRET_MASK);
      return out;
    };
  }
  const byLength = new Map<number, Set<string>>();
  const firstChars = new Set<number>();
  for (const secret of unique) {
    const set = byLength.get(secret.length) ?? new Set<string>();
    set.add(secret);
    byLength.set(secret.length, set);
    firstChars.add(secret.charCodeAt(0));
  }
  // Longest first, so that a secret that contains another is masked whole.
  const lengths = [...byLength.keys()].sort((a, b) => b - a);
  const shortest = lengths[lengths.length - 1]!;
  return (text) => {
    if (text.length < shortest) return text;
    let out: string[] | null = null;
    let copiedTo = 0;
    let i = 0;
    while (i <= text.length - shortest) {
      let matched = 0;
      if (firstChars.has(text.charCodeAt(i))) {
        for (const length of lengths) {
          if (i + length > text.length) continue;
          if (byLength.get(length)!.has(text.slice(i, i + length))) {
            matched = length;
            break;
          }
        }
      }
      if (matched === 0) {
        i += 1;
        continue;
      }
      out ??= [];
      out.push(text.slice(copiedTo, i), SECRET_MASK);
      i += matched;
      copiedTo = i;
    }
    if (out === null) return text;
    out.push(text.slice(copiedTo));
    return out.join('');
  };
}
