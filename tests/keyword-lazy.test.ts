/**
 * Keyword postings read on demand: an opened index holds only its segments' heads; a term's
 * postings come from the SQLite posting pages (checksummed when read) through a bounded cache.
 * Real index folders built by `buildIndex`, real SQLite files, real updates.
 */
import { createReadStream } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { IndexDatabase } from '../src/storage/database.js';
import { EmbeddedBackend, KEYWORD_OPTIONS } from '../src/storage/embedded.js';
import { resolveIndex } from '../src/storage/folder.js';
import { DamagedSegmentError, DEFAULT_PAGE_BYTES, KeywordIndex, type KeywordQueryTerm, type PageReader, PostingCache, Segment, SegmentBuilder, type TermPostings } from '../src/storage/keyword/index.js';
import { META, SCHEMA_VERSION } from '../src/storage/schema.js';
import { analyze } from '../src/text/analyze.js';
import { SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { hasShared, SHARED } from './support/shared.js';
import { writeGeneratedCorpus } from './support/synthetic-corpus.js';

const settings = testSettings();
const open = (dir: string, cacheBytes?: number): Promise<EmbeddedBackend> => EmbeddedBackend.open(dir, { efSearch: 64, postingCacheBytes: cacheBytes });

/** The same index with every posting loaded up front (what opening did before postings were paged). */
function eagerIndex(file: string): KeywordIndex {
  const db = IndexDatabase.open(file, { readonly: true });
  try {
    const segments = [...db.openSegments(db.segmentIds(), new PostingCache(0)).values()].map((s) => s.load());
    const index = new KeywordIndex(segments, KEYWORD_OPTIONS);
    index.delete(db.deletedIds());
    return index;
  } finally {
    db.close();
  }
}

function segmentIdsOf(file: string): number[] {
  const db = IndexDatabase.open(file, { readonly: true });
  try {
    return db.segmentIds();
  } finally {
    db.close();
  }
}

const queryOf = (text: string): KeywordQueryTerm[] => [...new Set(analyze(text))].map((term, i) => ({ term, boost: 1 + (i % 3) / 2 }));

/** Generated-corpus questions: a few of its words and a number, most present, one absent. */
function generatedQueries(): KeywordQueryTerm[][] {
  const words = 'harbour council river bridge market winter grain power station train school hospital mayor village ferry port crane tax court'.split(' ');
  return Array.from({ length: 30 }, (_, i) => queryOf(`${words[i % words.length]} ${words[(i * 7 + 3) % words.length]} ${i} ${i % 4 === 0 ? 'zeppelin' : ''} ${words[(i * 5 + 1) % words.length]}`));
}

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

describe('PostingCache', () => {
  const postings = (n: number): TermPostings => ({ docs: new Uint32Array(n), tfTitle: new Uint8Array(n), tfText: new Uint8Array(n) });

  it('never holds more than its budget, dropping the least recently used first', () => {
    const cache = new PostingCache(3000);
    for (let key = 0; key < 20; key++) {
      cache.set(key, postings(100), 600);
      expect(cache.bytes).toBeLessThanOrEqual(3000);
    }
    // 600 bytes + the per-term overhead each: 3 fit.
    expect(cache.size).toBe(3);
    expect(cache.get(17)).toBeDefined();
    expect(cache.get(16)).toBeUndefined();
    // 17 was used last: 18 goes first when 20 comes in.
    cache.get(17);
    cache.set(20, postings(100), 600);
    expect(cache.get(18)).toBeUndefined();
    expect(cache.get(17)).toBeDefined();
    expect(cache.get(19)).toBeDefined();
    expect(cache.get(20)).toBeDefined();
  });

  it('returns a term bigger than the whole budget without keeping it, and counts tiny terms by their overhead', () => {
    const cache = new PostingCache(10_000);
    cache.set(1, postings(5000), 30_000);
    expect(cache.size).toBe(0);
    for (let key = 0; key < 1000; key++) cache.set(key, postings(1), 6);
    expect(cache.bytes).toBeLessThanOrEqual(10_000);
    expect(cache.size).toBeLessThan(100);
    expect(() => new PostingCache(-1)).toThrow(/≥ 0/);
  });
});

describe('Segment.open over stored pages', () => {
  // Postings of many docs, so common terms span several small pages.
  const builder = new SegmentBuilder();
  const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu'.split(' ');
  for (let id = 0; id < 400; id++) builder.add({ id: id * 3, title: [words[id % 5]!], text: Array.from({ length: 5 + (id % 7) }, (_, j) => words[(id * j + j) % words.length]!) });
  const memory = builder.finish();

  it('reads each term from the pages holding it (terms spanning many pages included) and answers as in memory', () => {
    for (const pageBytes of [64, 1000, DEFAULT_PAGE_BYTES]) {
      const { head, pages } = memory.stored(pageBytes);
      const reads: Array<[number, number]> = [];
      const cache = new PostingCache(1 << 20);
      const paged = Segment.open(head, (first, last) => {
        reads.push([first, last]);
        return pages.slice(first, last + 1);
      }, { cache, name: 'segment 1' });
      expect(paged.paged).toBe(true);
      expect(reads).toEqual([]);
      for (let t = 0; t < memory.termCount; t++) {
        const a = memory.postings(t);
        const b = paged.postings(t);
        expect([...b.docs]).toEqual([...a.docs]);
        expect([...b.tfTitle]).toEqual([...a.tfTitle]);
        expect([...b.tfText]).toEqual([...a.tfText]);
      }
      // One range read per term; the second pass is served by the cache.
      expect(reads.length).toBe(memory.termCount);
      if (pageBytes === 64) expect(reads.some(([first, last]) => last - first > 3)).toBe(true);
      for (let t = 0; t < memory.termCount; t++) paged.postings(t);
      expect(reads.length).toBe(memory.termCount);
      const query = words.slice(0, 6).map((term, i) => ({ term, boost: 1 + i / 4 }));
      expect(new KeywordIndex([paged]).search(query, 25)).toEqual(new KeywordIndex([memory]).search(query, 25));
      expect(Buffer.from(paged.load().encode(pageBytes)).equals(Buffer.from(memory.encode(pageBytes)))).toBe(true);
    }
  });

  it('a missing, swapped, cut or damaged page, or a damaged head, is a DamagedSegmentError naming the segment and page', () => {
    const { head, pages } = memory.stored(1000);
    expect(pages.length).toBeGreaterThan(3);
    const open = (read: PageReader) => Segment.open(head, read, { cache: new PostingCache(0), name: 'segment 7' });
    const last = memory.termCount - 1;
    const missing = open(() => []);
    expect(() => missing.postings(0)).toThrow(DamagedSegmentError);
    expect(() => missing.postings(0)).toThrow(/segment 7: posting pages 0–\d+ missing/);
    const swapped = open((first, lastPage) => pages.slice(first, lastPage + 1).map((_, i) => pages[(first + i + 1) % pages.length]!));
    expect(() => swapped.postings(0)).toThrow(/segment 7: posting page 0 (checksum mismatch|holds)/);
    const cut = open((first, lastPage) => pages.slice(first, lastPage + 1).map((p) => p.subarray(0, p.length - 1)));
    expect(() => cut.postings(last)).toThrow(/posting page \d+ holds \d+ bytes, expected/);
    const flipped = open((first, lastPage) =>
      pages.slice(first, lastPage + 1).map((p, i) => {
        const copy = p.slice();
        if (first + i === 2) copy[17]! ^= 4;
        return copy;
      }),
    );
    const termInPage2 = [...Array(memory.termCount).keys()].find((t) => 6 * memory.postingStarts[t]! < 3000 && 6 * memory.postingStarts[t + 1]! > 2000)!;
    expect(() => flipped.postings(termInPage2)).toThrow(/segment 7: posting page 2 checksum mismatch/);
    const badHead = head.slice();
    badHead[200]! ^= 1;
    expect(() => Segment.open(badHead, () => pages, { cache: new PostingCache(0), name: 'segment 7' })).toThrow(/segment 7: head checksum mismatch/);
    expect(() => Segment.open(head.subarray(0, head.length - 8), () => pages, { cache: new PostingCache(0), name: 'segment 7' })).toThrow(DamagedSegmentError);
  });
});

describe('an index whose postings are read on demand', { timeout: 120_000 }, () => {
  let out: string;
  let corpus: string;

  beforeAll(async () => {
    corpus = path.join(tmp.dir, 'generated.jsonl');
    await writeGeneratedCorpus(corpus, 150);
    out = path.join(tmp.dir, 'generated-index');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
  });

  it('opens without reading a posting, then answers exactly as the eagerly loaded index, with any cache size', async () => {
    const eager = eagerIndex((await resolveIndex(out)).file);
    for (const cacheBytes of [undefined, 64 * 1024, 1]) {
      const backend = await open(out, cacheBytes);
      expect(backend.postingCache.misses + backend.postingCache.hits).toBe(0);
      expect(backend.terms.docs).toBe(eager.docCount);
      for (const query of generatedQueries()) {
        for (const k of [1, 10, 40]) {
          expect(await backend.keywordCandidates(query, k)).toEqual(eager.search(query, k));
          expect(backend.postingCache.bytes).toBeLessThanOrEqual(cacheBytes ?? 64 * 2 ** 20);
        }
        for (const { term } of query) expect(backend.terms.df(term)).toBe(eager.df(term));
      }
      expect(backend.postingCache.misses).toBeGreaterThan(0);
      if (cacheBytes === 1) expect(backend.postingCache.size).toBe(0);
      else expect(backend.postingCache.hits).toBeGreaterThan(0);
      await backend.close();
    }
  });

  it('a date filter no article matches ends the search before any posting is read', async () => {
    const backend = await open(out);
    const none = await backend.filterFor({ after: '2999-01-01' });
    for (const query of generatedQueries().slice(0, 5)) expect(await backend.keywordCandidates(query, 10, none)).toEqual([]);
    expect(await backend.denseCandidates(new Float32Array(4), 10, none)).toEqual([]);
    expect(backend.postingCache.misses + backend.postingCache.hits).toBe(0);
    // A filter some articles pass still searches.
    const some = await backend.filterFor({ after: '1900-01-01' });
    expect((await backend.keywordCandidates(generatedQueries()[0]!, 10, some)).length).toBeGreaterThan(0);
    await backend.close();
  });

  it('a reader keeps answering from its generation while an update merges its segment away, then refreshes onto the new one', async () => {
    // Nothing cached: every question reads pages, so the old segment's pages must still be there for this reader.
    const reader = await open(out, 1);
    const before = eagerIndex(reader.info.location);
    const queries = generatedQueries();
    const oldIds = segmentIdsOf(reader.info.location);

    // A third of the articles go: more than 20 % deleted, so the update merges into a new segment.
    const lines = (await readFile(corpus, 'utf8')).trim().split('\n');
    await writeFile(corpus, `${lines.slice(0, 100).join('\n')}\n`);
    const update = await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
    expect(update).toMatchObject({ kind: 'update', removed: 50 });
    const newIds = segmentIdsOf(reader.info.location);
    expect(newIds.some((id) => oldIds.includes(id))).toBe(false);

    for (const query of queries) expect(await reader.keywordCandidates(query, 20)).toEqual(before.search(query, 20));

    expect(await reader.refresh()).toBe(true);
    const after = eagerIndex(reader.info.location);
    expect(after.docCount).toBeLessThan(before.docCount);
    for (const query of queries) expect(await reader.keywordCandidates(query, 20)).toEqual(after.search(query, 20));
    // The removed articles' passages are gone from the answers.
    const removedPassages = new Set(before.search(queryOf('harbour council river'), 1000).map((h) => h.id).filter((id) => after.search(queryOf('harbour council river'), 1000).every((h) => h.id !== id)));
    expect(removedPassages.size).toBeGreaterThan(0);
    for (const h of await reader.keywordCandidates(queryOf('harbour council river'), 1000)) expect(removedPassages.has(h.id)).toBe(false);

    // A small update (two articles gone, one changed): no merge, a new segment plus deletion marks the reader applies.
    const changed = JSON.parse(lines[5]!) as { text: string };
    changed.text += ' The zeppelin harbour council met on Friday.';
    await writeFile(corpus, `${[...lines.slice(0, 5), JSON.stringify(changed), ...lines.slice(6, 98)].join('\n')}\n`);
    expect(await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true })).toMatchObject({ kind: 'update', removed: 2, changed: 1 });
    // Overlapping refreshes (two /reindex notices at once) take turns: one picks the generation up.
    expect(await Promise.all([reader.refresh(), reader.refresh()])).toEqual([true, false]);
    const marked = eagerIndex(reader.info.location);
    expect(marked.segments.length).toBe(2);
    expect(marked.mergeStats().deleted).toBeGreaterThan(0);
    for (const query of [...queries, queryOf('zeppelin harbour council')]) {
      expect(await reader.keywordCandidates(query, 20)).toEqual(marked.search(query, 20));
      for (const { term } of query) expect(reader.terms.df(term)).toBe(marked.df(term));
    }
    expect((await reader.keywordCandidates(queryOf('zeppelin'), 5)).length).toBeGreaterThan(0);
    await reader.close();
  });
});

