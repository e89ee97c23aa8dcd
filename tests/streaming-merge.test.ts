/**
 * The streaming merge: segments merged term by term, pages written as they fill, under a small
 * memory setting, give the very bytes of the in-memory merge; full builds spill their batch
 * segments to the database and merge them; a kill in the middle of a merging update leaves the
 * previous state answering. Real SQLite files, real indexing processes.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { IndexDatabase } from '../src/storage/database.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { resolveIndex } from '../src/storage/folder.js';
import {
  KeywordIndex,
  type KeywordQueryTerm,
  mergeSegments,
  mergeSegmentsStreaming,
  PostingCache,
  Segment,
  SegmentBuilder,
  type StoredSegment,
} from '../src/storage/keyword/index.js';
import { META } from '../src/storage/schema.js';
import { analyze } from '../src/text/analyze.js';
import { tempDir, testSettings } from './support/corpus.js';
import { writeGeneratedCorpus } from './support/synthetic-corpus.js';
import { runIndexChild } from './support/run-index-child.js';

const settings = testSettings();

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await tempDir();
});
afterAll(async () => {
  await tmp.cleanup();
});

/** A seeded generator of segments: Zipf-ish words (some spanning many pages, most rare), ids interleaved across segments. */
function generatedSegments(count: number, docsEach: number, seed: number): Segment[] {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const word = (): string => `w${Math.floor(1 / (0.002 + next()))}${next() < 0.05 ? 'é' : ''}`;
  const builders = Array.from({ length: count }, () => new SegmentBuilder());
  for (let id = 0; id < count * docsEach; id++) {
    const builder = builders[Math.floor(next() * count)]!;
    builder.add({ id, title: Array.from({ length: 1 + Math.floor(next() * 4) }, word), text: Array.from({ length: Math.floor(next() * 60) }, word) });
  }
  return builders.map((b) => b.finish());
}

/** A segment as a reader opens it: head parsed, pages read on demand (each read recorded). */
function paged(segment: Segment, pageBytes: number, reads: number[]): Segment {
  const { head, pages } = segment.stored(pageBytes);
  return Segment.open(
    head,
    (first, last) => {
      reads.push(last - first + 1);
      return pages.slice(first, last + 1);
    },
    { cache: new PostingCache(0), name: 'test segment' },
  );
}

function concat(stored: Pick<StoredSegment, 'head' | 'pages'>): Buffer {
  return Buffer.concat([stored.head, ...stored.pages]);
}

describe('mergeSegmentsStreaming', { timeout: 120_000 }, () => {
  it('writes the bytes of the in-memory merge (head and every page) under any read-ahead, page by page, reading each source in bounded runs', () => {
    const segments = generatedSegments(4, 200, 11);
    const deleted = new Set<number>();
    for (let id = 0; id < 800; id += 3) deleted.add(id);
    const isDeleted = (id: number): boolean => deleted.has(id);
    const largestTerm = Math.max(...segments.map((seg) => Math.max(...Array.from({ length: seg.termCount }, (_, t) => seg.postingStarts[t + 1]! - seg.postingStarts[t]!))));
    for (const pageBytes of [64, 4096]) {
      const expected = mergeSegments(segments, isDeleted).stored(pageBytes);
      const sourcePages = segments.reduce((n, seg) => n + seg.stored(pageBytes).pages.length, 0);
      for (const readBytes of [0, 512, 1 << 30]) {
        const reads: number[] = [];
        const sources = segments.map((seg) => paged(seg, pageBytes, reads));
        const pages: Buffer[] = [];
        let outOfOrder = 0;
        const { docs, head } = mergeSegmentsStreaming(sources, isDeleted, (n, data) => {
          if (n !== pages.length) outOfOrder++;
          pages.push(Buffer.from(data));
        }, { readBytes, pageBytes });
        expect(outOfOrder).toBe(0);
        expect(docs).toBe(expected.docs);
        expect(concat({ head, pages })).toEqual(concat(expected));
        // Each source read in order, in runs of about readBytes / sources: a small setting never reads a source whole.
        const perRun = Math.max(1, Math.floor(readBytes / sources.length / pageBytes));
        const termPages = Math.ceil((largestTerm * 6) / pageBytes) + 1;
        if (readBytes < 1 << 20) expect(Math.max(...reads)).toBeLessThanOrEqual(Math.max(perRun, termPages));
        // Every page read, and again at most the one page a run shares with the run before.
        const read = reads.reduce((a, b) => a + b, 0);
        expect(read).toBeGreaterThanOrEqual(sourcePages);
        expect(read).toBeLessThanOrEqual(sourcePages + reads.length);
      }
      // Opened from what was written, it answers as the in-memory merge does.
      const index = new KeywordIndex([Segment.decode(concat(expected))]);
      const query: KeywordQueryTerm[] = [{ term: 'w1', boost: 1 }, { term: 'w7', boost: 2 }, { term: 'w42', boost: 1 }];
      const reference = new KeywordIndex(segments);
      reference.delete(deleted);
      expect(index.search(query, 20)).toEqual(reference.search(query, 20));
    }
  });

  it('drops a term whose docs are all deleted, and refuses a passage live in two segments', () => {
    const a = new SegmentBuilder();
    a.add({ id: 1, title: ['gone'], text: ['kept'] });
    a.add({ id: 2, title: [], text: ['kept'] });
    const b = new SegmentBuilder();
    b.add({ id: 3, title: [], text: ['kept', 'also'] });
    const segs = [a.finish(), b.finish()];
    const pages: Buffer[] = [];
    const { head } = mergeSegmentsStreaming(segs, (id) => id === 1, (_, d) => pages.push(Buffer.from(d)));
    const merged = Segment.decode(concat({ head, pages }));
    expect([...merged.terms()]).toEqual([
      ['also', 1],
      ['kept', 2],
    ]);
    expect([...merged.ids]).toEqual([2, 3]);
    const dup = new SegmentBuilder();
    dup.add({ id: 2, title: [], text: ['x'] });
    expect(() => mergeSegmentsStreaming([segs[0]!, dup.finish()], () => false, () => undefined)).toThrow('Passage id 2 is live in two segments');
  });
});

