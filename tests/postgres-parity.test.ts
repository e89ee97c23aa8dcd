import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { buildPostgres } from '../src/indexer/postgres.js';
import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { Searcher } from '../src/search/searcher.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { poolSql, type Sql } from '../src/storage/postgres/sql.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { hasShared, SHARED } from './support/shared.js';
import { testDatabase } from './support/postgres.js';

/**
 * Parity: the same corpus and questions through both backends give identical answers — the same top-5
 * passages in the same order with the same scores — for every question (the keyword paths share the
 * analysis, the BM25F float operations and the summing order, so they rank from the same exact top k).
 * Corpus: the seeds, every article the news-2022 question set points at, and the first 1,500 articles of
 * news-2022 as distractors.
 */
const NEWS = path.join(SHARED, 'corpus/news-2022.jsonl');
const QUESTIONS = path.join(REPO, 'eval/questions/news2022-questions.jsonl');
const DISTRACTORS = 1500;

const haveShared = hasShared('the PostgreSQL parity test', 'corpus/news-2022.jsonl');
const db = haveShared ? await testDatabase() : undefined;

interface Question {
  id: string;
  question: string;
  articleIds: string[];
  unanswerable: boolean;
}

describe.skipIf(!db)('embedded and PostgreSQL backends agree', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sql: Sql;
  let questions: Question[];
  const settings = testSettings({ RELATED_WORDS: true });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    questions = (await readFile(QUESTIONS, 'utf8'))
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Question);
    const wanted = new Set(questions.flatMap((q) => q.articleIds));
    const lines = (await readFile(NEWS, 'utf8')).split('\n').filter((l) => l.trim());
    const picked = lines.filter((l, i) => i < DISTRACTORS || wanted.has((JSON.parse(l) as { id: string }).id));
    await writeFile(path.join(dir, 'slice.jsonl'), `${picked.join('\n')}\n`);
    sql = poolSql(db!.url, { max: 4 });
  }, 300_000);
  afterAll(async () => {
    await sql?.close();
    await db?.drop();
    await cleanup?.();
  });

  it('gives identical top-5 passages and scores for every question, and the same hit@5', async () => {
    const corpus = [SEED_CORPUS, path.join(dir, 'slice.jsonl')];
    const out = path.join(dir, 'index');
    const embeddedReport = await buildIndex({ corpus, out, settings, lexicalOnly: true });
    const pgReport = await buildPostgres({ sql, corpus, settings, lexicalOnly: true, batchArticles: 500 });
    expect(pgReport.articles).toBe(embeddedReport.articles);
    expect(pgReport.chunks).toBe(embeddedReport.chunks);

    const embedded = await Searcher.open(out, settings, { model: 'never' });
    const postgres = await Searcher.over(await PostgresBackend.open(sql, { efSearch: 64 }, false), settings, { model: 'never' });
    let same = 0;
    const hits = { embedded: 0, postgres: 0 };
    let answerable = 0;
    const differing: string[] = [];
    for (const q of questions) {
      const [a, b] = [await embedded.ask(q.question, { k: 5 }), await postgres.ask(q.question, { k: 5 })];
      const top = (x: typeof a): Array<[number, number]> => (x.abstained ? [] : x.results.map((r) => [r.chunkId, r.score]));
      if (JSON.stringify(top(a)) === JSON.stringify(top(b))) same++;
      else differing.push(q.id);
      if (!q.unanswerable) {
        answerable++;
        if (!a.abstained && a.results.some((r) => q.articleIds.includes(r.articleId))) hits.embedded++;
        if (!b.abstained && b.results.some((r) => q.articleIds.includes(r.articleId))) hits.postgres++;
      }
    }
    const parity = same / questions.length;
    const hit5 = { embedded: hits.embedded / answerable, postgres: hits.postgres / answerable };
    console.log(
      `parity: ${same}/${questions.length} questions (${(parity * 100).toFixed(1)}%) with identical top-5 passages and scores; ` +
        `hit@5 embedded ${hit5.embedded.toFixed(3)}, postgres ${hit5.postgres.toFixed(3)} (lexical, ${pgReport.articles} articles, ${pgReport.chunks} passages); differing: ${differing.join(' ') || 'none'}`,
    );
    expect(differing).toEqual([]);
    expect(hit5.postgres).toBe(hit5.embedded);
    await embedded.close();
    await postgres.close();
  }, 600_000);

  /** Both stores' related words (src/text/related.ts), term → [[term, similarity], …]. */
  const relatedOf = async (): Promise<{ embedded: Record<string, Array<[string, number]>>; postgres: Record<string, Array<[string, number]>> }> => {
    const db = IndexDatabase.open((await resolveIndex(path.join(dir, 'index'))).file, { readonly: true });
    const embedded = db.allRelated();
    db.close();
    const rows = await sql.query<{ term: string; neighbours: Array<[string, number]> }>('SELECT term, neighbours FROM related');
    return { embedded, postgres: Object.fromEntries(rows.map((r) => [r.term, r.neighbours])) };
  };

  it('learns the same related words, and an update keeps them pruned to the words the index still uses in both', async () => {
    const full = await relatedOf();
    expect(Object.keys(full.embedded).length).toBeGreaterThan(500);
    expect(full.postgres).toEqual(full.embedded);

    // An update in place that removes 300 articles: both keep the full build's words, minus the ones no passage uses now.
    const lines = (await readFile(path.join(dir, 'slice.jsonl'), 'utf8')).split('\n').filter((l) => l.trim());
    await writeFile(path.join(dir, 'slice.jsonl'), `${lines.slice(300).join('\n')}\n`);
    const corpus = [SEED_CORPUS, path.join(dir, 'slice.jsonl')];
    expect(await buildIndex({ corpus, out: path.join(dir, 'index'), settings, lexicalOnly: true })).toMatchObject({ kind: 'update', removed: 300 });
    expect(await buildPostgres({ sql, corpus, settings, lexicalOnly: true, batchArticles: 500 })).toMatchObject({ kind: 'update', removed: 300 });
    const updated = await relatedOf();
    expect(updated.postgres).toEqual(updated.embedded);
    const backend = await PostgresBackend.open(sql, { efSearch: 64 }, false);
    const df = backend.terms.df;
    const gone = Object.keys(full.embedded).filter((t) => df(t) === 0);
    expect(gone.length).toBeGreaterThan(0);
    for (const [term, list] of Object.entries(updated.postgres)) {
      expect(df(term), term).toBeGreaterThan(0);
      for (const [t] of list) expect(df(t), t).toBeGreaterThan(0);
    }
    for (const t of gone) expect(updated.postgres[t]).toBeUndefined();
    await backend.close();
  }, 600_000);
});
