import { DamagedSegmentError, KeywordIndexError } from './errors.js';
import type { PostingCache, TermPostings } from './posting-cache.js';

/**
 * One immutable keyword segment. It is stored in two parts so that opening an index reads only
 * what every search needs: a small HEAD (doc ids, field lengths, the term dictionary) and the
 * POSTING REGION, cut into fixed-size pages that are read (and checksummed) when a query needs a
 * term's postings, then kept in a shared, size-bounded cache (posting-cache.ts).
 *
 * Head (little-endian; every section starts on an 8-byte boundary):
 *   header (64 bytes): magic "AKWS", version, head byte length, checksum of head bytes 16.., doc
 *     count, term count, posting count, term-block bytes, total title length (f64), total text
 *     length (f64), page bytes, page count
 *   ids            u32[docs]     passage ids, strictly increasing
 *   titleLengths   u32[docs]     analysed terms per field (the BM25 length)
 *   textLengths    u32[docs]
 *   termOffsets    u32[terms+1]  into the term block
 *   postingStarts  u32[terms+1]  posting numbers; df = end − start
 *   pageChecksums  u32[pages]    one per posting page (so the head's checksum covers them)
 *   termBlock      UTF-8 terms, concatenated, sorted by code point (= byte order)
 * Posting region, 6 bytes per posting: the postings start..end−1 of a term are the bytes
 *   6·start .. 6·end — local doc numbers u32[df] (increasing), then tfTitle u8[df], then tfText
 *   u8[df] (term frequencies clamped to 255) — so a term is one contiguous byte range, and reading
 *   it is one range of pages. Pages hold `page bytes` each (the last one the rest).
 *
 * `encode()` gives the head followed by the whole region as one buffer (for tests and tools);
 * the index database stores `stored()`: the head and the pages as separate rows.
 */

/** A passage as the index sees it: already-analysed terms (`analyze()`), in order, with repeats. */
export interface SegmentDoc {
  id: number;
  title: readonly string[];
  text: readonly string[];
}

/** Returns the stored posting pages first..last (inclusive) of one segment, in page order. */
export type PageReader = (first: number, last: number) => readonly Uint8Array[];

/** A segment as the index database stores it. */
export interface StoredSegment {
  docs: number;
  head: Uint8Array;
  pages: Uint8Array[];
}

export interface OpenSegmentOptions {
  /** Where read postings are kept (shared by the segments of an index). */
  cache: PostingCache;
  /** Names the segment in errors, e.g. "segment 3". */
  name: string;
}

const MAGIC = 0x53574b41; // "AKWS"
export const SEGMENT_FORMAT_VERSION = 3;
/**
 * 16 KB: a rare term (most query terms) costs one page read — four SQLite pages and a 16 KB
 * checksum — while a common one (40k postings = 240 KB) is still one range query of 15 rows.
 */
export const DEFAULT_PAGE_BYTES = 16 * 1024;
const HEADER_BYTES = 64;
const BYTES_PER_POSTING = 6;
/** A term's count in one field of one passage is capped here (one byte): the PostgreSQL postings cap it alike. */
export const MAX_TF = 255;
const MAX_U32 = 0xffffffff;

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * Order-sensitive 32-bit hash of the bytes from `start`: four interleaved multiply-xor chains over
 * the 32-bit words (so the CPU runs them in parallel), then any trailing bytes, combined at the
 * end. Each step is a bijection of its lane's state, so any one changed word changes the result.
 */