/** The index's one keyword segment, as stored: head and pages. */
function storedSegment(dir: string, file: string): { head: Buffer; pages: Buffer[]; count: number } {
  const db = IndexDatabase.open(path.join(dir, path.basename(file)), { readonly: true });
  try {
    const ids = db.segmentIds();
    const [row] = db.segmentHeads(ids);
    const pages = db.db.prepare('SELECT data FROM keyword_pages WHERE segment = ? ORDER BY page').pluck().all(row!.id) as Buffer[];
    return { head: Buffer.from(row!.head), pages, count: ids.length };
  } finally {
    db.close();
  }
}

const queryOf = (text: string): KeywordQueryTerm[] => [...new Set(analyze(text))].map((term, i) => ({ term, boost: 1 + (i % 3) / 2 }));
const QUERIES = ['harbour council bridge', 'winter grain market 12', 'ferry port crane customs', 'election minister pension 7-40', 'drone missile border'].map(queryOf);

async function keywordAnswers(dir: string): Promise<string[]> {
  const backend = await EmbeddedBackend.open(dir, { efSearch: 64 });
  try {
    const out: string[] = [];
    for (const q of QUERIES) out.push(JSON.stringify(await backend.keywordCandidates(q, 200)));
    return out;
  } finally {
    await backend.close();
  }
}

