import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addRemoval, corpusInputs, forgetRemovals, incomingPath, keepFile, keptSourcesDir, readRemovals, RemovalsError, removalsFile, removeStaleIncoming, safeFileName } from '../src/ingest/kept-sources.js';
import { buildIndex } from '../src/indexer/build.js';
import { buildPostgres } from '../src/indexer/postgres.js';
import { Searcher } from '../src/search/searcher.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { pgliteSql, type Sql } from '../src/storage/postgres/sql.js';
import { withSourcesLock } from '../src/bot/sources-lock.js';
import { BotProcess, cleanEnv } from './support/bot-process.js';
import { tempDir, testSettings } from './support/corpus.js';

/** Sources kept from chat: the removal list as ingest's `exclude`, the kept folder, per-file counts, and outlets. */
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-kept-'));
});
afterAll(() => cleanup());

const article = (id: string, title: string, text: string, outlet: string): string => JSON.stringify({ id, title, text, url: `https://example.org/${id}`, date: '2022-06-01', outlet });
const FERRY = 'The night ferry to Kalmar island resumed service on Monday after the storm damaged its ramp, the port authority said.';
const ORCHARD = 'Volunteers replanted four hundred apple trees in the Lindholm orchard that the spring flood had washed away.';
const TUNNEL = 'Engineers found that the Brennberg tunnel lining had cracked and closed the road for three weeks of repairs.';
const BAKERY = 'A cooperative bakery in Oskarshamn started delivering rye bread by cargo bicycle to elderly residents.';

async function fixture(name: string): Promise<{ corpus: string; data: string }> {
  const root = path.join(dir, name);
  const corpus = path.join(root, 'corpus');
  await mkdir(corpus, { recursive: true });
  await writeFile(
    path.join(corpus, 'wire.jsonl'),
    [article('f1', 'Ferry resumes', FERRY, 'Baltic Wire'), article('o1', 'Orchard replanted', ORCHARD, 'Valley Post'), article('t1', 'Tunnel closed', TUNNEL, 'baltic wire')].join('\n'),
  );
  return { corpus, data: path.join(root, 'data') };
}

describe('the removal list and the kept folder', () => {
  it('keeps removals across calls, once each, and takes them off again', async () => {
    const data = path.join(dir, 'list');
    expect(await readRemovals(data)).toEqual([]);
    const entry = { id: 'a1', title: 'A', at: '2026-01-01T00:00:00Z', by: '123' };
    await addRemoval(data, entry);
    await addRemoval(data, entry);
    await addRemoval(data, { ...entry, id: 'b2', title: 'B' });
    expect((await readRemovals(data)).map((r) => r.id)).toEqual(['a1', 'b2']);
    expect((await forgetRemovals(data, ['b2', 'zz'])).map((r) => r.id)).toEqual(['b2']);
    expect((await corpusInputs(['corpus'], data)).exclude).toEqual(new Set(['a1']));
  });

  it('refuses a damaged removal list instead of bringing removed articles back', async () => {
    const data = path.join(dir, 'bad-list');
    await mkdir(data, { recursive: true });
    await writeFile(removalsFile(data), '{ not json');
    await expect(corpusInputs(['corpus'], data)).rejects.toThrow(RemovalsError);
    await writeFile(removalsFile(data), JSON.stringify([{ title: 'no id' }]));
    await expect(readRemovals(data)).rejects.toThrow(/not a list of removed articles/);
  });

  it('a DATA_DIR that is a file is named as the setting to fix, not as an ENOTDIR on a path inside it', async () => {
    const data = path.join(dir, 'data-is-a-file');
    await writeFile(data, 'not a folder\n');
    const error = await corpusInputs(['corpus'], data).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(RemovalsError);
    expect((error as Error).message).toBe(`DATA_DIR ${data} is not a folder (a file is in its place): set DATA_DIR to a folder, where the bot keeps its state and the sources added from chat.`);
  });

  it('adds the kept folder only when it exists, and never overwrites a kept file', async () => {
    const data = path.join(dir, 'keep');
    expect((await corpusInputs(['c'], data)).corpus).toEqual(['c']);
    const now = new Date('2026-12-01T10:00:00.000Z');
    const kept: string[] = [];
    for (const body of ['one', 'two']) {
      const staged = await incomingPath(data, 'Report.TXT');
      await writeFile(staged, body);
      kept.push(await keepFile(data, staged, 'Report.TXT', now));
    }
    expect(kept[0]).not.toBe(kept[1]);
    expect(await readFile(kept[0]!, 'utf8')).toBe('one');
    expect(await readFile(kept[1]!, 'utf8')).toBe('two');
    // Same second: the later one still sorts after the earlier one, and the incoming folder is empty again.
    expect([...kept].sort()).toEqual(kept);
    expect(await readdir(path.join(keptSourcesDir(data), '.incoming'))).toEqual([]);
    expect((await corpusInputs(['c'], data)).corpus).toEqual(['c', keptSourcesDir(data)]);
  });

  it('clears downloads a stopped bot left half-checked, but not one being checked now', async () => {
    const data = path.join(dir, 'stale');
    expect(await removeStaleIncoming(data)).toBe(0);
    const old = await incomingPath(data, 'old.txt');
    await writeFile(old, 'x');
    await utimes(old, new Date(Date.now() - 2 * 3_600_000), new Date(Date.now() - 2 * 3_600_000));
    const fresh = await incomingPath(data, 'fresh.txt');
    await writeFile(fresh, 'y');
    expect(await removeStaleIncoming(data)).toBe(1);
    expect(await readdir(path.dirname(fresh))).toEqual([path.basename(fresh)]);
  });

  it('makes safe, visible file names that keep their extension', () => {
    expect(safeFileName('../../etc/passwd')).toBe('passwd');
    expect(safeFileName('.hidden.md')).toBe('hidden.md');
    expect(safeFileName('Kherson news (1).JSONL')).toBe('Kherson_news_1_.jsonl');
    expect(safeFileName('C:\\Users\\me\\wire.csv')).toBe('wire.csv');
  });
});

