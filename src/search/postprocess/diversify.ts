import { tokenize } from '../../text/analyze.js';
import type { PostProcessor, Walk } from '../walk.js';

/** A scored candidate passage, as diversify sees it. */
export interface Candidate {
  chunkId: number;
  articleId: string;
  score: number;
  text: string;
}

export interface DiversifyOptions {
  /** At most this many passages from one article. */
  maxPerArticle: number;
  /** Passages whose word 5-gram sets overlap at least this much (Jaccard) are copies of one story. */
  duplicateJaccard: number;
  limit: number;
}

// Three per article: when the best article's first two passages lack the answer, its third sometimes holds it
// (BENCHMARKS.md, session 13); two more articles still fit in a page of five.
export const DEFAULT_DIVERSIFY: DiversifyOptions = { maxPerArticle: 3, duplicateJaccard: 0.5, limit: 50 };

function shingles(text: string, n = 5): Set<string> {
  const words = tokenize(text);
  const out = new Set<string>();
  for (let i = 0; i + n <= words.length; i++) out.add(words.slice(i, i + n).join(' '));
  if (out.size === 0 && words.length) out.add(words.join(' '));
  return out;
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const s of small) if (large.has(s)) inter++;
  return inter / (a.size + b.size - inter || 1);
}

/**
 * Walks candidates best-first, keeping at most `maxPerArticle` per article and dropping passages
 * that repeat one already kept (wire copies of the same story in several outlets).
 */
export function diversify<T extends Candidate>(sorted: readonly T[], options: DiversifyOptions = DEFAULT_DIVERSIFY): T[] {
  const kept: Array<{ c: T; sh: Set<string> }> = [];
  const perArticle = new Map<string, number>();
  for (const c of sorted) {
    if (kept.length >= options.limit) break;
    const n = perArticle.get(c.articleId) ?? 0;
    if (n >= options.maxPerArticle) continue;
    const sh = shingles(c.text);
    if (kept.some((k) => jaccard(k.sh, sh) >= options.duplicateJaccard)) continue;
    kept.push({ c, sh });
    perArticle.set(c.articleId, n + 1);
  }
  return kept.map((k) => k.c);
}

/** Diversifies the ranked list, keeping one more than the page needs (to know whether there is more). */
export function diversifyStep(maxPerArticle: number): PostProcessor {
  return {
    name: 'diversify',
    run(walk: Walk): void {
      walk.ranked = diversify(walk.ranked, { ...DEFAULT_DIVERSIFY, maxPerArticle, limit: walk.offset + walk.k + 1 });
      walk.lap('rank');
    },
  };
}