describe('KeywordIndex.hasLive', () => {
  it('equals df > 0 under deletions, reading postings only of terms no head settles', () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa'.split(' ');
    const segments = [0, 1].map((s) => {
      const b = new SegmentBuilder();
      // Each segment's last doc alone holds a word of its own ("only0", "only1").
      for (let d = 0; d < 40; d++) b.add({ id: s * 100 + d, title: [], text: [words[d % words.length]!, ...(d === 39 ? [`only${s}`] : [])] });
      const { head, pages } = b.finish().stored(64);
      return Segment.open(head, (first, last) => pages.slice(first, last + 1), { cache: new PostingCache(0), name: `segment ${s}` });
    });
    const index = new KeywordIndex(segments);
    // Every "alpha" of segment 0, the lone "only0" doc, and one "beta" of segment 1.
    index.delete([0, 10, 20, 30, 39, 101]);
    const read = vi.spyOn(Segment.prototype, 'postings');
    try {
      for (const term of [...words, 'only0', 'only1', 'absent']) expect(index.hasLive(term), term).toBe(index.df(term) > 0);
      read.mockClear();
      const fresh = new KeywordIndex(segments);
      fresh.delete([0, 10, 20, 30, 39, 101]);
      expect(fresh.hasLive('gamma')).toBe(true);
      expect(fresh.hasLive('absent')).toBe(false);
      expect(read).not.toHaveBeenCalled();
      // "alpha": 4 docs in segment 0 (all deleted, 5 deleted there) and 4 in segment 1 (1 deleted): segment 1's head settles it.
      expect(fresh.hasLive('alpha')).toBe(true);
      expect(read).not.toHaveBeenCalled();
      expect(fresh.hasLive('only0')).toBe(false);
      expect(read).toHaveBeenCalledTimes(1);
    } finally {
      read.mockRestore();
    }
  });
});

