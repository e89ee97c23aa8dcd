import { KeywordIndexError } from './errors.js';
import type { KeywordIndexMergeStats } from './keyword-index.js';
import { Segment, sortTerms, termBlockOf } from './segment.js';

/**
 * One segment holding the live docs of `segments` (those `isDeleted` rejects are dropped), ids in
 * increasing order. Postings are regrouped with two stable counting sorts (by new doc number, then
 * by term), so each term's docs come out in order without comparing. A term left with no live doc
 * disappears from the dictionary.
 */
export function mergeSegments(segments: Segment[], isDeleted: (id: number) => boolean): Segment {
  // Live docs, by id.
  const live: Array<{ id: number; seg: number; local: number }> = [];
  segments.forEach((seg, s) => {
    for (let d = 0; d < seg.docCount; d++) if (!isDeleted(seg.ids[d]!)) live.push({ id: seg.ids[d]!, seg: s, local: d });
  });
  live.sort((a, b) => a.id - b.id);
  const newLocal = segments.map((seg) => new Int32Array(seg.docCount).fill(-1));
  const D = live.length;
  const ids = new Uint32Array(D);
  const titleLengths = new Uint32Array(D);
  const textLengths = new Uint32Array(D);
  let totalTitle = 0;
  let totalText = 0;
  live.forEach((doc, i) => {
    if (i > 0 && live[i - 1]!.id === doc.id) throw new KeywordIndexError(`Passage id ${doc.id} is live in two segments; mark the old copy deleted before merging.`);
    const seg = segments[doc.seg]!;
    newLocal[doc.seg]![doc.local] = i;
    ids[i] = doc.id;
    titleLengths[i] = seg.titleLengths[doc.local]!;
    textLengths[i] = seg.textLengths[doc.local]!;
    totalTitle += titleLengths[i]!;
    totalText += textLengths[i]!;
  });

  // Global term numbers, given only to terms with a live posting.
  const dict = new Map<string, number>();
  const vocab: string[] = [];
  const termOf = segments.map((seg) => new Int32Array(seg.termCount).fill(-1));
  let P = 0;
  segments.forEach((seg, s) => {
    const map = newLocal[s]!;
    for (let t = 0; t < seg.termCount; t++) {
      let liveHere = 0;
      for (let p = seg.postingStarts[t]!, end = seg.postingStarts[t + 1]!; p < end; p++) if (map[seg.postingDocs[p]!]! >= 0) liveHere++;
      if (liveHere === 0) continue;
      P += liveHere;
      const term = seg.term(t);
      let g = dict.get(term);
      if (g === undefined) {
        g = vocab.length;
        dict.set(term, g);
        vocab.push(term);
      }
      termOf[s]![t] = g;
    }
  });

  // Flat (term, doc, tf, tf) list, then sort by doc, then (stable) by term rank.
  const sorted = sortTerms(vocab.slice());
  const rank = new Uint32Array(vocab.length);
  for (let r = 0; r < sorted.length; r++) rank[dict.get(sorted[r]!)!] = r;
  const aTerm = new Uint32Array(P);
  const aDoc = new Uint32Array(P);
  const aTfTitle = new Uint8Array(P);
  const aTfText = new Uint8Array(P);
  let at = 0;
  segments.forEach((seg, s) => {
    const map = newLocal[s]!;
    const terms = termOf[s]!;
    for (let t = 0; t < seg.termCount; t++) {
      const g = terms[t]!;
      if (g < 0) continue;
      for (let p = seg.postingStarts[t]!, end = seg.postingStarts[t + 1]!; p < end; p++) {
        const d = map[seg.postingDocs[p]!]!;
        if (d < 0) continue;
        aTerm[at] = rank[g]!;
        aDoc[at] = d;
        aTfTitle[at] = seg.tfTitle[p]!;
        aTfText[at] = seg.tfText[p]!;
        at++;
      }
    }
  });
  // Pass 1: order of positions by doc.
  const byDoc = countingOrder(aDoc, D, P);
  // Pass 2: stable by term, reading in doc order.
  const T = sorted.length;
  const postingStarts = new Uint32Array(T + 1);
  for (let p = 0; p < P; p++) postingStarts[aTerm[p]! + 1]!++;
  for (let t = 0; t < T; t++) postingStarts[t + 1]! += postingStarts[t]!;
  const fill = postingStarts.slice(0, T);
  const postingDocs = new Uint32Array(P);
  const tfTitle = new Uint8Array(P);
  const tfText = new Uint8Array(P);
  for (let i = 0; i < P; i++) {
    const p = byDoc[i]!;
    const dst = fill[aTerm[p]!]!++;
    postingDocs[dst] = aDoc[p]!;
    tfTitle[dst] = aTfTitle[p]!;
    tfText[dst] = aTfText[p]!;
  }
  const { termOffsets, termBlock } = termBlockOf(sorted);
  return Segment.fromParts({ ids, titleLengths, textLengths, termOffsets, postingStarts, postingDocs, tfTitle, tfText, termBlock }, totalTitle, totalText);
}

/** Positions 0..n−1 ordered by key (stable counting sort; keys < buckets). */
function countingOrder(keys: Uint32Array, buckets: number, n: number): Uint32Array {
  const start = new Uint32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[keys[i]! + 1]!++;
  for (let b = 0; b < buckets; b++) start[b + 1]! += start[b]!;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[start[keys[i]!]!++] = i;
  return order;
}

/** When to merge, per `shouldMerge`. */
export interface MergePolicy {
  /** Merge once the index holds more segments than this (each segment costs a cursor set and a bound per query term). */
  maxSegments: number;
  /** Merge once this share of the held docs is deleted (statistics already leave them out, but their postings still take space and are read by every search). */
  maxDeletedShare: number;
}

export const DEFAULT_MERGE_POLICY: MergePolicy = { maxSegments: 8, maxDeletedShare: 0.2 };

/** True when the index should be merged into one segment: too many segments, or too many deleted docs. */
export function shouldMerge(stats: KeywordIndexMergeStats, policy: MergePolicy = DEFAULT_MERGE_POLICY): boolean {
  if (stats.segments > policy.maxSegments) return true;
  return stats.docs > 0 && stats.deleted / stats.docs > policy.maxDeletedShare;
}
