/** A compact BM25F keyword index: immutable binary segments, deletion marks, MaxScore search, merging. */
export { KeywordIndexError } from './errors.js';
export { Segment, SegmentBuilder, SEGMENT_FORMAT_VERSION, type SegmentDoc } from './segment.js';
export { KeywordIndex, type KeywordHit, type KeywordIndexMergeStats, type KeywordIndexOptions, type KeywordQueryTerm, type KeywordSearchStats } from './keyword-index.js';
export { DEFAULT_MERGE_POLICY, mergeSegments, shouldMerge, type MergePolicy } from './merge.js';