describe('an in-place update reads postings on demand', { timeout: 240_000 }, () => {
  /** Every keyword hit of each query as (article, position, score), ordered: comparable across indexes whose passage ids differ. */
  async function answers(dir: string, queries: KeywordQueryTerm[][]): Promise<string[][]> {
    const backend = await open(dir);
    const db = IndexDatabase.open(backend.info.location, { readonly: true });
    try {
      const keyOf = new Map<number, string>();
      for (const row of db.db.prepare('SELECT p.id AS id, a.id AS article, p.position AS position FROM passages p JOIN articles a ON a.rowid = p.article').all() as Array<{ id: number; article: string; position: number }>) {
        keyOf.set(row.id, `${row.article}#${row.position}`);
      }
      const out: string[][] = [];
      for (const query of queries) {
        const hits = await backend.keywordCandidates(query, 100_000);
        out.push(hits.map((h) => `${h.score} ${keyOf.get(h.id)}`).sort());
      }
      return out;
    } finally {
      db.close();
      await backend.close();
    }
  }

  async function expansionsOf(dir: string): Promise<unknown[]> {
    const db = IndexDatabase.open((await resolveIndex(dir)).file, { readonly: true });
    try {
      return db.db.prepare('SELECT lemma, alternatives FROM expansions ORDER BY lemma').all();
    } finally {
      db.close();
    }
  }

  /** Runs an update, recording which stored (paged) segments' postings it reads. */
  async function tracedUpdate(corpus: string, out: string) {
    const termReads = vi.spyOn(Segment.prototype, 'postings');
    const allReads = vi.spyOn(Segment.prototype, 'flatPostings');
    const inOrder = vi.spyOn(Segment.prototype, 'sequentialReader');
    try {
      const report = await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
      const paged = (s: unknown): s is Segment => s instanceof Segment && s.paged;
      const terms = termReads.mock.contexts.flatMap((seg, i) => (paged(seg) ? [{ seg, t: termReads.mock.calls[i]![0] }] : []));
      const whole = allReads.mock.contexts.filter(paged);
      const streamed = inOrder.mock.contexts.filter(paged);
      return { report, terms, whole, streamed };
    } finally {
      termReads.mockRestore();
      allReads.mockRestore();
      inOrder.mockRestore();
    }
  }

  let lines: string[];
  let queries: KeywordQueryTerm[][];
  beforeAll(async () => {
    const corpus = path.join(tmp.dir, 'update-base.jsonl');
    await writeGeneratedCorpus(corpus, 150);
    lines = (await readFile(corpus, 'utf8')).trim().split('\n');
    queries = [...generatedQueries(), queryOf('zeppelin harbour council')];
  });

  async function freshAndUpdated(name: string, edited: string[]): Promise<{ updated: string; fresh: string; corpus: string }> {
    const corpus = path.join(tmp.dir, `${name}.jsonl`);
    await writeFile(corpus, `${lines.join('\n')}\n`);
    const updated = path.join(tmp.dir, `${name}-updated`);
    await buildIndex({ corpus: [corpus], out: updated, settings, lexicalOnly: true });
    await writeFile(corpus, `${edited.join('\n')}\n`);
    const fresh = path.join(tmp.dir, `${name}-fresh`);
    await buildIndex({ corpus: [corpus], out: fresh, settings, lexicalOnly: true });
    return { updated, fresh, corpus };
  }

  it('one article changed and one removed: no merge, no segment read whole, only terms the deletions may have emptied; answers as a fresh build', async () => {
    const changed = JSON.parse(lines[10]!) as { id: string; text: string };
    changed.text += ' The zeppelin harbour council met on Friday.';
    const removed = JSON.parse(lines[20]!) as { id: string };
    const edited = lines.map((l, i) => (i === 10 ? JSON.stringify(changed) : l)).filter((_, i) => i !== 20);
    const { updated, fresh, corpus } = await freshAndUpdated('small-update', edited);
    const base = eagerIndex((await resolveIndex(updated)).file);
    const basePostings = base.segments.reduce((n, s) => n + s.postingCount, 0);

    const { report, terms, whole } = await tracedUpdate(corpus, updated);
    expect(report).toMatchObject({ kind: 'update', changed: 1, removed: 1 });
    const file = (await resolveIndex(updated)).file;
    const after = eagerIndex(file);
    expect(after.segments.length).toBe(2);
    const deletedDocs = after.mergeStats().deleted;
    expect(deletedDocs).toBeGreaterThan(0);
    // The update loaded no segment whole (it used to load every posting of the index)…
    expect(whole).toEqual([]);
    // …and read a term's postings only where the segment's head could not tell whether a live doc holds it.
    let read = 0;
    for (const { seg, t } of terms) {
      const df = seg.postingStarts[t + 1]! - seg.postingStarts[t]!;
      expect(df).toBeLessThanOrEqual(deletedDocs);
      read += df;
    }
    expect(read).toBeLessThan(basePostings / 10);
    // (This corpus has such terms: the fallback is exercised, not just the heads.)
    expect(terms.length).toBeGreaterThan(0);

    // Same answers, scores and word alternatives as a fresh build of the edited corpus.
    expect(await answers(updated, queries)).toEqual(await answers(fresh, queries));
    expect(await expansionsOf(updated)).toEqual(await expansionsOf(fresh));
    const top = await answers(updated, [queryOf('zeppelin harbour council')]);
    expect(top[0]!.some((k) => k.includes(`${changed.id}#`))).toBe(true);
    for (const q of await answers(updated, queries)) for (const k of q) expect(k.includes(` ${removed.id}#`)).toBe(false);
  });

  it('an update that merges streams each base segment once, in order, never whole nor through the cache; answers as a fresh build', async () => {
    // A third of the articles go: over 20 % deleted, so the update merges.
    const edited = lines.slice(0, 100);
    const { updated, fresh, corpus } = await freshAndUpdated('merge-update', edited);
    const baseIds = segmentIdsOf((await resolveIndex(updated)).file);

    const { report, terms, whole, streamed } = await tracedUpdate(corpus, updated);
    expect(report).toMatchObject({ kind: 'update', removed: 50 });
    const file = (await resolveIndex(updated)).file;
    expect(segmentIdsOf(file).length).toBe(1);
    expect(whole).toEqual([]);
    expect(streamed.length).toBe(baseIds.length);
    expect(new Set(streamed).size).toBe(baseIds.length);
    expect(terms).toEqual([]);
    expect(await answers(updated, queries)).toEqual(await answers(fresh, queries));
    expect(await expansionsOf(updated)).toEqual(await expansionsOf(fresh));
  });

  it('a posting page damaged on disk fails a merging update with one line naming the index and the fix, and changes nothing', async () => {
    const corpus = path.join(tmp.dir, 'damaged-update.jsonl');
    await writeFile(corpus, `${lines.join('\n')}\n`);
    const out = path.join(tmp.dir, 'damaged-update');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
    const { file } = await resolveIndex(out);
    const db = IndexDatabase.open(file, { readonly: true });
    const [id] = db.segmentIds();
    const [page] = db.postingPages(id!, 0, 0);
    const generation = db.meta<number>(META.generation);
    db.close();
    const bytes = await readFile(file);
    const needle = Buffer.from(page!.subarray(5000, 5048));
    const where = bytes.indexOf(needle);
    expect(where).toBeGreaterThan(0);
    bytes[where + 7]! ^= 0x10;
    await writeFile(file, bytes);

    // A third of the articles go, so the update merges and must read that page.
    await writeFile(corpus, `${lines.slice(0, 100).join('\n')}\n`);
    await expect(buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true })).rejects.toThrow(
      `The keyword index in ${file} is damaged (segment ${id}: posting page 0 checksum mismatch): rebuild it with \`npm run index -- --rebuild --out ${path.dirname(file)}\`.`,
    );
    const after = IndexDatabase.open(file, { readonly: true });
    try {
      expect(after.meta<number>(META.generation)).toBe(generation);
      expect(after.segmentIds()).toEqual([id]);
      expect(after.counts().articles).toBe(150);
    } finally {
      after.close();
    }
    // The fix the message names works.
    expect(await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true, rebuild: true })).toMatchObject({ kind: 'full', articles: 100 });
  });
});

