import { KeywordIndexError } from './errors.js';

/**
 * One immutable keyword segment: the postings of a batch of passages, in ONE binary buffer that
 * `decode` wraps with typed-array views (no per-posting objects), so loading is a checksum and a
 * few bounds checks.
 *
 * Layout (little-endian; every section starts on an 8-byte boundary):
 *   header (64 bytes): magic "AKWS", version, total byte length, checksum of bytes 16.., doc count,
 *     term count, posting count, term-block bytes, total title length (f64), total text length (f64)
 *   ids            u32[docs]     passage ids, strictly increasing
 *   titleLengths   u32[docs]     analysed terms per field (the BM25 length)
 *   textLengths    u32[docs]
 *   termOffsets    u32[terms+1]  into the term block
 *   postingStarts  u32[terms+1]  into the posting arrays; df = end − start
 *   postingDocs    u32[postings] local doc numbers (index into ids), increasing within a term
 *   tfTitle        u8[postings]  term frequency per field, clamped to 255
 *   tfText         u8[postings]
 *   termBlock      UTF-8 terms, concatenated, sorted by code point (= byte order)
 */

/** A passage as the index sees it: already-analysed terms (`analyze()`), in order, with repeats. */
export interface SegmentDoc {
  id: number;
  title: readonly string[];
  text: readonly string[];
}

const MAGIC = 0x53574b41; // "AKWS"
export const SEGMENT_FORMAT_VERSION = 2;
const HEADER_BYTES = 64;
const MAX_TF = 255;
const MAX_U32 = 0xffffffff;

const align8 = (n: number): number => (n + 7) & ~7;

/**
 * Order-sensitive 32-bit hash of the words from `start`: four interleaved multiply-xor chains (so
 * the CPU runs them in parallel), combined at the end. Each step is a bijection of its lane's
 * state, so any one changed word changes the result.
 */
function checksum(bytes: Uint8Array, start: number): number {
  const words = new Uint32Array(bytes.buffer, bytes.byteOffset + start, (bytes.byteLength - start) >>> 2);
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
  let h = Math.imul(h0 ^ (h1 >>> 7), 0x85ebca6b);
  h = Math.imul(h ^ h2 ^ (h >>> 13), 0xc2b2ae35);
  h = Math.imul(h ^ h3 ^ (h >>> 16), 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}

interface Sections {
  ids: Uint32Array;
  titleLengths: Uint32Array;
  textLengths: Uint32Array;
  termOffsets: Uint32Array;
  postingStarts: Uint32Array;
  postingDocs: Uint32Array;
  tfTitle: Uint8Array;
  tfText: Uint8Array;
  termBlock: Uint8Array;
}

interface Counts {
  docs: number;
  terms: number;
  postings: number;
  termBytes: number;
}

/** Byte offsets of each section, and the total length, for the given counts. */
function layout(c: Counts): { offsets: Record<keyof Sections, number>; total: number } {
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
    postingDocs: take(4 * c.postings),
    tfTitle: take(c.postings),
    tfText: take(c.postings),
    termBlock: take(c.termBytes),
  };
  return { offsets, total: at };
}

