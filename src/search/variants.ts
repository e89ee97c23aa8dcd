import { everydayWords } from '../text/background.js';

/**
 * Spelling variants of names from the corpus vocabulary ("Zelensky" / "Zelenskyy", "Kyiv" / "Kiev"
 * are not, but "Shoigu" / "Shoygu" are one edit apart), found by edit distance among terms that
 * share the first letters.
 */
export class VariantFinder {
  /**
   * Terms by their first letter, each list sorted: a slip past the first letter (most are) keeps a word
   * in its list, and the terms sharing a longer prefix stand together in it.
   */
  private readonly byInitial = new Map<string, string[]>();

  constructor(terms: Iterable<string> = []) {
    for (const term of terms) this.add(term);
    for (const list of this.byInitial.values()) list.sort();
  }

  /** The same, built in slices that yield to the event loop (a running bot refreshing its index). */
  static async create(terms: Iterable<string>, slice = 5000): Promise<VariantFinder> {
    const finder = new VariantFinder();
    let n = 0;
    for (const term of terms) {
      finder.add(term);
      if (++n % slice === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    for (const list of finder.byInitial.values()) {
      list.sort();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return finder;
  }

  private add(term: string): void {
    if (term.length < 5 || /\d/.test(term)) return;
    const key = term[0]!;
    const list = this.byInitial.get(key);
    if (list) list.push(term);
    else this.byInitial.set(key, [term]);
  }

  /**
   * Terms within `max` edits of `term` (not itself) among those `prefix` letters alike, with their
   * distance, in sorted order: not the vocabulary's, which differs between backends (and the order of
   * a query's words is the order its scores are summed in).
   */
  private near(term: string, prefix: number, minLength = 5): Array<{ term: string; distance: number }> {
    if (term.length < minLength) return [];
    const max = term.length >= 8 ? 2 : 1;
    const start = term.slice(0, prefix);
    const list = this.byInitial.get(term[0]!) ?? [];
    const out: Array<{ term: string; distance: number }> = [];
    for (let i = firstAtOrAfter(list, start); i < list.length && list[i]!.startsWith(start); i++) {
      const t = list[i]!;
      if (t === term || Math.abs(t.length - term.length) > max) continue;
      const distance = editDistance(t, term, max);
      if (distance <= max) out.push({ term: t, distance });
    }
    return out;
  }

  /** Terms within 1 edit (2 for terms of 8+ letters) of `term` that share its first three letters, excluding itself: a name's other spellings. */
  find(term: string): string[] {
    return this.near(term, 3).map((v) => v.term);
  }

  /**
   * What a word the corpus never uses was likely meant to be: the terms (of five letters or more) fewest edits away
   * (1, or 2 from 8 letters up) with the same first letter. A slip inside the first three letters ("sepak", "chhina")
   * is as common as one after them.
   */
  corrections(term: string): string[] {
    // Four letters too: "putn" is a slip of a corpus term ("putin") before it is one of an everyday word ("put").
    const near = this.near(term, 1, 4);
    const fewest = Math.min(...near.map((v) => v.distance));
    return near.filter((v) => v.distance === fewest).map((v) => v.term);
  }
}

/** The index of the first item of a sorted list at or after `key`. */
function firstAtOrAfter(list: readonly string[], key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Whether a token is an everyday English word as written (then it is no slip, though the corpus may lack it). */
export function isEverydayWord(token: string): boolean {
  return everydayWords().all.has(token);
}

/**
 * The everyday word a token was likely meant as, when it is none itself: the commonest English word one edit away
 * with the same first letter ("hiuse" → "house", "whhich" → "which", "accordihg" → "according"). For words the
 * corpus never uses, whose stems a slip leaves unlike the meant word's ("accordihg" is no "accord").
 */
export function everydaySpelling(token: string): string | undefined {
  if (token.length < 4 || /\d/.test(token)) return undefined;
  if (isEverydayWord(token)) return undefined;
  const { common } = everydayWords();
  let best: { word: string; count: number } | undefined;
  for (const entry of common.get(token[0]!) ?? []) {
    if (Math.abs(entry.word.length - token.length) > 1 || (best && entry.count <= best.count)) continue;
    if (editDistance(entry.word, token, 1) <= 1) best = entry;
  }
  return best?.word;
}

/**
 * Edit distance counting a swap of two neighbouring letters as one edit ("kherosn" → "kherson",
 * "cahnnel" → "channel": the commonest typing slip), as well as an insertion, deletion or
 * substitution (optimal string alignment); gives up (returning max + 1) once it must exceed `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, before[j - 2]! + 1);
      row[j] = d;
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    before = prev;
    prev = row;
  }
  return prev[b.length]!;
}