describe('damage and old formats', { timeout: 120_000 }, () => {
  let out: string;

  beforeAll(async () => {
    const corpus = path.join(tmp.dir, 'damage.jsonl');
    await writeGeneratedCorpus(corpus, 120);
    out = path.join(tmp.dir, 'damage-index');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
  });

  it('a posting page damaged on disk: the index opens, and a question reading that page fails naming the index and the fix', async () => {
    const { file } = await resolveIndex(out);
    // Which terms live in page 0 of the (single) segment, and a run of that page's bytes to find in the file.
    const db = IndexDatabase.open(file, { readonly: true });
    const [id] = db.segmentIds();
    const segment = db.openSegments([id!], new PostingCache(0)).get(id!)!;
    const pages = db.postingPages(id!, 0, 1);
    db.close();
    expect(pages.length).toBe(2);
    const at = 5000;
    const byteOf = (t: number): number => 6 * segment.postingStarts[t]!;
    const inPage = (page: number) => {
      const terms: string[] = [];
      for (let t = 0; t < segment.termCount; t++) {
        const from = byteOf(t);
        const to = byteOf(t + 1);
        if (from < (page + 1) * DEFAULT_PAGE_BYTES && to > page * DEFAULT_PAGE_BYTES) terms.push(segment.term(t));
      }
      return terms;
    };
    const damagedTerm = inPage(0)[0]!;
    const healthyTerm = inPage(1).find((t) => !inPage(0).includes(t))!;
    expect(healthyTerm).toBeDefined();

    const bytes = await readFile(file);
    const needle = Buffer.from(pages[0]!.subarray(at, at + 48));
    const where = bytes.indexOf(needle);
    expect(where).toBeGreaterThan(0);
    expect(bytes.indexOf(needle, where + 1)).toBe(-1);
    bytes[where + 7]! ^= 0x10;
    await writeFile(file, bytes);

    const backend = await open(out);
    const message = `The keyword index in ${file} is damaged (segment ${id}: posting page 0 checksum mismatch): rebuild it with \`npm run index -- --rebuild --out ${path.dirname(file)}\`.`;
    await expect(backend.keywordCandidates([{ term: damagedTerm, boost: 1 }], 5)).rejects.toThrow(message);
    // Nothing was cached from the bad page: asking again fails again, never answers.
    await expect(backend.keywordCandidates([{ term: damagedTerm, boost: 1 }], 5)).rejects.toThrow(message);
    expect((await backend.keywordCandidates([{ term: healthyTerm, boost: 1 }], 5)).length).toBeGreaterThan(0);
    await backend.close();

    // End to end: the question fails with the same one line.
    const searcher = await Searcher.open(out, settings, { model: 'never' });
    await expect(searcher.ask(`${damagedTerm} ${healthyTerm}`)).rejects.toThrow(message);
    await searcher.close();
  });

  it('an index written in the previous format (whole-segment blobs, format 2) is refused with the rebuild command', async () => {
    const { file } = await resolveIndex(out);
    const db = new Database(file);
    db.prepare('UPDATE meta SET value = ? WHERE key = ?').run('2', META.format);
    db.close();
    await expect(open(out)).rejects.toThrow(`The index ${file} has format 2, this version reads ${SCHEMA_VERSION}: rebuild it with \`npm run index -- --rebuild --out ${path.dirname(file)}\`.`);
    // Indexing builds it anew without being asked to (an older format is not damage), and says why.
    const report = await buildIndex({ corpus: [path.join(tmp.dir, 'damage.jsonl')], out, settings, lexicalOnly: true });
    expect(report).toMatchObject({ kind: 'full', fullReason: `the index was in format 2, this version writes ${SCHEMA_VERSION}` });
    const backend = await open(out);
    expect(backend.terms.docs).toBeGreaterThan(0);
    await backend.close();
  });
});

