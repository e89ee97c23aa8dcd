import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { analyze } from '../src/text/analyze.js';
import {
  KeywordIndex,
  KeywordIndexError,
  mergeSegments,
  Segment,
  SegmentBuilder,
  shouldMerge,
  type KeywordHit,
  type KeywordQueryTerm,
  type KeywordSearchStats,
  type SegmentDoc,
} from '../src/storage/keyword/index.js';
import { tempDir } from './support/corpus.js';
import { seededRandom } from './support/random.js';


/** A Zipfian sampler over `size` terms ("w0" most common); a few non-ASCII terms keep the byte-order dictionary honest. */
function zipf(random: () => number, size: number, s = 1.05): () => string {
  const cdf: number[] = [];
  let sum = 0;
  for (let r = 0; r < size; r++) {
    sum += 1 / (r + 1) ** s;
    cdf.push(sum);
  }
  const names = Array.from({ length: size }, (_, r) => (r % 97 === 13 ? `ü${r}` : r % 89 === 7 ? `😀${r}` : `w${r}`));
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = size - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return names[lo]!;
  };
}

function randomDocs(random: () => number, count: number, vocab: number, maxText = 60): SegmentDoc[] {
  const word = zipf(random, vocab);
  // Unique, sparse ids in random order: segments will not hold ordered id ranges.
  const ids = new Set<number>();
  while (ids.size < count) ids.add(Math.floor(random() * count * 20));
  return [...ids].map((id) => ({
    id,
    title: Array.from({ length: Math.floor(random() * 8) }, word),
    text: Array.from({ length: 1 + Math.floor(random() * maxText) }, word),
  }));
}

function build(docs: SegmentDoc[]): Segment {
  const b = new SegmentBuilder();
  for (const d of [...docs].sort((x, y) => x.id - y.id)) b.add(d);
  return b.finish();
}

function splitInto(docs: SegmentDoc[], parts: number): Segment[] {
  const size = Math.ceil(docs.length / parts);
  return Array.from({ length: parts }, (_, i) => build(docs.slice(i * size, (i + 1) * size)));
}

function expectSameHits(actual: KeywordHit[], expected: KeywordHit[]): void {
  expect(actual.map((h) => h.id)).toEqual(expected.map((h) => h.id));
  actual.forEach((h, i) => {
    expect(Math.abs(h.score - expected[i]!.score)).toBeLessThan(1e-9);
    expect(h.matched).toEqual(expected[i]!.matched);
  });
}

const q = (...terms: string[]): KeywordQueryTerm[] => terms.map((term) => ({ term, boost: 1 }));
const newStats = (): KeywordSearchStats => ({ docsEvaluated: 0, postingsScored: 0, postingsScannedForBounds: 0 });

