/** "Did you mean ...?" for mistyped config keys: the known keys within a small edit distance. */
import { BROKER_DEFINITIONS } from './definitions.ts';

/** Levenshtein distance, stopping early (returning `limit + 1`) once it must exceed `limit`. */
export function editDistance(a: string, b: string, limit = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (cur[j]! < rowMin) rowMin = cur[j]!;
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[b.length]!, limit + 1);
}

/** How many edits a key of this length may be away from a suggestion: 1 for short keys, up to 3 for long ones. */
function allowedEdits(key: string): number {
  return key.length <= 8 ? 1 : key.length <= 20 ? 2 : 3;
}

/** The candidates closest to `key` (ties included, at most 3), or none when nothing is near enough. */
export function closestKeys(key: string, candidates: Iterable<string>): string[] {
  const limit = allowedEdits(key);
  let best = limit + 1;
  let found: string[] = [];
  for (const c of candidates) {
    if (c === key) continue;
    const d = editDistance(key.toLowerCase(), c, limit);
    if (d < best) {
      best = d;
      found = [c];
    } else if (d === best && d <= limit) found.push(c);
  }
  return best <= limit ? found.slice(0, 3) : [];
}

let brokerNames: string[] | undefined;

/** The broker config keys closest to `key`. */
export function closestKnownKeys(key: string): string[] {
  brokerNames ??= BROKER_DEFINITIONS.map((d) => d.name);
  return closestKeys(key, brokerNames);
}
