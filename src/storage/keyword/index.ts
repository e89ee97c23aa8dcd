/**
 * A compact BM25F keyword index: immutable binary segments, deletion marks, MaxScore search, merging.
 *
 *   const b = new SegmentBuilder();
 *   for (const p of passages) b.add({ id: p.id, title: analyze(p.title), text: analyze(p.text) }); // ids increasing
 *   const blob = b.finish().encode();                      // store as one BLOB per segment
 *   const index = new KeywordIndex(blobs.map((x) => Segment.decode(x)));
 *   index.delete(replacedIds);                             // marks; replaced passages come back under new ids
 *   index.search(terms.map((term) => ({ term, boost })), k, filter);
 *   if (shouldMerge(index.mergeStats())) store(mergeSegments([...index.segments], (id) => index.isDeleted(id)));
 */
export { KeywordIndexError } from './errors.js';
export { Segment, SegmentBuilder, SEGMENT_FORMAT_VERSION, type SegmentDoc } from './segment.js';
export { KeywordIndex, type KeywordHit, type KeywordIndexMergeStats, type KeywordIndexOptions, type KeywordQueryTerm, type KeywordSearchStats } from './keyword-index.js';
export { DEFAULT_MERGE_POLICY, mergeSegments, shouldMerge, type MergePolicy } from './merge.js';