/** The first `count` articles of news-2022 (a temporary copy; the corpus text is never committed). */
async function newsSample(file: string, count: number): Promise<void> {
  const lines: string[] = [];
  for await (const line of createInterface({ input: createReadStream(path.join(SHARED, 'corpus/news-2022.jsonl')), crlfDelay: Infinity })) {
    if (lines.length >= count) break;
    if (line.trim()) lines.push(line);
  }
  await writeFile(file, `${lines.join('\n')}\n`);
}

describe.runIf(hasShared('paged postings vs eager, on real news', 'corpus/news-2022.jsonl'))('on real news (seeds + 400 news-2022 articles)', { timeout: 180_000 }, () => {
  it('every evaluation question gets the same candidates, scores and matched terms from paged postings as from all postings in memory', async () => {
    const corpus = path.join(tmp.dir, 'news-sample.jsonl');
    await newsSample(corpus, 400);
    const out = path.join(tmp.dir, 'news-index');
    await buildIndex({ corpus: [corpus, SEED_CORPUS], out, settings, lexicalOnly: true });
    const eager = eagerIndex((await resolveIndex(out)).file);
    const questions = (await readFile(path.join('eval', 'questions', 'news2022-questions.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { question: string }).question);
    expect(questions.length).toBeGreaterThan(100);
    // A cache far smaller than the postings (~1 MB here): answers cannot depend on what it holds.
    const backend = await open(out, 256 * 1024);
    let nonEmpty = 0;
    for (const question of questions) {
      const query = queryOf(question);
      const hits = await backend.keywordCandidates(query, 50);
      expect(hits).toEqual(eager.search(query, 50));
      if (hits.length > 0) nonEmpty++;
      expect(backend.postingCache.bytes).toBeLessThanOrEqual(256 * 1024);
    }
    expect(nonEmpty).toBeGreaterThan(questions.length / 2);
    await backend.close();
  });
});