describe('Segment encoding', () => {
  const docs = randomDocs(seededRandom(1), 300, 400);
  const seg = build(docs);

  it('round-trips through one buffer: ids, lengths, vocabulary, df and search results', () => {
    const bytes = seg.encode();
    const back = Segment.decode(bytes.slice());
    expect([...back.ids]).toEqual([...seg.ids]);
    expect([...back.titleLengths]).toEqual([...seg.titleLengths]);
    expect([...back.textLengths]).toEqual([...seg.textLengths]);
    expect(back.totalTextLength).toBe(docs.reduce((n, d) => n + d.text.length, 0));
    expect(back.totalTitleLength).toBe(docs.reduce((n, d) => n + d.title.length, 0));
    expect([...back.terms()]).toEqual([...seg.terms()]);
    const df = new Map<string, number>();
    for (const d of docs) for (const t of new Set([...d.title, ...d.text])) df.set(t, (df.get(t) ?? 0) + 1);
    expect(new Map(back.terms())).toEqual(df);
    for (const term of ['w0', 'w13', 'ü13', '😀7', 'absent']) expect(back.df(term)).toBe(df.get(term) ?? 0);
    const query = q('w0', 'w5', 'ü110', '😀96', 'nope');
    expectSameHits(new KeywordIndex([back]).search(query, 20), new KeywordIndex([seg]).search(query, 20));
  });

  it('decodes a buffer that does not start on an aligned offset (a Node Buffer slice)', () => {
    const bytes = seg.encode();
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    const back = Segment.decode(host.subarray(3));
    expect([...back.ids]).toEqual([...seg.ids]);
  });

  it('keeps the dictionary in code-point order, so lookups of any term succeed', () => {
    const terms = [...seg.terms()].map(([t]) => t);
    const sortedByBytes = [...terms].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect(terms).toEqual(sortedByBytes);
    for (const t of terms) expect(seg.termOrdinal(t)).toBeGreaterThanOrEqual(0);
  });

  it('rejects a truncated, padded or bit-flipped buffer with KeywordIndexError', () => {
    const bytes = seg.encode();
    const bad: Uint8Array[] = [new Uint8Array(0), bytes.slice(0, 40), bytes.slice(0, bytes.length - 8), bytes.slice(0, bytes.length - 1)];
    const padded = new Uint8Array(bytes.length + 8);
    padded.set(bytes);
    bad.push(padded);
    const random = seededRandom(7);
    for (const at of [0, 5, 9, 13, 17, 33, 64, 200, Math.floor(bytes.length / 2), bytes.length - 1, ...Array.from({ length: 20 }, () => Math.floor(random() * bytes.length))]) {
      const flipped = bytes.slice();
      flipped[at]! ^= 1 << (at % 8);
      bad.push(flipped);
    }
    for (const b of bad) {
      expect(() => Segment.decode(b)).toThrow(KeywordIndexError);
    }
    expect(() => Segment.decode(bytes.slice(0, 100))).toThrow(/truncated/);
    const version = bytes.slice();
    version[4] = 9;
    expect(() => Segment.decode(version)).toThrow(/version 9/);
    // The original is untouched and still decodes.
    expect(Segment.decode(bytes).docCount).toBe(300);
  });

  it('refuses bad builder input with a clear error', () => {
    const b = new SegmentBuilder();
    b.add({ id: 5, title: [], text: ['a'] });
    expect(() => b.add({ id: 5, title: [], text: ['a'] })).toThrow(/increasing id order/);
    expect(() => b.add({ id: 3, title: [], text: ['a'] })).toThrow(KeywordIndexError);
    expect(() => b.add({ id: -1, title: [], text: ['a'] })).toThrow(/not an integer/);
    expect(() => b.add({ id: 1.5, title: [], text: ['a'] })).toThrow(/not an integer/);
    expect(() => b.add({ id: 9, title: [], text: [''] })).toThrow(/non-empty strings/);
    b.add({ id: 10, title: ['a'], text: [] });
    const seg = b.finish();
    expect([...seg.ids]).toEqual([5, 10]);
    expect(() => b.add({ id: 11, title: [], text: ['a'] })).toThrow(/after finish/);
  });

  it('an empty segment encodes, decodes and finds nothing', () => {
    const seg = Segment.decode(new SegmentBuilder().finish().encode());
    expect(seg.docCount).toBe(0);
    expect(new KeywordIndex([seg]).search(q('a'), 5)).toEqual([]);
  });
});