function checksum(input: Uint8Array, start: number): number {
  const bytes = (input.byteOffset + start) % 4 === 0 ? input : input.slice();
  const length = bytes.byteLength - start;
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + start, length >>> 2);
  let h0 = 0x811c9dc5;
  let h1 = 0x01000193;
  let h2 = 0x9e3779b9;
  let h3 = 0x85ebca6b;
  const n = words.length & ~3;
  for (let i = 0; i < n; i += 4) {
    h0 = Math.imul(h0 ^ words[i]!, 0x01000193);
    h1 = Math.imul(h1 ^ words[i + 1]!, 0x01000193);
    h2 = Math.imul(h2 ^ words[i + 2]!, 0x01000193);
    h3 = Math.imul(h3 ^ words[i + 3]!, 0x01000193);
    h0 ^= h0 >>> 15;
    h1 ^= h1 >>> 15;
    h2 ^= h2 >>> 15;
    h3 ^= h3 >>> 15;
  }
  for (let i = n; i < words.length; i++) h0 = Math.imul(h0 ^ words[i]!, 0x01000193);
  for (let i = length & ~3; i < length; i++) h0 = Math.imul(h0 ^ bytes[start + i]!, 0x01000193);
  let h = Math.imul(h0 ^ (h1 >>> 7), 0x85ebca6b);
  h = Math.imul(h ^ h2 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ h3 ^ (h >>> 16), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

/** The head's arrays. */
interface HeadSections {
  ids: Uint32Array;
  titleLengths: Uint32Array;
  textLengths: Uint32Array;
  termOffsets: Uint32Array;
  postingStarts: Uint32Array;
  pageChecksums: Uint32Array;
  termBlock: Uint8Array;
}

/** All postings of a segment as three flat arrays, indexed by posting number (the builder's and merger's form). */
interface FlatPostings {
  postingDocs: Uint32Array;
  tfTitle: Uint8Array;
  tfText: Uint8Array;
}

/** What the builder and the merger hand over. */
type Sections = Omit<HeadSections, 'pageChecksums'> & FlatPostings;

interface Counts {
  docs: number;
  terms: number;
  postings: number;
  termBytes: number;
  pages: number;
}

/** Byte offsets of each head section, and the head's length, for the given counts. */
function headLayout(c: Counts): { offsets: Record<keyof HeadSections, number>; total: number } {
  let at = HEADER_BYTES;
  const take = (bytes: number): number => {
    const start = at;
    at = align8(at + bytes);
    return start;
  };
  const offsets = {
    ids: take(4 * c.docs),
    titleLengths: take(4 * c.docs),
    textLengths: take(4 * c.docs),
    termOffsets: take(4 * (c.terms + 1)),
    postingStarts: take(4 * (c.terms + 1)),
    pageChecksums: take(4 * c.pages),
    termBlock: take(c.termBytes),
  };
  return { offsets, total: at };
}

function headViews(bytes: Uint8Array, c: Counts): HeadSections {
  const { offsets: o } = headLayout(c);
  const { buffer, byteOffset: b } = bytes;
  return {
    ids: new Uint32Array(buffer, b + o.ids, c.docs),
    titleLengths: new Uint32Array(buffer, b + o.titleLengths, c.docs),
    textLengths: new Uint32Array(buffer, b + o.textLengths, c.docs),
    termOffsets: new Uint32Array(buffer, b + o.termOffsets, c.terms + 1),
    postingStarts: new Uint32Array(buffer, b + o.postingStarts, c.terms + 1),
    pageChecksums: new Uint32Array(buffer, b + o.pageChecksums, c.pages),
    termBlock: new Uint8Array(buffer, b + o.termBlock, c.termBytes),
  };
}

const pageCountOf = (postings: number, pageBytes: number): number => Math.ceil((postings * BYTES_PER_POSTING) / pageBytes);

/** A parsed, verified head. */
interface Head {
  counts: Counts;
  headBytes: number;
  pageBytes: number;
  totalTitleLength: number;
  totalTextLength: number;
  sections: HeadSections;
}

type Fail = (why: string) => never;

function failWith(make: (message: string, detail: string) => Error, prefix = ''): Fail {
  return (why) => {
    throw make(`Damaged keyword segment (${prefix}${why}); rebuild the keyword index from the corpus.`, `${prefix}${why}`);
  };
}

/**
 * Reads and verifies a head at the start of `input` (magic, version, lengths, checksum, the
 * dictionary's bounds). `exact`: the input is the head alone (else the region may follow).
 */
function parseHead(input: Uint8Array, exact: boolean, fail: Fail): Head {
  if (!(input instanceof Uint8Array)) fail('not a byte buffer');
  if (input.byteLength < HEADER_BYTES) fail(`${input.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
  const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  if (header.getUint32(0, true) !== MAGIC) fail('not a keyword segment: bad magic number');
  const version = header.getUint32(4, true);
  if (version !== SEGMENT_FORMAT_VERSION) fail(`format version ${version}, this code reads version ${SEGMENT_FORMAT_VERSION}`);
  const headBytes = header.getUint32(8, true);
  if (headBytes > bytes.byteLength || (exact && headBytes !== bytes.byteLength)) {
    fail(`header says ${headBytes} head bytes, buffer holds ${bytes.byteLength}: truncated or padded`);
  }
  const counts: Counts = {
    docs: header.getUint32(16, true),
    terms: header.getUint32(20, true),
    postings: header.getUint32(24, true),
    termBytes: header.getUint32(28, true),
    pages: header.getUint32(52, true),
  };
  const pageBytes = header.getUint32(48, true);
  if (pageBytes === 0 || pageBytes % 8 !== 0 || counts.pages !== pageCountOf(counts.postings, pageBytes)) fail('page size and count do not match the postings');
  if (headLayout(counts).total !== headBytes) fail('section sizes do not add up to the head length');
  const head = bytes.subarray(0, headBytes);
  if (checksum(head, 16) !== header.getUint32(12, true)) fail('head checksum mismatch');
  const sections = headViews(head, counts);
  checkStructure(sections, counts, fail);
  return { counts, headBytes, pageBytes, totalTitleLength: header.getFloat64(32, true), totalTextLength: header.getFloat64(40, true), sections };
}

function checkStructure(s: HeadSections, c: Counts, fail: Fail): void {
  const { ids, termOffsets, postingStarts } = s;
  for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) fail('ids not increasing');
  if (termOffsets[0] !== 0 || termOffsets[c.terms] !== c.termBytes) fail('term offsets out of bounds');
  if (postingStarts[0] !== 0 || postingStarts[c.terms] !== c.postings) fail('posting starts out of bounds');
  for (let t = 0; t < c.terms; t++) {
    if (termOffsets[t + 1]! <= termOffsets[t]!) fail('term offsets not increasing');
    if (postingStarts[t + 1]! <= postingStarts[t]!) fail('posting starts not increasing');
  }
}

/** The posting region of flat postings (little-endian, as every typed-array view here assumes). */
function regionOf(starts: Uint32Array, p: FlatPostings): Uint8Array {
  const P = p.postingDocs.length;
  const out = new Uint8Array(P * BYTES_PER_POSTING);
  const docBytes = new Uint8Array(p.postingDocs.buffer, p.postingDocs.byteOffset, p.postingDocs.byteLength);
  for (let t = 0; t + 1 < starts.length; t++) {
    const a = starts[t]!;
    const b = starts[t + 1]!;
    const df = b - a;
    const at = a * BYTES_PER_POSTING;
    out.set(docBytes.subarray(4 * a, 4 * b), at);
    out.set(p.tfTitle.subarray(a, b), at + 4 * df);
    out.set(p.tfText.subarray(a, b), at + 5 * df);
  }
  return out;
}

/** The inverse of `regionOf`. */
function flatOf(starts: Uint32Array, region: Uint8Array, P: number): FlatPostings {
  const postingDocs = new Uint32Array(P);
  const docBytes = new Uint8Array(postingDocs.buffer);
  const tfTitle = new Uint8Array(P);
  const tfText = new Uint8Array(P);
  for (let t = 0; t + 1 < starts.length; t++) {
    const a = starts[t]!;
    const b = starts[t + 1]!;
    const df = b - a;
    const at = a * BYTES_PER_POSTING;
    docBytes.set(region.subarray(at, at + 4 * df), 4 * a);
    tfTitle.set(region.subarray(at + 4 * df, at + 5 * df), a);
    tfText.set(region.subarray(at + 5 * df, at + 6 * df), a);
  }
  return { postingDocs, tfTitle, tfText };
}

/** The head bytes of a segment's sections (its checksum computed last, over everything after it). */
function encodeHead(parts: HeadSections, totals: { title: number; text: number }, pageBytes: number): Uint8Array {
  const c: Counts = {
    docs: parts.ids.length,
    terms: parts.termOffsets.length - 1,
    postings: parts.postingStarts[parts.postingStarts.length - 1]!,
    termBytes: parts.termBlock.length,
    pages: parts.pageChecksums.length,
  };
  const { offsets, total } = headLayout(c);
  if (total > MAX_U32) throw new KeywordIndexError(`Keyword segment head would be ${total} bytes, over the 4 GiB format limit; build smaller segments.`);
  const bytes = new Uint8Array(total);
  for (const key of Object.keys(offsets) as Array<keyof HeadSections>) {
    const src = parts[key];
    bytes.set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), offsets[key]);
  }
  const header = new DataView(bytes.buffer, 0, HEADER_BYTES);
  header.setUint32(0, MAGIC, true);
  header.setUint32(4, SEGMENT_FORMAT_VERSION, true);
  header.setUint32(8, total, true);
  header.setUint32(16, c.docs, true);
  header.setUint32(20, c.terms, true);
  header.setUint32(24, c.postings, true);
  header.setUint32(28, c.termBytes, true);
  header.setFloat64(32, totals.title, true);
  header.setFloat64(40, totals.text, true);
  header.setUint32(48, pageBytes, true);
  header.setUint32(52, c.pages, true);
  header.setUint32(12, checksum(bytes, 16), true);
  return bytes;
}

function checkPageBytes(pageBytes: number): void {
  if (!Number.isInteger(pageBytes) || pageBytes <= 0 || pageBytes % 8 !== 0 || pageBytes > MAX_U32) {
    throw new KeywordIndexError(`Posting page size ${pageBytes} must be a positive multiple of 8 bytes.`);
  }
}

/** Where a segment's postings are: all in memory, or in stored pages read on demand. */
type PostingSource =
  | ({ kind: 'memory' } & FlatPostings)
  | { kind: 'pages'; read: PageReader; pageBytes: number; pageChecksums: Uint32Array; cache: PostingCache; key: number; name: string };

/** Cache keys: segment number · 2^32 + term ordinal (numbers, so the cache's Map hashes no strings). */
let nextSegmentKey = 0;
const SEGMENT_KEYS = 2 ** 20;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export class Segment {
  readonly docCount: number;
  readonly termCount: number;
  readonly postingCount: number;
  /** Sum of the title / text lengths of all docs of this segment (deleted or not: a segment knows no deletions). */
  readonly totalTitleLength: number;
  readonly totalTextLength: number;
  /** Passage ids, strictly increasing; a doc's position here is its local number. */
  readonly ids: Uint32Array;
  readonly titleLengths: Uint32Array;
  readonly textLengths: Uint32Array;
  /** Term ordinal t has the postings postingStarts[t] .. postingStarts[t+1]−1; df = the difference. */
  readonly postingStarts: Uint32Array;
  private readonly termOffsets: Uint32Array;
  private readonly termBlock: Uint8Array;
  private readonly source: PostingSource;

  private constructor(head: Omit<HeadSections, 'pageChecksums'>, totals: { title: number; text: number }, source: PostingSource) {
    this.docCount = head.ids.length;
    this.termCount = head.termOffsets.length - 1;
    this.postingCount = head.postingStarts[this.termCount]!;
    this.totalTitleLength = totals.title;
    this.totalTextLength = totals.text;
    this.ids = head.ids;
    this.titleLengths = head.titleLengths;
    this.textLengths = head.textLengths;
    this.termOffsets = head.termOffsets;
    this.postingStarts = head.postingStarts;
    this.termBlock = head.termBlock;
    this.source = source;
  }

  /** True when the postings are read from stored pages on demand (`open`), false when all are in memory. */
  get paged(): boolean {
    return this.source.kind === 'pages';
  }

  /**
   * Wraps a whole encoded segment (head and region, `encode()`), verifying the head and every
   * page; throws KeywordIndexError when the buffer is damaged or truncated. The postings are
   * copied into memory.
   */
  static decode(input: Uint8Array): Segment {
    const fail = failWith((m) => new KeywordIndexError(m));
    const head = parseHead(input, false, fail);
    const regionBytes = head.counts.postings * BYTES_PER_POSTING;
    if (input.byteLength !== head.headBytes + regionBytes) {
      fail(`header says ${head.headBytes + regionBytes} bytes, buffer holds ${input.byteLength}: truncated or padded`);
    }
    const region = input.subarray(head.headBytes);
    const { pageBytes } = head;
    for (let n = 0; n < head.counts.pages; n++) {
      if (checksum(region.subarray(n * pageBytes, (n + 1) * pageBytes), 0) !== head.sections.pageChecksums[n]) fail(`posting page ${n}: checksum mismatch`);
    }
    const flat = flatOf(head.sections.postingStarts, region, head.counts.postings);
    return new Segment(head.sections, { title: head.totalTitleLength, text: head.totalTextLength }, { kind: 'memory', ...flat });
  }

  /**
   * Opens a stored segment from its head (verified here: checksum and dictionary bounds); each
   * term's postings are read through `read` when first needed, their pages checked against the
   * head's checksums (a damaged page throws DamagedSegmentError, never answers), and kept in
   * `options.cache`.
   */
  static open(head: Uint8Array, read: PageReader, options: OpenSegmentOptions): Segment {
    const parsed = parseHead(head, true, failWith((m, d) => new DamagedSegmentError(m, d), `${options.name}: `));
    const key = (nextSegmentKey++ % SEGMENT_KEYS) * 2 ** 32;
    return new Segment(
      parsed.sections,
      { title: parsed.totalTitleLength, text: parsed.totalTextLength },
      { kind: 'pages', read, pageBytes: parsed.pageBytes, pageChecksums: parsed.sections.pageChecksums, cache: options.cache, key, name: options.name },
    );
  }

  /** The postings of term ordinal t (views; do not mutate). A paged segment reads them from the cache or its pages. */
  postings(t: number): TermPostings {
    const src = this.source;
    const a = this.postingStarts[t]!;
    const b = this.postingStarts[t + 1]!;
    if (src.kind === 'memory') return { docs: src.postingDocs.subarray(a, b), tfTitle: src.tfTitle.subarray(a, b), tfText: src.tfText.subarray(a, b) };
    const key = src.key + t;
    const cached = src.cache.get(key);
    if (cached) return cached;
    const bytes = this.readRegion(a * BYTES_PER_POSTING, b * BYTES_PER_POSTING);
    const df = b - a;
    const postings = { docs: new Uint32Array(bytes.buffer, 0, df), tfTitle: bytes.subarray(4 * df, 5 * df), tfText: bytes.subarray(5 * df, 6 * df) };
    src.cache.set(key, postings, bytes.byteLength);
    return postings;
  }

  /** Bytes from..to−1 of the posting region, from the pages holding them (one read), each page verified. */
  private readRegion(from: number, to: number): Uint8Array {
    const out = new Uint8Array(to - from);
    const src = this.source;
    if (src.kind !== 'pages' || to === from) return out;
    const { pageBytes, pageChecksums, name } = src;
    const fail = failWith((m, d) => new DamagedSegmentError(m, d), `${name}: `);
    const first = Math.floor(from / pageBytes);
    const last = Math.floor((to - 1) / pageBytes);
    const pages = src.read(first, last);
    if (pages.length !== last - first + 1) fail(`posting pages ${first}–${last} missing, ${pages.length} of ${last - first + 1} found`);
    const regionBytes = this.postingCount * BYTES_PER_POSTING;
    for (let i = 0; i < pages.length; i++) {
      const n = first + i;
      const page = pages[i]!;
      const pageStart = n * pageBytes;
      const expected = Math.min(pageBytes, regionBytes - pageStart);
      if (page.byteLength !== expected) fail(`posting page ${n} holds ${page.byteLength} bytes, expected ${expected}`);
      if (checksum(page, 0) !== pageChecksums[n]) fail(`posting page ${n} checksum mismatch`);
      const lo = Math.max(from, pageStart);
      const hi = Math.min(to, pageStart + expected);
      out.set(page.subarray(lo - pageStart, hi - pageStart), lo - from);
    }
    return out;
  }

  /** Every posting as flat arrays (a paged segment reads all its pages, bypassing the cache): for merging and re-encoding. */
  flatPostings(): FlatPostings {
    const src = this.source;
    if (src.kind === 'memory') return src;
    return flatOf(this.postingStarts, this.readRegion(0, this.postingCount * BYTES_PER_POSTING), this.postingCount);
  }

  /** This segment with all its postings in memory (itself if they already are). */
  load(): Segment {
    if (this.source.kind === 'memory') return this;
    const head = { ids: this.ids, titleLengths: this.titleLengths, textLengths: this.textLengths, termOffsets: this.termOffsets, postingStarts: this.postingStarts, termBlock: this.termBlock };
    return new Segment(head, { title: this.totalTitleLength, text: this.totalTextLength }, { kind: 'memory', ...this.flatPostings() });
  }

  /** The segment as the index database stores it: its head and its posting pages. */
  stored(pageBytes = DEFAULT_PAGE_BYTES): StoredSegment {
    checkPageBytes(pageBytes);
    const region = regionOf(this.postingStarts, this.flatPostings());
    const pages: Uint8Array[] = [];
    for (let at = 0; at < region.length; at += pageBytes) pages.push(region.subarray(at, Math.min(region.length, at + pageBytes)));
    const pageChecksums = Uint32Array.from(pages, (p) => checksum(p, 0));
    return { docs: this.docCount, head: this.writeHead(pageBytes, pageChecksums), pages };
  }

  /** The segment as one buffer: its head followed by its posting region (what `decode` reads). */
  encode(pageBytes = DEFAULT_PAGE_BYTES): Uint8Array {
    const { head, pages } = this.stored(pageBytes);
    let total = head.length;
    for (const p of pages) total += p.length;
    const out = new Uint8Array(total);
    out.set(head, 0);
    let at = head.length;
    for (const p of pages) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private writeHead(pageBytes: number, pageChecksums: Uint32Array): Uint8Array {
    const parts = { ids: this.ids, titleLengths: this.titleLengths, textLengths: this.textLengths, termOffsets: this.termOffsets, postingStarts: this.postingStarts, pageChecksums, termBlock: this.termBlock };
    return encodeHead(parts, { title: this.totalTitleLength, text: this.totalTextLength }, pageBytes);
  }

  /** @internal The UTF-8 bytes of term t (a view): merges compare terms by their bytes. */
  termBytes(t: number): Uint8Array {
    return this.termBlock.subarray(this.termOffsets[t], this.termOffsets[t + 1]);
  }

  /**
   * Reads terms' postings in increasing ordinal order (a merge's order), bypassing the query
   * cache: a paged segment's pages are read in runs of about `readAheadBytes`, each verified, so a
   * merge holds one run per source, not the segment. Returned postings are copies (or views of
   * in-memory postings), valid after the next call.
   */
  sequentialReader(readAheadBytes: number): (t: number) => TermPostings {
    const src = this.source;
    if (src.kind === 'memory') return (t) => this.postings(t);
    const regionBytes = this.postingCount * BYTES_PER_POSTING;
    let window: Uint8Array = new Uint8Array(0);
    let from = 0;
    let last = -1;
    return (t) => {
      if (t <= last) throw new KeywordIndexError(`Sequential postings read out of order (term ${t} after ${last}).`);
      last = t;
      const a = this.postingStarts[t]! * BYTES_PER_POSTING;
      const b = this.postingStarts[t + 1]! * BYTES_PER_POSTING;
      if (a < from || b > from + window.byteLength) {
        // From the page holding `a` to at least `b`, read ahead up to about readAheadBytes (whole pages).
        const first = Math.floor(a / src.pageBytes) * src.pageBytes;
        const want = Math.max(b, first + Math.max(src.pageBytes, Math.floor(readAheadBytes / src.pageBytes) * src.pageBytes));
        const to = Math.min(regionBytes, Math.ceil(want / src.pageBytes) * src.pageBytes);
        window = this.readRegion(first, to);
        from = first;
      }
      const df = (b - a) / BYTES_PER_POSTING;
      const at = a - from;
      // A copy, so the docs are 4-byte aligned whatever the term's offset in the window.
      const docs = new Uint32Array(df);
      new Uint8Array(docs.buffer).set(window.subarray(at, at + 4 * df));
      return { docs, tfTitle: window.subarray(at + 4 * df, at + 5 * df), tfText: window.subarray(at + 5 * df, at + 6 * df) };
    };
  }

  /** Ordinal of a term in this segment's dictionary, or −1 (binary search over the UTF-8 bytes). */
  termOrdinal(term: string): number {
    const key = encoder.encode(term);
    const { termOffsets: off, termBlock: block } = this;
    let lo = 0;
    let hi = this.termCount - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const start = off[mid]!;
      const len = off[mid + 1]! - start;
      const n = Math.min(len, key.length);
      let cmp = 0;
      for (let i = 0; i < n && cmp === 0; i++) cmp = block[start + i]! - key[i]!;
      if (cmp === 0) cmp = len - key.length;
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** The term with this ordinal. */
  term(ordinal: number): string {
    return decoder.decode(this.termBlock.subarray(this.termOffsets[ordinal], this.termOffsets[ordinal + 1]));
  }

  /** Number of docs of this segment holding the term (title or text). */
  df(term: string): number {
    const t = this.termOrdinal(term);
    return t < 0 ? 0 : this.postingStarts[t + 1]! - this.postingStarts[t]!;
  }

  /** The vocabulary in code-point order, with each term's df. */
  *terms(): IterableIterator<[term: string, df: number]> {
    for (let t = 0; t < this.termCount; t++) yield [this.term(t), this.postingStarts[t + 1]! - this.postingStarts[t]!];
  }

  /** Local number of a passage id, or −1. */
  localIndex(id: number): number {
    const { ids } = this;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = ids[mid]!;
      if (v === id) return mid;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** @internal Wraps a segment's parts (the builder's and the merger's output), all in memory. */
  static fromParts(s: Sections, totalTitleLength: number, totalTextLength: number): Segment {
    if (s.postingDocs.length > MAX_U32) throw new KeywordIndexError(`Keyword segment would hold ${s.postingDocs.length} postings, over the format's limit; build smaller segments.`);
    const { postingDocs, tfTitle, tfText, ...head } = s;
    return new Segment(head, { title: totalTitleLength, text: totalTextLength }, { kind: 'memory', postingDocs, tfTitle, tfText });
  }
}

/** Code-point order (= UTF-8 byte order); plain `<` on strings is UTF-16 order, which differs only around surrogates. */
export function compareTerms(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

const HAS_SURROGATE = /[\ud800-\udfff]/;

/** Sorts terms by code point, fast when (as for English news) none holds a surrogate pair. */
export function sortTerms(terms: string[]): string[] {
  return terms.some((t) => HAS_SURROGATE.test(t)) ? terms.sort(compareTerms) : terms.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Builds the term block and offsets of a sorted vocabulary. */
export function termBlockOf(sorted: readonly string[]): { termOffsets: Uint32Array; termBlock: Uint8Array } {
  const encoded = sorted.map((t) => encoder.encode(t));
  const termOffsets = new Uint32Array(sorted.length + 1);
  let at = 0;
  for (let i = 0; i < encoded.length; i++) {
    termOffsets[i] = at;
    at += encoded[i]!.length;
  }
  termOffsets[sorted.length] = at;
  const termBlock = new Uint8Array(at);
  for (let i = 0; i < encoded.length; i++) termBlock.set(encoded[i]!, termOffsets[i]!);
  return { termOffsets, termBlock };
}

function grow<T extends Uint32Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const next = new (a.constructor as { new (n: number): T })(Math.max(need, a.length * 2));
  next.set(a);
  return next;
}

/**
 * Collects passages (in increasing id order) and writes one Segment. Postings are appended to
 * flat typed arrays as (term, doc, tf, tf) and grouped by term with one counting sort at `finish`,
 * which keeps each term's docs in increasing order.
 */
export class SegmentBuilder {
  private readonly dict = new Map<string, number>();
  private vocab: string[] = [];
  private ids: number[] = [];
  private titleLengths: number[] = [];
  private textLengths: number[] = [];
  private totalTitle = 0;
  private totalText = 0;
  private postTerm = new Uint32Array(1 << 18);
  private postDoc = new Uint32Array(1 << 18);
  private postTfTitle = new Uint8Array(1 << 18);
  private postTfText = new Uint8Array(1 << 18);
  private postings = 0;
  private touched = new Uint32Array(1 << 12);
  private touchedCount = 0;
  private scratchTitle = new Uint32Array(1 << 12);
  private scratchText = new Uint32Array(1 << 12);
  private finished = false;

  get docCount(): number {
    return this.ids.length;
  }

  /**
   * About what this builder holds now plus what `finish()` and `stored()` add: its posting buffers
   * (10 B per posting slot), the finished postings and their stored pages (12 B per posting), the
   * dictionary and the per-doc arrays. For spilling batches in bounded memory.
   */
  estimatedBytes(): number {
    return this.postTerm.length * 10 + this.postings * 12 + this.vocab.length * 120 + this.ids.length * 40;
  }

  add(doc: SegmentDoc): void {
    if (this.finished) throw new KeywordIndexError('SegmentBuilder.add after finish(): start a new SegmentBuilder for more passages.');
    const { id } = doc;
    if (!Number.isInteger(id) || id < 0 || id > MAX_U32) throw new KeywordIndexError(`Passage id ${String(id)} is not an integer in 0..${MAX_U32}.`);
    const last = this.ids[this.ids.length - 1];
    if (last !== undefined && id <= last) throw new KeywordIndexError(`Passage id ${id} added after ${last}: add a segment's passages in increasing id order, each once.`);
    if (!Array.isArray(doc.title) || !Array.isArray(doc.text)) throw new KeywordIndexError(`Passage ${id}: title and text must be arrays of analysed terms.`);
    const local = this.ids.length;
    this.touchedCount = 0;
    this.count(doc.title, true, id);
    this.count(doc.text, false, id);
    const n = this.touchedCount;
    const need = this.postings + n;
    if (need > this.postTerm.length) {
      this.postTerm = grow(this.postTerm, need);
      this.postDoc = grow(this.postDoc, need);
      this.postTfTitle = grow(this.postTfTitle, need);
      this.postTfText = grow(this.postTfText, need);
    }
    const { scratchTitle, scratchText, touched, postTerm, postDoc, postTfTitle, postTfText } = this;
    let p = this.postings;
    for (let i = 0; i < n; i++, p++) {
      const t = touched[i]!;
      postTerm[p] = t;
      postDoc[p] = local;
      postTfTitle[p] = Math.min(scratchTitle[t]!, MAX_TF);
      postTfText[p] = Math.min(scratchText[t]!, MAX_TF);
      scratchTitle[t] = 0;
      scratchText[t] = 0;
    }
    this.postings = p;
    this.ids.push(id);
    this.titleLengths.push(doc.title.length);
    this.textLengths.push(doc.text.length);
    this.totalTitle += doc.title.length;
    this.totalText += doc.text.length;
  }

  /** Counts a field's terms into its scratch array; `touched` gets each term new to this doc. */
  private count(terms: readonly string[], isTitle: boolean, id: number): void {
    for (let i = 0; i < terms.length; i++) {
      const term = terms[i]!;
      let t = this.dict.get(term);
      if (t === undefined) t = this.newTerm(term, id);
      const title = this.scratchTitle;
      const text = this.scratchText;
      if (title[t] === 0 && text[t] === 0) {
        if (this.touchedCount === this.touched.length) this.touched = grow(this.touched, this.touchedCount + 1);
        this.touched[this.touchedCount++] = t;
      }
      if (isTitle) title[t]!++;
      else text[t]!++;
    }
  }

  private newTerm(term: string, id: number): number {
    if (typeof term !== 'string' || term.length === 0) throw new KeywordIndexError(`Passage ${id}: terms must be non-empty strings, got ${JSON.stringify(term)}.`);
    const t = this.vocab.length;
    this.dict.set(term, t);
    this.vocab.push(term);
    this.scratchTitle = grow(this.scratchTitle, t + 1);
    this.scratchText = grow(this.scratchText, t + 1);
    return t;
  }

  finish(): Segment {
    if (this.finished) throw new KeywordIndexError('SegmentBuilder.finish() called twice.');
    this.finished = true;
    const n = this.vocab.length;
    const sorted = sortTerms(this.vocab.slice());
    const rank = new Uint32Array(n);
    for (let i = 0; i < n; i++) rank[this.dict.get(sorted[i]!)!] = i;
    const { termOffsets, termBlock } = termBlockOf(sorted);
    const P = this.postings;
    const postingStarts = new Uint32Array(n + 1);
    for (let p = 0; p < P; p++) postingStarts[rank[this.postTerm[p]!]! + 1]!++;
    for (let t = 0; t < n; t++) postingStarts[t + 1]! += postingStarts[t]!;
    const fill = postingStarts.slice(0, n);
    const postingDocs = new Uint32Array(P);
    const tfTitle = new Uint8Array(P);
    const tfText = new Uint8Array(P);
    for (let p = 0; p < P; p++) {
      const at = fill[rank[this.postTerm[p]!]!]!++;
      postingDocs[at] = this.postDoc[p]!;
      tfTitle[at] = this.postTfTitle[p]!;
      tfText[at] = this.postTfText[p]!;
    }
    const seg = Segment.fromParts(
      {
        ids: Uint32Array.from(this.ids),
        titleLengths: Uint32Array.from(this.titleLengths, (l) => Math.min(l, MAX_U32)),
        textLengths: Uint32Array.from(this.textLengths, (l) => Math.min(l, MAX_U32)),
        termOffsets,
        postingStarts,
        postingDocs,
        tfTitle,
        tfText,
        termBlock,
      },
      this.totalTitle,
      this.totalText,
    );
    // Let the build buffers go.
    this.postTerm = this.postDoc = new Uint32Array(0);
    this.postTfTitle = this.postTfText = new Uint8Array(0);
    this.dict.clear();
    this.vocab = [];
    return seg;
  }
}

/** Byte order of two UTF-8 terms (= code-point order, the dictionary's). */
export function compareTermBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The docs of a segment being written, in increasing id order (a merge knows them before any posting). */
export interface SegmentDocs {
  ids: Uint32Array;
  titleLengths: Uint32Array;
  textLengths: Uint32Array;
  totalTitleLength: number;
  totalTextLength: number;
}

/** Receives a written posting page (a view valid during the call: copy it to keep it). */
export type PageSink = (page: number, data: Uint8Array) => void;

/**
 * Writes a segment term by term, in dictionary order, handing each posting page to `sink` as soon
 * as it is full; `finish` gives the head (written last: it holds the dictionary and the page
 * checksums). It holds one page and the head's arrays, never the postings.
 */
export class SegmentWriter {
  private readonly page: Uint8Array;
  private fill = 0;
  private pages = 0;
  private checksums = new Uint32Array(64);
  private termOffsets = new Uint32Array(1024);
  private postingStarts = new Uint32Array(1024);
  private termBlock = new Uint8Array(1 << 16);
  private terms = 0;
  private termBytes = 0;
  private postings = 0;
  private previous: Uint8Array | undefined;
  private finished = false;

  constructor(
    private readonly docs: SegmentDocs,
    private readonly sink: PageSink,
    private readonly pageBytes = DEFAULT_PAGE_BYTES,
  ) {
    checkPageBytes(pageBytes);
    this.page = new Uint8Array(pageBytes);
  }

  /** Adds a term (after every term added so far) with its postings: local doc numbers increasing, tf clamped to 255. */
  addTerm(term: Uint8Array, docs: Uint32Array, tfTitle: Uint8Array, tfText: Uint8Array): void {
    if (this.finished) throw new KeywordIndexError('SegmentWriter.addTerm after finish().');
    const df = docs.length;
    if (df === 0) throw new KeywordIndexError('A term must have at least one posting.');
    if (this.previous && compareTermBytes(this.previous, term) >= 0) throw new KeywordIndexError('Terms must be added in increasing dictionary order, each once.');
    if (this.postings + df > MAX_U32) throw new KeywordIndexError('Keyword segment would hold over 2^32 postings; build smaller segments.');
    this.termBlock = grow(this.termBlock, this.termBytes + term.length);
    this.termBlock.set(term, this.termBytes);
    this.previous = this.termBlock.subarray(this.termBytes, this.termBytes + term.length);
    this.termOffsets = grow(this.termOffsets, this.terms + 2);
    this.postingStarts = grow(this.postingStarts, this.terms + 2);
    this.termOffsets[this.terms] = this.termBytes;
    this.postingStarts[this.terms] = this.postings;
    this.termBytes += term.length;
    this.terms++;
    this.postings += df;
    this.write(new Uint8Array(docs.buffer, docs.byteOffset, 4 * df));
    this.write(tfTitle.subarray(0, df));
    this.write(tfText.subarray(0, df));
  }

  private write(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, this.pageBytes - this.fill);
      this.page.set(bytes.subarray(at, at + n), this.fill);
      this.fill += n;
      at += n;
      if (this.fill === this.pageBytes) this.flush();
    }
  }

  private flush(): void {
    if (this.fill === 0) return;
    const data = this.page.subarray(0, this.fill);
    this.checksums = grow(this.checksums, this.pages + 1);
    this.checksums[this.pages] = checksum(data, 0);
    this.sink(this.pages++, data);
    this.fill = 0;
  }

  /** Writes the last page; returns the head (what `Segment.open` reads) and the doc count. */
  finish(): { docs: number; head: Uint8Array } {
    if (this.finished) throw new KeywordIndexError('SegmentWriter.finish() called twice.');
    this.finished = true;
    this.flush();
    this.termOffsets[this.terms] = this.termBytes;
    this.postingStarts[this.terms] = this.postings;
    const { docs } = this;
    const head = encodeHead(
      {
        ids: docs.ids,
        titleLengths: docs.titleLengths,
        textLengths: docs.textLengths,
        termOffsets: this.termOffsets.subarray(0, this.terms + 1),
        postingStarts: this.postingStarts.subarray(0, this.terms + 1),
        pageChecksums: this.checksums.subarray(0, this.pages),
        termBlock: this.termBlock.subarray(0, this.termBytes),
      },
      { title: docs.totalTitleLength, text: docs.totalTextLength },
      this.pageBytes,
    );
    return { docs: docs.ids.length, head };
  }
}