describe('embedded index: exclude, track and outlets', () => {
  it('an excluded article is removed by the update in place and stays out of a full rebuild', async () => {
    const { corpus } = await fixture('exclude');
    const out = path.join(dir, 'exclude-index');
    await buildIndex({ corpus: [corpus], out, settings });
    const update = await buildIndex({ corpus: [corpus], out, settings, exclude: new Set(['o1']) });
    expect(update).toMatchObject({ kind: 'update', removed: 1, excluded: 1, articles: 2 });
    const searcher = await Searcher.open(out, settings);
    expect((await searcher.listArticles('', 0, 10)).items.map((a) => a.id).sort()).toEqual(['f1', 't1']);
    const rebuilt = await buildIndex({ corpus: [corpus], out, settings, exclude: new Set(['o1']), rebuild: true });
    expect(rebuilt).toMatchObject({ kind: 'full', articles: 2, excluded: 1 });
    // A later copy of the removed article (another file, another id, same text) does not bring it back.
    await writeFile(path.join(corpus, 'z-copy.jsonl'), JSON.stringify({ id: 'copy', title: 'Orchard again', text: ORCHARD }));
    expect(await buildIndex({ corpus: [corpus], out, settings, exclude: new Set(['o1']) })).toMatchObject({ added: 0, articles: 2 });
    // Without the exclusion it comes back.
    expect(await buildIndex({ corpus: [corpus], out, settings })).toMatchObject({ added: 1, articles: 3 });
  });

  it('counts per tracked file what an update indexed from it; duplicates count nothing', async () => {
    const { corpus, data } = await fixture('track');
    const out = path.join(dir, 'track-index');
    await buildIndex({ corpus: [corpus], out, settings });
    const kept = keptSourcesDir(data);
    await mkdir(kept, { recursive: true });
    const fresh = path.join(kept, 'bakery.jsonl');
    const dup = path.join(kept, 'dup.jsonl');
    await writeFile(fresh, [article('b1', 'Bakery bikes', BAKERY, 'Coast News'), article('f1-copy', 'Ferry again', FERRY, 'Other')].join('\n'));
    await writeFile(dup, article('t1', 'Tunnel closed', TUNNEL, 'baltic wire'));
    const inputs = await corpusInputs([corpus], data);
    const report = await buildIndex({ corpus: inputs.corpus, out, settings, track: [fresh, dup] });
    expect(report).toMatchObject({ kind: 'update', added: 1, duplicates: 2 });
    expect(report.tracked![fresh]!.articles).toBe(1);
    expect(report.tracked![fresh]!.passages).toBeGreaterThan(0);
    expect(report.tracked![dup]).toEqual({ articles: 0, passages: 0 });
  });

  it('lists outlets by case-insensitive prefix, one spelling each, most articles first', async () => {
    const { corpus } = await fixture('outlets');
    const out = path.join(dir, 'outlets-index');
    await buildIndex({ corpus: [corpus], out, settings });
    const backend = await EmbeddedBackend.open(out, { efSearch: 64 });
    expect(await backend.listOutlets('', 10)).toEqual([
      { name: 'Baltic Wire', articles: 2 },
      { name: 'Valley Post', articles: 1 },
    ]);
    expect(await backend.listOutlets('BAL', 10)).toEqual([{ name: 'Baltic Wire', articles: 2 }]);
    expect(await backend.listOutlets('val', 10)).toEqual([{ name: 'Valley Post', articles: 1 }]);
    expect(await backend.listOutlets('wire', 10)).toEqual([]);
    expect(await backend.listOutlets('', 1)).toHaveLength(1);
    await backend.close();
  });

  it('lists articles by an exact id, by whole words, and by the start of the word being typed', async () => {
    const searcher = await Searcher.open(path.join(dir, 'outlets-index'), settings);
    const ids = async (q: string): Promise<string[]> => (await searcher.listArticles(q, 0, 10)).items.map((a) => a.id).sort();
    expect(await ids('o1')).toEqual(['o1']);
    expect(await ids('orchard replanted')).toEqual(['o1']);
    expect(await ids('orch')).toEqual(['o1']);
    expect(await ids('baltic w')).toEqual(['f1', 't1']);
    // A finished word (followed by a space) must match whole.
    expect(await ids('orch ')).toEqual([]);
    expect(await ids('')).toEqual(['f1', 'o1', 't1']);
  });
});