describe('BM25F scores', () => {
  // Three passages; N = 3, average title length 2/3, average text length 2.
  const seg = build([
    { id: 1, title: ['cat'], text: ['cat', 'dog', 'cat'] },
    { id: 2, title: [], text: ['dog', 'bird'] },
    { id: 3, title: ['bird'], text: ['fish'] },
  ]);
  const k1 = 1.2;
  const b = 0.75;
  const norm = (len: number, avg: number): number => 1 - b + (b * len) / avg;
  const idf = (df: number): number => Math.log(1 + (3 - df + 0.5) / (df + 0.5));
  const part = (boost: number, df: number, tfn: number): number => (boost * idf(df) * (k1 + 1) * tfn) / (k1 + tfn);

  it('equal the hand-computed BM25F values', () => {
    const index = new KeywordIndex([seg]);
    expect(index.docCount).toBe(3);
    expect(index.averageFieldLengths()).toEqual({ title: 2 / 3, text: 2 });
    const cat = index.search(q('cat'), 10);
    // Doc 1: one title "cat" (title length 1) and two text "cat" (text length 3).
    const tfn1 = 1 / norm(1, 2 / 3) + 2 / norm(3, 2);
    expect(cat).toHaveLength(1);
    expect(cat[0]!.id).toBe(1);
    expect(cat[0]!.score).toBeCloseTo(part(1, 1, tfn1), 12);
    expect(cat[0]!.score).toBeCloseTo(0.9808292530117262 * 2.2 * (tfn1 / (1.2 + tfn1)), 12);

    const hits = index.search([{ term: 'dog', boost: 2 }, { term: 'bird', boost: 0.5 }, { term: 'zebra', boost: 1 }], 10);
    const d2 = part(2, 2, 1 / norm(2, 2)) + part(0.5, 2, 1 / norm(2, 2));
    const d1 = part(2, 2, 1 / norm(3, 2));
    const d3 = part(0.5, 2, 1 / norm(1, 2 / 3));
    const expected = [
      { id: 2, score: d2, matched: [0, 1] },
      { id: 1, score: d1, matched: [0] },
      { id: 3, score: d3, matched: [1] },
    ].sort((x, y) => y.score - x.score);
    expect(hits.map((h) => h.id)).toEqual(expected.map((h) => h.id));
    hits.forEach((h, i) => {
      expect(h.score).toBeCloseTo(expected[i]!.score, 12);
      expect(h.matched).toEqual(expected[i]!.matched);
    });
  });

  it('applies field weights and parameters', () => {
    const index = new KeywordIndex([seg], { k1: 2, b: 0.5, fieldWeights: { title: 3, text: 1 } });
    const tfn = 3 / (0.5 + (0.5 * 1) / (2 / 3)) + 2 / (0.5 + (0.5 * 3) / 2);
    expect(index.search(q('cat'), 1)[0]!.score).toBeCloseTo((idf(1) * 3 * tfn) / (2 + tfn), 12);
    expect(() => new KeywordIndex([seg], { b: 2 })).toThrow(KeywordIndexError);
  });

  it('refuses a negative or non-finite boost and a bad k', () => {
    const index = new KeywordIndex([seg]);
    expect(() => index.search([{ term: 'cat', boost: -1 }], 3)).toThrow(/boost/);
    expect(() => index.search([{ term: 'cat', boost: Number.NaN }], 3)).toThrow(KeywordIndexError);
    expect(() => index.search(q('cat'), 1.5)).toThrow(/k must be/);
    expect(index.search(q('cat'), 0)).toEqual([]);
    expect(index.search([], 5)).toEqual([]);
  });
});

