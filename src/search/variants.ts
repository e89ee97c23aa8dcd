/**
 * Spelling variants of names from the corpus vocabulary ("Zelensky" / "Zelenskyy", "Kyiv" / "Kiev"
 * are not, but "Shoigu" / "Shoygu" are one edit apart), found by edit distance among terms that
 * share the first letters.
 */
export class VariantFinder {
  private readonly byPrefix = new Map<string, string[]>();

  constructor(terms: Iterable<string> = []) {
    for (const term of terms) this.add(term);
  }

  /** The same, built in slices that yield to the event loop (a running bot refreshing its index). */
  static async create(terms: Iterable<string>, slice = 5000): Promise<VariantFinder> {
    const finder = new VariantFinder();
    let n = 0;
    for (const term of terms) {
      finder.add(term);
      if (++n % slice === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return finder;
  }

  private add(term: string): void {
    if (term.length < 5 || /\d/.test(term)) return;
    const key = term.slice(0, 3);
    const list = this.byPrefix.get(key);
    if (list) list.push(term);
    else this.byPrefix.set(key, [term]);
  }

  /**
   * Terms within 1 edit (2 for terms of 8+ letters) of `term`, excluding itself, sorted: not in the vocabulary's
   * order, which differs between backends (and the order of a query's words is the order its scores are summed in).
   */
  find(term: string): string[] {
    if (term.length < 5) return [];
    const max = term.length >= 8 ? 2 : 1;
    return (this.byPrefix.get(term.slice(0, 3)) ?? [])
      .filter((t) => t !== term && Math.abs(t.length - term.length) <= max && editDistance(t, term, max) <= max)
      .sort();
  }
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
