import { KeywordIndexError } from './errors.js';

/** One term's postings in one segment: position i is a doc (local number) and its two term frequencies. */
export interface TermPostings {
  docs: Uint32Array;
  tfTitle: Uint8Array;
  tfText: Uint8Array;
}

/** What an entry costs beyond its bytes (the Map entry and three typed-array views), so a million tiny terms stay bounded too. */
const ENTRY_OVERHEAD = 200;

/**
 * The postings read from stored segments, least recently used dropped first once their bytes pass
 * `maxBytes`. One per opened index, shared by its segments (keys are the segments' own). A term
 * bigger than the whole budget is returned to its reader but not kept.
 */
export class PostingCache {
  private readonly entries = new Map<number, { postings: TermPostings; bytes: number }>();
  private held = 0;
  /** Reads that missed (postings read from pages) and that hit, since creation. */
  misses = 0;
  hits = 0;

  constructor(readonly maxBytes: number) {
    if (!(Number.isFinite(maxBytes) && maxBytes >= 0)) throw new KeywordIndexError(`The posting cache size must be a number of bytes ≥ 0, got ${maxBytes}.`);
  }

  /** Bytes held now, posting bytes plus a fixed overhead per term (≤ maxBytes). */
  get bytes(): number {
    return this.held;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: number): TermPostings | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-inserting moves it to the end: a Map iterates in insertion order, so the first key is the least recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.postings;
  }

  /** Keeps a term's postings; `postingBytes` is their buffer's size. */
  set(key: number, postings: TermPostings, postingBytes: number): void {
    const bytes = postingBytes + ENTRY_OVERHEAD;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.held -= old.bytes;
    }
    if (bytes > this.maxBytes) return;
    for (const [k, e] of this.entries) {
      if (this.held + bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.held -= e.bytes;
    }
    this.entries.set(key, { postings, bytes });
    this.held += bytes;
  }

  clear(): void {
    this.entries.clear();
    this.held = 0;
  }
}