describe('MaxScore equals the exhaustive scorer', () => {
  it('on randomized corpora: several segments, deletions, filters, boosts, k 1–50, 1–12 terms with absent ones', () => {
    let compared = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const random = seededRandom(seed * 7919);
      const docs = randomDocs(random, 300 + Math.floor(random() * 500), 300 + Math.floor(random() * 1500));
      const index = new KeywordIndex(splitInto(docs, 1 + Math.floor(random() * 4)));
      const word = zipf(random, 1200);
      const allIds = docs.map((d) => d.id);
      for (let round = 0; round < 3; round++) {
        if (round > 0) index.delete(allIds.filter(() => random() < 0.1));
        for (let i = 0; i < 40; i++) {
          const query = Array.from({ length: 1 + Math.floor(random() * 12) }, () => ({
            term: random() < 0.1 ? `absent${Math.floor(random() * 5)}` : word(),
            boost: random() < 0.2 ? 0.1 + random() * 3 : random() < 0.05 ? 0 : 1,
          }));
          const k = 1 + Math.floor(random() * 50);
          const mod = 2 + Math.floor(random() * 4);
          const filter = random() < 0.3 ? (id: number) => id % mod !== 0 : undefined;
          const fast = index.search(query, k, filter);
          const slow = index.searchExhaustive(query, k, filter);
          expectSameHits(fast, slow);
          for (const h of fast) {
            expect(index.isDeleted(h.id)).toBe(false);
            if (filter) expect(filter(h.id)).toBe(true);
          }
          compared += fast.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it('across many block-max windows: large segments whose words come in runs of ids, with deletions and filters', () => {
    let compared = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const random = seededRandom(seed * 104_729);
      const count = 9000 + Math.floor(random() * 9000);
      // Words that crowd one stretch of ids, repeated more or less often, so each window's bounds differ.
      const docs = randomDocs(random, count, 2000, 30).map((d) => {
        const run = `run${Math.floor(d.id / (count * 3))}`;
        return { ...d, text: [...d.text, ...Array.from({ length: 1 + (d.id % 4) }, () => run)] };
      });
      const index = new KeywordIndex(splitInto(docs, 1 + Math.floor(random() * 3)));
      const word = zipf(random, 2000);
      const allIds = docs.map((d) => d.id);
      for (let round = 0; round < 2; round++) {
        if (round > 0) index.delete(allIds.filter(() => random() < 0.15));
        for (let i = 0; i < 12; i++) {
          const query = Array.from({ length: 1 + Math.floor(random() * 10) }, () => ({
            term: random() < 0.3 ? `run${Math.floor(random() * 7)}` : word(),
            boost: random() < 0.2 ? 0.1 + random() * 3 : 1,
          }));
          const k = 1 + Math.floor(random() * 100);
          const filter = random() < 0.3 ? (id: number) => id % 3 !== 0 : undefined;
          const fast = index.search(query, k, filter);
          expectSameHits(fast, index.searchExhaustive(query, k, filter));
          compared += fast.length;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('skips the windows whose bounds cannot reach the k-th score (block-max)', () => {
    // Five windows of docs of equal length; the word is three times as frequent in the first 4,096.
    const docs = Array.from({ length: 5 * 4096 }, (_, id) => ({ id, title: [], text: [...Array.from({ length: id < 4096 ? 3 : 1 }, () => 'tide'), ...Array.from({ length: id < 4096 ? 7 : 9 }, () => 'pad')] }));
    const index = new KeywordIndex([build(docs)]);
    const fast = newStats();
    const slow = newStats();
    expectSameHits(index.search(q('tide'), 10, undefined, fast), index.searchExhaustive(q('tide'), 10, undefined, slow));
    expect(slow.docsEvaluated).toBe(docs.length);
    expect(fast.docsEvaluated).toBeLessThanOrEqual(4096);
  });

  it('breaks score ties by lower id, across segments whose ids interleave', () => {
    // Identical docs: identical scores; segments hold alternating ids.
    const docs = Array.from({ length: 40 }, (_, i) => ({ id: 1000 - i * 7, title: [], text: ['same', 'words'] }));
    const index = new KeywordIndex([build(docs.filter((_, i) => i % 2 === 0)), build(docs.filter((_, i) => i % 2 === 1))]);
    const hits = index.search(q('same'), 5);
    expect(hits.map((h) => h.id)).toEqual([727, 734, 741, 748, 755]);
    expectSameHits(hits, index.searchExhaustive(q('same'), 5));
  });

  it('evaluates far fewer docs than exhaustive for a query with a very common term (k = 10)', () => {
    const random = seededRandom(99);
    const docs = randomDocs(random, 20_000, 5_000, 40);
    const index = new KeywordIndex([build(docs)]);
    // w0 is in most docs; w300 and w900 are rare.
    const query = q('w0', 'w1', 'w300', 'w900');
    expect(index.df('w0')).toBeGreaterThan(10_000);
    const fast = newStats();
    const slow = newStats();
    expectSameHits(index.search(query, 10, undefined, fast), index.searchExhaustive(query, 10, undefined, slow));
    expect(slow.docsEvaluated).toBeGreaterThan(10_000);
    expect(fast.docsEvaluated).toBeLessThan(slow.docsEvaluated / 10);
    expect(fast.postingsScored).toBeLessThan(slow.postingsScored / 10);
  });
});

describe('deletion marks and merging', () => {
  const random = seededRandom(2024);
  const docs = randomDocs(random, 900, 800);
  const segments = splitInto(docs, 3);
  const word = zipf(random, 800);
  const queries = Array.from({ length: 60 }, () => Array.from({ length: 1 + Math.floor(random() * 8) }, () => ({ term: word(), boost: random() < 0.3 ? 2 : 1 })));

  it('deleted passages never appear; statistics count live docs only', () => {
    const index = new KeywordIndex(segments);
    const doomed = docs.filter((_, i) => i % 3 === 0).map((d) => d.id);
    expect(index.delete(doomed)).toBe(doomed.length);
    expect(index.delete([doomed[0]!, 123_456_789])).toBe(0);
    expect(index.docCount).toBe(docs.length - doomed.length);
    const liveDocs = docs.filter((_, i) => i % 3 !== 0);
    expect(index.df('w0')).toBe(liveDocs.filter((d) => d.title.includes('w0') || d.text.includes('w0')).length);
    expect(index.averageFieldLengths().text).toBeCloseTo(liveDocs.reduce((n, d) => n + d.text.length, 0) / liveDocs.length, 12);
    for (const query of queries) for (const h of index.search(query, 30)) expect(doomed.includes(h.id)).toBe(false);
  });

  it('a merged index answers exactly as the unmerged one with deletions, and its segment round-trips', () => {
    const index = new KeywordIndex(segments);
    index.delete(docs.filter((_, i) => i % 4 === 1).map((d) => d.id));
    const merged = mergeSegments(segments, (id) => index.isDeleted(id));
    expect(merged.docCount).toBe(index.docCount);
    expect([...merged.ids]).toEqual([...merged.ids].sort((a, b) => a - b));
    const decoded = Segment.decode(merged.encode().slice());
    const after = new KeywordIndex([decoded]);
    // And a fresh build of the live docs gives the same segment, byte for byte.
    expect(Buffer.from(build(docs.filter((_, i) => i % 4 !== 1)).encode()).equals(Buffer.from(decoded.encode()))).toBe(true);
    for (const query of queries) {
      for (const k of [1, 10, 50]) {
        const before = index.search(query, k);
        expect(after.search(query, k)).toEqual(before);
        expectSameHits(before, index.searchExhaustive(query, k));
      }
    }
  });

  it('ids are unique across segments; addSegment brings new passages in', () => {
    const index = new KeywordIndex(segments.slice(0, 2));
    expect(() => index.addSegment(build(docs.slice(0, 5)))).toThrow(/already in the keyword index/);
    index.addSegment(segments[2]!);
    expect(index.docCount).toBe(docs.length);
    expect(index.segments).toHaveLength(3);
    expect(new Set(index.vocabulary())).toEqual(new Set(docs.flatMap((d) => [...d.title, ...d.text])));
  });

  it('shouldMerge says yes for many segments or many deletions', () => {
    expect(shouldMerge({ segments: 2, docs: 1000, deleted: 10 })).toBe(false);
    expect(shouldMerge({ segments: 9, docs: 1000, deleted: 0 })).toBe(true);
    expect(shouldMerge({ segments: 1, docs: 1000, deleted: 300 })).toBe(true);
    const index = new KeywordIndex(segments);
    index.delete(docs.slice(0, 300).map((d) => d.id));
    expect(index.mergeStats()).toEqual({ segments: 3, docs: 900, deleted: 300 });
    expect(shouldMerge(index.mergeStats())).toBe(true);
  });
});

describe('segments as SQLite blobs', () => {
  it('survive a round trip through a real SQLite file and answer as before', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const random = seededRandom(5);
      const docs = randomDocs(random, 600, 700);
      const segments = splitInto(docs, 3);
      const file = path.join(dir, 'keyword.sqlite');
      const write = new Database(file);
      write.exec('CREATE TABLE segment (n INTEGER PRIMARY KEY, bytes BLOB NOT NULL)');
      const insert = write.prepare('INSERT INTO segment (n, bytes) VALUES (?, ?)');
      segments.forEach((seg, n) => {
        insert.run(n, seg.encode());
      });
      write.close();
      const read = new Database(file, { readonly: true });
      const rows = read.prepare('SELECT bytes FROM segment ORDER BY n').all() as Array<{ bytes: Buffer }>;
      read.close();
      const loaded = new KeywordIndex(rows.map((r) => Segment.decode(r.bytes)));
      const original = new KeywordIndex(segments);
      const word = zipf(random, 700);
      for (let i = 0; i < 30; i++) {
        const query = Array.from({ length: 1 + (i % 6) }, () => ({ term: word(), boost: 1 }));
        expect(loaded.search(query, 20)).toEqual(original.search(query, 20));
      }
    } finally {
      await cleanup();
    }
  });

  it('finds real analysed text: a passage holding every question word ranks first', () => {
    const passages = [
      'Kremlin-installed officials urged residents of Kherson to leave the city as Ukrainian forces advanced.',
      'The central bank raised interest rates again to fight inflation, the highest level in decades.',
      'Residents queued for water in the city after strikes on power plants left many without heating.',
    ];
    const b = new SegmentBuilder();
    passages.forEach((text, id) => {
      b.add({ id, title: analyze(id === 0 ? 'Kherson evacuation' : 'News'), text: analyze(text) });
    });
    const index = new KeywordIndex([b.finish()]);
    const query = [...new Set(analyze('Who urged Kherson residents to leave?'))].map((term) => ({ term, boost: 1 }));
    const hits = index.search(query, 3);
    expect(hits[0]!.id).toBe(0);
    expect(hits[0]!.matched).toEqual(query.map((_, i) => i));
    expect(hits.map((h) => h.id)).toContain(2);
    expect(hits.map((h) => h.id)).not.toContain(1);
  });
});