describe('PostgreSQL (PGlite): exclude, track and outlets', () => {
  let db: PGlite;
  let sql: Sql;
  beforeAll(async () => {
    db = await PGlite.create();
    sql = pgliteSql(db, 'pglite (in-process)');
  });
  afterAll(async () => {
    await db?.close();
  });

  it('applies the same removal list and counts, and lists outlets', async () => {
    const { corpus, data } = await fixture('pg');
    await buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true });
    const kept = keptSourcesDir(data);
    await mkdir(kept, { recursive: true });
    const fresh = path.join(kept, 'bakery.jsonl');
    await writeFile(fresh, article('b1', 'Bakery bikes', BAKERY, 'Coast News'));
    const inputs = await corpusInputs([corpus], data);
    const report = await buildPostgres({ sql, corpus: inputs.corpus, settings, lexicalOnly: true, exclude: new Set(['o1']), track: [fresh] });
    expect(report).toMatchObject({ kind: 'update', added: 1, removed: 1, excluded: 1, articles: 3 });
    expect(report.tracked![fresh]!.articles).toBe(1);
    const backend = await PostgresBackend.open(sql, { efSearch: 64 }, false);
    expect(await backend.listOutlets('', 10)).toEqual([
      { name: 'Baltic Wire', articles: 2 },
      { name: 'Coast News', articles: 1 },
    ]);
    expect(await backend.listOutlets('coA', 10)).toEqual([{ name: 'Coast News', articles: 1 }]);
  });
});

describe('changes of the kept sources, serialised by the sources lock', () => {
  const removalIds = async (data: string): Promise<string[]> => (await readRemovals(data)).map((r) => r.id).sort();

  it('ten changes of the removal list at once in one process: none is lost', async () => {
    const data = path.join(dir, 'lock-one-process');
    await Promise.all(
      Array.from({ length: 10 }, (_, n) => withSourcesLock(data, () => addRemoval(data, { id: `p-${n}`, title: `p ${n}`, at: new Date().toISOString(), by: 'test' }))),
    );
    await Promise.all([0, 1, 2].map((n) => withSourcesLock(data, () => forgetRemovals(data, [`p-${n}`]))));
    expect(await removalIds(data)).toEqual(['p-3', 'p-4', 'p-5', 'p-6', 'p-7', 'p-8', 'p-9']);
  });

  it('a failed change releases the lock for the next one', async () => {
    const data = path.join(dir, 'lock-failure');
    await expect(withSourcesLock(data, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await withSourcesLock(data, () => addRemoval(data, { id: 'after', title: 'after', at: new Date().toISOString(), by: 'test' }), { waitMs: 2000 });
    expect(await removalIds(data)).toEqual(['after']);
  });

  for (const writers of [2, 10]) {
    it(`${writers} processes adding and removing at once (as shards do): every file and every entry is kept`, { timeout: 120_000 }, async () => {
      const data = path.join(dir, `lock-${writers}-processes`);
      const names = Array.from({ length: writers }, (_, n) => `w${n}`);
      const procs = names.map((name) => new BotProcess('tests/support/sources-writer.ts', cleanEnv({}), dir, { args: [data, name, '4'] }));
      const codes = await Promise.all(procs.map((p) => p.wait()));
      expect(codes, procs.map((p) => p.output).join('\n')).toEqual(names.map(() => 0));
      // Each writer kept 4 files and listed 4 removals, then took its first removal off again.
      expect((await readdir(keptSourcesDir(data))).filter((f) => !f.startsWith('.'))).toHaveLength(writers * 4);
      expect(await removalIds(data)).toEqual(names.flatMap((name) => [1, 2, 3].map((i) => `${name}-${i}`)).sort());
      expect((await readdir(data)).filter((f) => f.includes('.lock'))).toEqual([]);
    });
  }
});