describe('full builds and merging updates in bounded memory', { timeout: 600_000 }, () => {
  let corpus: string;
  beforeAll(async () => {
    corpus = path.join(tmp.dir, 'bounded.jsonl');
    await writeGeneratedCorpus(corpus, 600);
  });

  it('a full build under a 1 MB write budget spills batch segments, merges them into one, and stores the very bytes of an unbounded build', async () => {
    const small = path.join(tmp.dir, 'small-budget');
    const large = path.join(tmp.dir, 'large-budget');
    const spills = vi.spyOn(IndexDatabase.prototype, 'addSegment');
    try {
      await buildIndex({ corpus: [corpus], out: small, settings: { ...settings, KEYWORD_WRITE_MB: 1 }, lexicalOnly: true });
      expect(spills.mock.calls.length).toBeGreaterThanOrEqual(2);
      spills.mockClear();
      await buildIndex({ corpus: [corpus], out: large, settings: { ...settings, KEYWORD_WRITE_MB: 1024 }, lexicalOnly: true });
      expect(spills.mock.calls.length).toBe(1);
    } finally {
      spills.mockRestore();
    }
    const a = storedSegment(small, (await resolveIndex(small)).file);
    const b = storedSegment(large, (await resolveIndex(large)).file);
    expect(a.count).toBe(1);
    expect(b.count).toBe(1);
    expect(a.head.equals(b.head)).toBe(true);
    expect(a.pages.length).toBe(b.pages.length);
    expect(a.pages.filter((p, i) => !p.equals(b.pages[i]!))).toEqual([]);
    // No batch segment is left behind in the file.
    const db = IndexDatabase.open((await resolveIndex(small)).file, { readonly: true });
    expect(db.db.prepare('SELECT count(DISTINCT segment) FROM keyword_pages').pluck().get()).toBe(1);
    db.close();
    expect(await keywordAnswers(small)).toEqual(await keywordAnswers(large));
  });

  it('a merging update under a 1 MB write budget stores the bytes of the in-memory merge of the same segments and deletions', async () => {
    const out = path.join(tmp.dir, 'merge-update');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
    const before = path.join(tmp.dir, 'merge-update-before');
    await cp(out, before, { recursive: true });
    // Two thirds kept, one article changed: over 20 % deleted, so the update merges.
    const lines = (await readFile(corpus, 'utf8')).trim().split('\n');
    const changed = JSON.parse(lines[5]!) as { text: string };
    changed.text += ' The zeppelin harbour council met on Friday.';
    const edited = path.join(tmp.dir, 'merge-update.jsonl');
    await writeFile(edited, `${[...lines.slice(0, 5), JSON.stringify(changed), ...lines.slice(6, 400)].join('\n')}\n`);
    const report = await buildIndex({ corpus: [edited], out, settings: { ...settings, KEYWORD_WRITE_MB: 1 }, lexicalOnly: true });
    expect(report).toMatchObject({ kind: 'update', changed: 1, removed: 200 });

    // The reference: the old segments loaded whole, plus the new passages' segment, merged in memory.
    const oldDb = IndexDatabase.open((await resolveIndex(before)).file, { readonly: true });
    const newDb = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
    try {
      const oldSegments = [...oldDb.openSegments(oldDb.segmentIds(), new PostingCache(0)).values()].map((s) => s.load());
      const firstNew = oldDb.meta<number>(META.nextPassageId)!;
      const fresh = new SegmentBuilder();
      const rows = newDb.db.prepare('SELECT p.id AS id, a.title AS title, p.text AS text FROM passages p JOIN articles a ON a.rowid = p.article WHERE p.id >= ? ORDER BY p.id').all(firstNew) as Array<{ id: number; title: string; text: string }>;
      expect(rows.length).toBeGreaterThan(0);
      for (const r of rows) fresh.add({ id: r.id, title: analyze(r.title), text: analyze(r.text) });
      const live = new Set(newDb.db.prepare('SELECT id FROM passages').pluck().all() as number[]);
      const expected = mergeSegments([...oldSegments, fresh.finish()], (id) => !live.has(id)).stored();
      const got = storedSegment(out, newDb.file);
      expect(got.count).toBe(1);
      expect(got.head.equals(Buffer.from(expected.head))).toBe(true);
      expect(got.pages.length).toBe(expected.pages.length);
      expect(got.pages.filter((p, i) => !p.equals(Buffer.from(expected.pages[i]!)))).toEqual([]);
      expect(newDb.deletedIds()).toEqual([]);
    } finally {
      oldDb.close();
      newDb.close();
    }
    // And it answers as the same corpus built afresh.
    const fresh = path.join(tmp.dir, 'merge-update-fresh');
    await buildIndex({ corpus: [edited], out: fresh, settings, lexicalOnly: true });
    const scores = async (dir: string): Promise<string[]> => (await keywordAnswers(dir)).map((a) => JSON.stringify((JSON.parse(a) as Array<{ score: number }>).map((h) => h.score)));
    expect(await scores(out)).toEqual(await scores(fresh));
  });

  it('kill -9 while a merging update writes its pages leaves the previous state answering; the next run merges', async () => {
    const big = path.join(tmp.dir, 'kill-merge.jsonl');
    // Long articles: a merge of over a thousand pages, so the kill lands while it writes.
    await writeGeneratedCorpus(big, 600, 2000);
    const out = path.join(tmp.dir, 'kill-merge');
    await buildIndex({ corpus: [big], out, settings, lexicalOnly: true });
    const live = (await resolveIndex(out)).file;
    const lines = (await readFile(big, 'utf8')).trim().split('\n');
    const edited = path.join(tmp.dir, 'kill-merge-edited.jsonl');
    await writeFile(edited, `${lines.slice(0, 400).join('\n')}\n`);
    const before = await keywordAnswers(out);

    // Pages of the merged segment are being written inside the update's transaction: kill it then.
    const { signal, lines: seen } = await runIndexChild([out, edited], { cwd: tmp.dir, env: { ...process.env, KEYWORD_WRITE_MB: '1' } }, (line, kill) => {
      if (/^merge [1-9]/.test(line)) kill('SIGKILL');
    });
    expect(seen.some((l) => /^merge [1-9]/.test(l)), seen.join('\n')).toBe(true);
    expect(signal).toBe('SIGKILL');

    expect((await resolveIndex(out)).file).toBe(live);
    const db = IndexDatabase.open(live, { readonly: true });
    expect(db.counts().articles).toBe(600);
    expect(db.segmentIds().length).toBe(1);
    db.close();
    expect(await keywordAnswers(out)).toEqual(before);
    const searcher = await Searcher.open(out, settings);
    expect((await searcher.ask('Generated report 500 harbour council')).results.length).toBeGreaterThan(0);
    await searcher.close();

    const report = await buildIndex({ corpus: [edited], out, settings: { ...settings, KEYWORD_WRITE_MB: 1 }, lexicalOnly: true });
    expect(report).toMatchObject({ kind: 'update', removed: 200, articles: 400 });
    const after = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
    expect(after.segmentIds().length).toBe(1);
    expect(after.deletedIds()).toEqual([]);
    after.close();
  });
});
