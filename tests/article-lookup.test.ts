import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { buildPostgres } from '../src/indexer/postgres.js';
import { Searcher } from '../src/search/searcher.js';
import { LIST_MATCH_CAP, type SearchBackend } from '../src/storage/backend.js';
import { IndexDatabase } from '../src/storage/database.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { resolveIndex } from '../src/storage/folder.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { pgliteSql, type Sql } from '../src/storage/postgres/sql.js';
import { tempDir, testSettings } from './support/corpus.js';

/**
 * Issue #19 point 2: /sources list and the remove autocomplete look titles up in an index, bounded
 * (never every article's title per keystroke), with the same answers on both backends.
 */
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
const MANY = LIST_MATCH_CAP + 40;
const line = (id: string, title: string, outlet: string, date: string, text: string): string => JSON.stringify({ id, title, outlet, date, url: `https://example.org/${id}`, text });

let dir: string;
let cleanup: () => Promise<void>;
let corpus: string;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-lookup-'));
  corpus = path.join(dir, 'corpus');
  await mkdir(corpus, { recursive: true });
  const lines = [
    line('f1', 'Night ferry resumes to Kalmar', 'Baltic Wire', '2022-06-03', 'The night ferry to Kalmar island resumed service after the storm damaged its ramp.'),
    line('o1', 'Orchard replanted after the flood', 'Valley Post', '2022-06-02', 'Volunteers replanted four hundred apple trees in the Lindholm orchard.'),
    line('c1', 'Café Öresund reopens', 'Baltic Wire', '2022-06-01', 'The harbour café reopened with a new terrace and a longer menu this summer.'),
  ];
  for (let i = 0; i < MANY; i++) {
    lines.push(line(`n${i}`, `Harbour notice number ${i}`, 'Port Gazette', `2021-${String((i % 12) + 1).padStart(2, '0')}-10`, `Berth ${i} of the harbour is closed for dredging until crane ${i * 7} is moved.`));
  }
  await writeFile(path.join(corpus, 'wire.jsonl'), `${lines.join('\n')}\n`);
});
afterAll(() => cleanup());

/** The same lookups, whatever the backend: ids in the order returned. */
async function lookups(backend: SearchBackend): Promise<void> {
  const searcher = await Searcher.over(backend, settings, { model: 'never' });
  const ids = async (q: string, limit = 10): Promise<string[]> => (await searcher.listArticles(q, 0, limit)).items.map((a) => a.id);
  expect(await ids('o1')).toEqual(['o1']);
  expect(await ids('orchard replanted')).toEqual(['o1']);
  expect(await ids('orch')).toEqual(['o1']);
  // A finished word (followed by a space) must match whole.
  expect(await ids('orch ')).toEqual([]);
  // Outlet words match too; newest first.
  expect(await ids('baltic w')).toEqual(['f1', 'c1']);
  // Markup or quotes typed into the box are only words to look up.
  expect(await ids('"ferry" *kal')).toEqual(['f1']);
  expect((await searcher.listArticles('', 0, 3)).items.map((a) => a.id)).toEqual(['f1', 'o1', 'c1']);
  expect((await searcher.listArticles('', 0, 3)).total).toBe(MANY + 3);
  // A word in every notice: counted up to the cap, and pages are bounded by it.
  const notices = await searcher.listArticles('harbour notice', 0, 25);
  expect(notices.total).toBe(LIST_MATCH_CAP);
  expect(notices.items).toHaveLength(25);
  expect((await searcher.listArticles('harbour notice', 10 * LIST_MATCH_CAP, 25)).items).toEqual([]);
  expect(await ids('notice number 17 ')).toEqual(['n17']);
}

describe('the article lookup', () => {
  it('SQLite: answers from the title index (no scan of the articles table), bounded', async () => {
    const out = path.join(dir, 'index');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
    const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
    // Every statement the lookup runs, with its parameters, for its query plan.
    const ran: Array<{ sql: string; params: unknown[] }> = [];
    const prepare = db.db.prepare.bind(db.db);
    db.db.prepare = ((sql: string) => {
      const stmt = prepare(sql);
      const record =
        <F extends (...a: unknown[]) => unknown>(f: F): F =>
        ((...params: unknown[]) => {
          ran.push({ sql, params });
          return f.apply(stmt, params);
        }) as F;
      return Object.assign(Object.create(stmt), { all: record(stmt.all), get: record(stmt.get) });
    }) as typeof db.db.prepare;
    const page = db.listArticles({ id: 'x', words: ['harbour', 'not'], prefix: true }, 0, 10);
    expect(page.total).toBe(LIST_MATCH_CAP);
    const plans = ran.filter((r) => /articles/.test(r.sql)).flatMap((r) => (prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.params) as { detail: string }[]).map((p) => p.detail));
    expect(plans.join('\n')).toMatch(/VIRTUAL TABLE INDEX/);
    expect(plans.filter((d) => /^SCAN articles\b/.test(d))).toEqual([]);
    // A page of all articles reads that page from the listing index, not the whole table.
    ran.length = 0;
    expect(db.listArticles({ id: '', words: [], prefix: false }, 20, 10).items).toHaveLength(10);
    const listing = ran.filter((r) => /FROM articles/.test(r.sql)).flatMap((r) => (prepare(`EXPLAIN QUERY PLAN ${r.sql}`).all(...r.params) as { detail: string }[]).map((p) => p.detail));
    expect(listing.join('\n')).toMatch(/SCAN articles USING INDEX articles_listing/);
    expect(listing.join('\n')).not.toMatch(/TEMP B-TREE/);
    db.close();
    const backend = await EmbeddedBackend.open(out, { efSearch: 64 });
    await lookups(backend);
    // Kept in step with updates in place: a removed article is no longer found.
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true, exclude: new Set(['o1']) });
    await backend.refresh();
    const searcher = await Searcher.over(backend, settings, { model: 'never' });
    expect((await searcher.listArticles('orchard', 0, 10)).total).toBe(0);
    expect((await searcher.listArticles('kalmar', 0, 10)).items.map((a) => a.id)).toEqual(['f1']);
    await searcher.close();
  }, 120_000);

  it('PostgreSQL (PGlite): answers from the GIN title index, bounded, with the same answers', async () => {
    const db = await PGlite.create();
    const sql: Sql = pgliteSql(db, 'pglite (in-process)');
    try {
      await buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true });
      const backend = await PostgresBackend.open(sql, { efSearch: 64 }, false);
      await lookups(backend);
      await sql.query('SET enable_seqscan = off');
      const plan = (await sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT rowid FROM articles WHERE title_words @@ to_tsquery('simple', 'harbour & not:*')`)).map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/articles_title_words/);
    } finally {
      await db.close();
    }
  }, 120_000);
});
