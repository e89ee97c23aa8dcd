/**
 * A compact BM25F keyword index: immutable binary segments, deletion marks, MaxScore search, merging.
 *
 *   const b = new SegmentBuilder();
 *   for (const p of passages) b.add({ id: p.id, title: analyze(p.title), text: analyze(p.text) }); // ids increasing
 *   const { head, pages } = b.finish().stored();           // store the head and the posting pages
 *   const seg = Segment.open(head, (first, last) => readPages(first, last), { cache, name }); // postings read on demand
 *   const index = new KeywordIndex([seg]);
 *   index.delete(replacedIds);                             // marks; replaced passages come back under new ids
 *   index.search(terms.map((term) => ({ term, boost })), k, filter);
 *   if (shouldMerge(index.mergeStats())) store(mergeSegments([...index.segments], (id) => index.isDeleted(id)));
 */
export { DamagedSegmentError, KeywordIndexError } from './errors.js';
export { PostingCache, type TermPostings } from './posting-cache.js';
export { DEFAULT_PAGE_BYTES, MAX_TF, Segment, SegmentBuilder, SegmentWriter, SEGMENT_FORMAT_VERSION, type PageReader, type PageSink, type SegmentDoc, type SegmentDocs, type StoredSegment } from './segment.js';
export { KeywordIndex, type KeywordHit, type KeywordIndexMergeStats, type KeywordIndexOptions, type KeywordQueryTerm, type KeywordSearchStats } from './keyword-index.js';
export { DEFAULT_MERGE_POLICY, DEFAULT_MERGE_READ_BYTES, mergeSegments, mergeSegmentsStreaming, shouldMerge, type MergePolicy, type StreamingMergeOptions } from './merge.js';
