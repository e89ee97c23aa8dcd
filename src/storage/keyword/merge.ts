import { KeywordIndexError } from './errors.js';
import type { KeywordIndexMergeStats } from './keyword-index.js';
import { Segment, sortTerms, termBlockOf } from './segment.js';

/**
 * One segment holding the live docs of `segments` (those `isDeleted` rejects are dropped), ids in
 * increasing order. Terms are written in dictionary order; each term's postings are a k-way merge
 * of its (already ordered) runs in the source segments, renumbered, in one sequential pass. A term
 * left with no live doc disappears from the dictionary.
 */
export function mergeSegments(segments: Segment[], isDeleted: (id: number) => boolean): Segment {
  const S = segments.length;
  // Live docs, by id; newLocal[s][local] = the doc's number in the merged segment, or −1.
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

  // The union vocabulary; ordinals[g·S + s] = the term's ordinal in segment s, or −1.
  const dict = new Map<string, number>();
  const vocab: string[] = [];
  const perSegment: Int32Array[] = [];
  segments.forEach((seg) => {
    const gids = new Int32Array(seg.termCount);
    for (let t = 0; t < seg.termCount; t++) {
      const term = seg.term(t);
      let g = dict.get(term);
      if (g === undefined) {
        g = vocab.length;
        dict.set(term, g);
        vocab.push(term);
      }
      gids[t] = g;
    }
    perSegment.push(gids);
  });
  const ordinals = new Int32Array(vocab.length * S).fill(-1);
  perSegment.forEach((gids, s) => {
    for (let t = 0; t < gids.length; t++) ordinals[gids[t]! * S + s] = t;
  });
  const sorted = sortTerms(vocab.slice());

  let bound = 0;
  for (const seg of segments) bound += seg.postingCount;
  // All postings at once (a stored segment reads its pages once here, not through the query cache).
  const flat = segments.map((seg) => seg.flatPostings());
  const postingDocs = new Uint32Array(bound);
  const tfTitle = new Uint8Array(bound);
  const tfText = new Uint8Array(bound);
  const kept: string[] = [];
  const starts: number[] = [0];
  const runSeg = new Int32Array(S);
  const runPos = new Uint32Array(S);
  const runEnd = new Uint32Array(S);
  let out = 0;
  for (const term of sorted) {
    const g = dict.get(term)!;
    let runs = 0;
    for (let s = 0; s < S; s++) {
      const t = ordinals[g * S + s]!;
      if (t < 0) continue;
      runSeg[runs] = s;
      runPos[runs] = segments[s]!.postingStarts[t]!;
      runEnd[runs] = segments[s]!.postingStarts[t + 1]!;
      runs++;
    }
    const before = out;
    if (runs === 1) {
      const seg = flat[runSeg[0]!]!;
      const map = newLocal[runSeg[0]!]!;
      for (let p = runPos[0]!, end = runEnd[0]!; p < end; p++) {
        const d = map[seg.postingDocs[p]!]!;
        if (d < 0) continue;
        postingDocs[out] = d;
        tfTitle[out] = seg.tfTitle[p]!;
        tfText[out] = seg.tfText[p]!;
        out++;
      }
    } else {
      // Within a source segment new numbers follow old ones (both follow id order), so each run stays ordered.
      for (;;) {
        let best = -1;
        let bestDoc = 0;
        for (let r = 0; r < runs; r++) {
          const seg = flat[runSeg[r]!]!;
          const map = newLocal[runSeg[r]!]!;
          let p = runPos[r]!;
          while (p < runEnd[r]! && map[seg.postingDocs[p]!]! < 0) p++;
          runPos[r] = p;
          if (p === runEnd[r]!) continue;
          const d = map[seg.postingDocs[p]!]!;
          if (best < 0 || d < bestDoc) {
            best = r;
            bestDoc = d;
          }
        }
        if (best < 0) break;
        const seg = flat[runSeg[best]!]!;
        const p = runPos[best]!;
        postingDocs[out] = bestDoc;
        tfTitle[out] = seg.tfTitle[p]!;
        tfText[out] = seg.tfText[p]!;
        out++;
        runPos[best] = p + 1;
      }
    }
    if (out > before) {
      kept.push(term);
      starts.push(out);
    }
  }
  const { termOffsets, termBlock } = termBlockOf(kept);
  return Segment.fromParts(
    {
      ids,
      titleLengths,
      textLengths,
      termOffsets,
      postingStarts: Uint32Array.from(starts),
      postingDocs: postingDocs.subarray(0, out),
      tfTitle: tfTitle.subarray(0, out),
      tfText: tfText.subarray(0, out),
      termBlock,
    },
    totalTitle,
    totalText,
  );
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