function views(bytes: Uint8Array, c: Counts): Sections {
  const { offsets: o } = layout(c);
  const { buffer, byteOffset: b } = bytes;
  return {
    ids: new Uint32Array(buffer, b + o.ids, c.docs),
    titleLengths: new Uint32Array(buffer, b + o.titleLengths, c.docs),
    textLengths: new Uint32Array(buffer, b + o.textLengths, c.docs),
    termOffsets: new Uint32Array(buffer, b + o.termOffsets, c.terms + 1),
    postingStarts: new Uint32Array(buffer, b + o.postingStarts, c.terms + 1),
    postingDocs: new Uint32Array(buffer, b + o.postingDocs, c.postings),
    tfTitle: new Uint8Array(buffer, b + o.tfTitle, c.postings),
    tfText: new Uint8Array(buffer, b + o.tfText, c.postings),
    termBlock: new Uint8Array(buffer, b + o.termBlock, c.termBytes),
  };
}

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
  /** Postings of term ordinal t are positions postingStarts[t] .. postingStarts[t+1]−1 of the three posting arrays. */
  readonly postingStarts: Uint32Array;
  readonly postingDocs: Uint32Array;
  readonly tfTitle: Uint8Array;
  readonly tfText: Uint8Array;
  private readonly termOffsets: Uint32Array;
  private readonly termBlock: Uint8Array;
  private readonly bytes: Uint8Array;

  private constructor(bytes: Uint8Array, header: DataView, c: Counts) {
    this.bytes = bytes;
    this.docCount = c.docs;
    this.termCount = c.terms;
    this.postingCount = c.postings;
    this.totalTitleLength = header.getFloat64(32, true);
    this.totalTextLength = header.getFloat64(40, true);
    const s = views(bytes, c);
    this.ids = s.ids;
    this.titleLengths = s.titleLengths;
    this.textLengths = s.textLengths;
    this.termOffsets = s.termOffsets;
    this.postingStarts = s.postingStarts;
    this.postingDocs = s.postingDocs;
    this.tfTitle = s.tfTitle;
    this.tfText = s.tfText;
    this.termBlock = s.termBlock;
  }

  /** The segment as one buffer (the same bytes `decode` read or `finish` wrote: do not mutate it). */
  encode(): Uint8Array {
    return this.bytes;
  }

  /**
   * Wraps an encoded segment. Verifies the magic, version, length, checksum and the dictionary's
   * bounds; throws KeywordIndexError when the buffer is damaged or truncated. A buffer that is not
   * 4-byte aligned (possible for a Node Buffer slice) is copied once.
   */
  static decode(input: Uint8Array): Segment {
    return Segment.wrap(input, true);
  }

  /** @internal `verify: false` only for buffers this module has just written. */
  static wrap(input: Uint8Array, verify: boolean): Segment {
    const fail = (why: string): never => {
      throw new KeywordIndexError(`Damaged keyword segment (${why}); rebuild the keyword index from the corpus.`);
    };
    if (!(input instanceof Uint8Array)) fail('not a byte buffer');
    if (input.byteLength < HEADER_BYTES) fail(`${input.byteLength} bytes, shorter than the ${HEADER_BYTES}-byte header`);
    const bytes = input.byteOffset % 8 === 0 ? input : input.slice();
    const header = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
    if (header.getUint32(0, true) !== MAGIC) fail('not a keyword segment: bad magic number');
    const version = header.getUint32(4, true);
    if (version !== SEGMENT_FORMAT_VERSION) fail(`format version ${version}, this code reads version ${SEGMENT_FORMAT_VERSION}`);
    const total = header.getUint32(8, true);
    if (total !== bytes.byteLength) fail(`header says ${total} bytes, buffer holds ${bytes.byteLength}: truncated or padded`);
    const c: Counts = { docs: header.getUint32(16, true), terms: header.getUint32(20, true), postings: header.getUint32(24, true), termBytes: header.getUint32(28, true) };
    if (layout(c).total !== total) fail('section sizes do not add up to the buffer length');
    if (verify && checksum(bytes, 16) !== header.getUint32(12, true)) fail('checksum mismatch');
    const seg = new Segment(bytes, header, c);
    if (verify) seg.checkStructure(fail);
    return seg;
  }

  private checkStructure(fail: (why: string) => never): void {
    const { ids, termOffsets, postingStarts } = this;
    for (let i = 1; i < ids.length; i++) if (ids[i]! <= ids[i - 1]!) fail('ids not increasing');
    if (termOffsets[0] !== 0 || termOffsets[this.termCount] !== this.termBlock.length) fail('term offsets out of bounds');
    if (postingStarts[0] !== 0 || postingStarts[this.termCount] !== this.postingCount) fail('posting starts out of bounds');
    for (let t = 0; t < this.termCount; t++) {
      if (termOffsets[t + 1]! <= termOffsets[t]!) fail('term offsets not increasing');
      if (postingStarts[t + 1]! <= postingStarts[t]!) fail('posting starts not increasing');
    }
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

  /** @internal Writes a segment from its parts (the builder's and the merger's output). */
  static fromParts(s: Sections, totalTitleLength: number, totalTextLength: number): Segment {
    const c: Counts = { docs: s.ids.length, terms: s.termOffsets.length - 1, postings: s.postingDocs.length, termBytes: s.termBlock.length };
    const { offsets, total } = layout(c);
    if (total > MAX_U32) throw new KeywordIndexError(`Keyword segment would be ${total} bytes, over the 4 GiB format limit; build smaller segments.`);
    const bytes = new Uint8Array(total);
    for (const key of Object.keys(offsets) as Array<keyof Sections>) {
      const src = s[key];
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
    header.setFloat64(32, totalTitleLength, true);
    header.setFloat64(40, totalTextLength, true);
    header.setUint32(12, checksum(bytes, 16), true);
    return Segment.wrap(bytes, false);
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
