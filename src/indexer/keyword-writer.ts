/**
 * Writing the embedded index's keyword segments in bounded memory. A full build adds passages to
 * a segment builder and spills it to the database as a segment whenever it holds the write budget;
 * at the end (and when an update merges) the stored segments are merged into one by a streaming
 * merge that writes the new segment page by page. What writing holds is the budget, the heads of
 * the segments involved (~12 B per passage) and one term's postings, whatever the corpus size.
 */
import type { IndexDatabase } from '../storage/database.js';
import { DEFAULT_PAGE_BYTES, mergeSegmentsStreaming, PostingCache, type Segment, SegmentBuilder } from '../storage/keyword/index.js';
import { analyze } from '../text/analyze.js';
import type { RelatedCollector } from '../text/related.js';

/** Default write budget (`KEYWORD_WRITE_MB`): the batch segment of a full build, and a merge's read-ahead share. */
export const DEFAULT_KEYWORD_WRITE_MB = 256;

const MAX_READ_AHEAD = 4 * 2 ** 20;

/** A passage as the keyword index takes it. */
export interface KeywordPassage {
  id: number;
  title: string;
  text: string;
}

/**
 * Adds passages to a segment builder (a title is analysed once for all its article's passages); their
 * analysed text also feeds the related-words statistics, when collected.
 */
export function addToSegment(builder: SegmentBuilder, passages: readonly KeywordPassage[], related?: RelatedCollector): void {
  let title = '';
  let terms: string[] = [];
  for (const p of passages) {
    if (p.title !== title) {
      title = p.title;
      terms = analyze(title);
    }
    const text = analyze(p.text);
    related?.add(text);
    builder.add({ id: p.id, title: terms, text });
  }
}

/** One in-memory segment of passages (an update's new passages). */
export function segmentOf(passages: readonly KeywordPassage[]): Segment {
  const builder = new SegmentBuilder();
  addToSegment(builder, passages);
  return builder.finish();
}

/** A full build's keyword segments: built batch by batch, spilled to `db` whenever the builder holds `budgetBytes`. */
export class SpillingSegments {
  private builder = new SegmentBuilder();
  readonly ids: number[] = [];

  constructor(
    private readonly db: IndexDatabase,
    private readonly budgetBytes: number,
    private readonly related?: RelatedCollector,
  ) {}

  add(passages: readonly KeywordPassage[]): void {
    addToSegment(this.builder, passages, this.related);
    if (this.builder.estimatedBytes() >= this.budgetBytes) this.spill();
  }

  /** Writes what the builder holds as a segment (an empty index gets one empty segment). */
  private spill(): void {
    const segment = this.builder.finish();
    this.builder = new SegmentBuilder();
    this.ids.push(this.db.transaction(() => this.db.addSegment(segment.stored())));
  }

  /** Spills the rest and merges the spilled segments into one (streamed); returns its id. */
  finish(onProgress?: MergeProgress): number {
    if (this.builder.docCount > 0 || this.ids.length === 0) this.spill();
    if (this.ids.length === 1) return this.ids[0]!;
    const { db, ids } = this;
    return db.transaction(() => {
      const merged = mergeStored(db, [...db.openSegments(ids, new PostingCache(0)).values()], () => false, this.budgetBytes, onProgress);
      db.removeSegments(ids);
      return merged;
    });
  }
}

/**
 * Merges `segments` (stored ones are read page by page) into one new segment of `db`, written page
 * by page, leaving out the passages `isDeleted` names; returns its id. Call it inside the
 * transaction that also removes the merged segments, so readers see either all or none of it.
 */
export function mergeStored(
  db: IndexDatabase,
  segments: readonly Segment[],
  isDeleted: (id: number) => boolean,
  budgetBytes: number,
  onProgress?: MergeProgress,
): number {
  // Read-ahead beyond a few MB per source buys little; a quarter of the budget leaves room for the head and a large term.
  const readBytes = Math.min(budgetBytes / 4, MAX_READ_AHEAD * segments.length);
  let total = 0;
  for (const seg of segments) total += Math.ceil((seg.postingCount * 6) / DEFAULT_PAGE_BYTES);
  onProgress?.(0, total);
  return db.writeSegment((sink) =>
    mergeSegmentsStreaming(
      segments,
      isDeleted,
      (page, data) => {
        sink(page, data);
        if (page % 16 === 15) onProgress?.(page + 1, total);
      },
      { readBytes },
    ),
  );
}

/** Pages written so far by a merge, of at most `total` (deleted passages leave fewer). */
export type MergeProgress = (pages: number, total: number) => void;

/** The write budget in bytes from `KEYWORD_WRITE_MB`. */
export const writeBudgetBytes = (mb: number | undefined): number => (mb ?? DEFAULT_KEYWORD_WRITE_MB) * 2 ** 20;
