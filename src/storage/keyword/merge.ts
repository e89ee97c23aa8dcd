import { KeywordIndexError } from './errors.js';
import type { KeywordIndexMergeStats } from './keyword-index.js';
import { compareTermBytes, DEFAULT_PAGE_BYTES, type PageSink, Segment, SegmentWriter, sortTerms, termBlockOf } from './segment.js';

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

export interface StreamingMergeOptions {
  /**
   * About how many bytes of source postings to hold at once (split among the sources' read-ahead):
   * with the head arrays and the largest merged term, this bounds what merging holds.
   */
  readBytes?: number;
  pageBytes?: number;
}

/** 4 MB of read-ahead in all: a few range queries per source and MB, and little memory. */
export const DEFAULT_MERGE_READ_BYTES = 4 * 2 ** 20;

/**
 * The same merge as `mergeSegments`, the same bytes, but streamed: terms are taken in dictionary
 * order from every source at once (their dictionaries are sorted), each term's runs read in
 * order (stored segments page by page, `Segment.sequentialReader`) and merged, and the merged
 * segment's pages handed to `sink` as they fill. What it holds: the merged head's arrays (ids,
 * lengths, dictionary: ~12 B per doc), a doc-number map per source (4 B per doc), the read-ahead
 * windows, and one term's postings: not the postings of the index.
 */
export function mergeSegmentsStreaming(
  segments: readonly Segment[],
  isDeleted: (id: number) => boolean,
  sink: PageSink,
  options: StreamingMergeOptions = {},
): { docs: number; head: Uint8Array } {
  const S = segments.length;
  const readBytes = options.readBytes ?? DEFAULT_MERGE_READ_BYTES;
  if (!(Number.isFinite(readBytes) && readBytes >= 0)) throw new KeywordIndexError(`The merge read-ahead must be a number of bytes ≥ 0, got ${readBytes}.`);

  // Live docs by id: a k-way merge of the sources' (increasing) ids; newLocal[s][local] = merged number or −1.
  const newLocal = segments.map((seg) => new Int32Array(seg.docCount).fill(-1));
  let D = 0;
  for (const seg of segments) D += seg.docCount;
  const ids = new Uint32Array(D);
  const titleLengths = new Uint32Array(D);
  const textLengths = new Uint32Array(D);
  let totalTitle = 0;
  let totalText = 0;
  const at = new Uint32Array(S);
  let n = 0;
  for (;;) {
    let best = -1;
    for (let s = 0; s < S; s++) {
      const seg = segments[s]!;
      while (at[s]! < seg.docCount && isDeleted(seg.ids[at[s]!]!)) at[s]!++;
      if (at[s]! < seg.docCount && (best < 0 || seg.ids[at[s]!]! < segments[best]!.ids[at[best]!]!)) best = s;
    }
    if (best < 0) break;
    const seg = segments[best]!;
    const local = at[best]!++;
    const id = seg.ids[local]!;
    if (n > 0 && ids[n - 1] === id) throw new KeywordIndexError(`Passage id ${id} is live in two segments; mark the old copy deleted before merging.`);
    newLocal[best]![local] = n;
    ids[n] = id;
    titleLengths[n] = seg.titleLengths[local]!;
    textLengths[n] = seg.textLengths[local]!;
    totalTitle += titleLengths[n]!;
    totalText += textLengths[n]!;
    n++;
  }
  const writer = new SegmentWriter(
    { ids: ids.slice(0, n), titleLengths: titleLengths.slice(0, n), textLengths: textLengths.slice(0, n), totalTitleLength: totalTitle, totalTextLength: totalText },
    sink,
    options.pageBytes ?? DEFAULT_PAGE_BYTES,
  );

  const readers = segments.map((seg) => seg.sequentialReader(Math.floor(readBytes / Math.max(1, S))));
  const ordinal = new Uint32Array(S);
  const runs: Array<{ s: number; docs: Uint32Array; tfTitle: Uint8Array; tfText: Uint8Array; pos: number }> = [];
  let outDocs = new Uint32Array(1024);
  let outTitle = new Uint8Array(1024);
  let outText = new Uint8Array(1024);
  for (;;) {
    // The smallest current term over the sources.
    let term: Uint8Array | undefined;
    for (let s = 0; s < S; s++) {
      if (ordinal[s]! >= segments[s]!.termCount) continue;
      const t = segments[s]!.termBytes(ordinal[s]!);
      if (term === undefined || compareTermBytes(t, term) < 0) term = t;
    }
    if (term === undefined) break;
    runs.length = 0;
    let bound = 0;
    for (let s = 0; s < S; s++) {
      if (ordinal[s]! >= segments[s]!.termCount || compareTermBytes(segments[s]!.termBytes(ordinal[s]!), term) !== 0) continue;
      const p = readers[s]!(ordinal[s]!++);
      runs.push({ s, ...p, pos: 0 });
      bound += p.docs.length;
    }
    if (bound > outDocs.length) {
      outDocs = new Uint32Array(bound * 2);
      outTitle = new Uint8Array(bound * 2);
      outText = new Uint8Array(bound * 2);
    }
    // Within a source new numbers follow old ones (both follow id order), so each run stays ordered.
    let out = 0;
    for (;;) {
      let best = -1;
      let bestDoc = 0;
      for (let r = 0; r < runs.length; r++) {
        const run = runs[r]!;
        const map = newLocal[run.s]!;
        while (run.pos < run.docs.length && map[run.docs[run.pos]!]! < 0) run.pos++;
        if (run.pos === run.docs.length) continue;
        const d = map[run.docs[run.pos]!]!;
        if (best < 0 || d < bestDoc) {
          best = r;
          bestDoc = d;
        }
      }
      if (best < 0) break;
      const run = runs[best]!;
      outDocs[out] = bestDoc;
      outTitle[out] = run.tfTitle[run.pos]!;
      outText[out] = run.tfText[run.pos]!;
      out++;
      run.pos++;
    }
    // A term left with no live doc disappears from the dictionary.
    if (out > 0) writer.addTerm(term, outDocs.subarray(0, out), outTitle.subarray(0, out), outText.subarray(0, out));
  }
  return writer.finish();
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
