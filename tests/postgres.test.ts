import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { buildPostgres, WRITER_LOCK } from '../src/indexer/postgres.js';
import { Searcher } from '../src/search/searcher.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { LATEST_VERSION, migrate } from '../src/storage/postgres/migrations.js';
import { poolSql, type Sql } from '../src/storage/postgres/sql.js';
import { copySeeds, REPO, tempDir, testSettings } from './support/corpus.js';
import { testDatabase, UNREACHABLE_URL } from './support/postgres.js';
import { createTinyModel } from './support/tiny-model.js';

const run = promisify(execFile);
const db = await testDatabase();

const ORCHARD = (trees: number): string =>
  `---\ntitle: Volunteers replant the Lindholm orchard\noutlet: Valley Post\ndate: 2023-04-02\nurl: https://example.org/orchard\n---\n` +
  `Volunteers replanted ${trees} apple trees in the Lindholm orchard after the winter storm. ` +
  'The orchard had lost most of its old trees when the river flooded the lower fields in January. ' +
  'Local schools sent pupils to help with the planting on Saturday morning.\n';

describe.skipIf(!db)('PostgreSQL backend against a real server', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let corpus: string;
  let sql: Sql;
  const settings = testSettings();
  const open = async (): Promise<Searcher> => Searcher.over(await PostgresBackend.open(sql, { efSearch: 64 }, false), settings);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    corpus = await copySeeds(dir);
    await writeFile(path.join(corpus, 'orchard.md'), ORCHARD(340));
    sql = poolSql(db!.url, { max: 4 });
  });
  afterAll(async () => {
    await sql?.close();
    await db?.drop();
    await cleanup?.();
  });

  it('applies versioned migrations once (idempotent), and finds no index before the first build', async () => {
    await expect(PostgresBackend.open(sql, { efSearch: 64 }, false)).rejects.toThrow(/No index in PostgreSQL at [\w.-]+:\d+\/\w+ yet: .*npm run index/);
    expect(await migrate(sql)).toEqual([1, 2, 3, 4]);
    expect(await migrate(sql)).toEqual([]);
    const rows = await sql.query<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version).sort()).toEqual([1, 2, 3, LATEST_VERSION]);
    await expect(PostgresBackend.open(sql, { efSearch: 64 }, false)).rejects.toThrow(/No complete index/);
  });

  it('indexes a corpus and answers with quoted passages, as the embedded backend stores them', async () => {
    const report = await buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true });
    expect(report).toMatchObject({ kind: 'full', fullReason: 'first build', articles: 3, added: 3, mode: 'lexical' });
    const searcher = await open();
    expect(searcher.status()).toMatchObject({ articles: 3, chunks: report.chunks, mode: 'lexical' });
    const saldo = await searcher.ask('What did Saldo urge Kherson residents to do?');
    expect(saldo.abstained).toBe(false);
    expect(saldo.results[0]!.title).toMatch(/Western officials/);
    const orchard = await searcher.ask('How many apple trees did volunteers replant in the Lindholm orchard?');
    expect(orchard.results[0]).toMatchObject({ title: 'Volunteers replant the Lindholm orchard', outlet: 'Valley Post', url: 'https://example.org/orchard' });
    expect(orchard.results[0]!.quote).toMatch(/340 apple trees/);
    expect((await searcher.ask('What is the boiling point of liquid nitrogen in Antarctica?')).abstained).toBe(true);
    await searcher.close();

    // Same logical content as the embedded store: passages, offsets, text, article metadata.
    const out = path.join(dir, 'embedded');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
    const embedded = await EmbeddedBackend.open(out, { efSearch: 64 });
    const postgres = await PostgresBackend.open(sql, { efSearch: 64 }, false);
    const all = async (b: EmbeddedBackend | PostgresBackend, ids: number[]) =>
      [...(await b.passages(ids)).values()].map((p) => ({ ...p, id: 0, article: { ...p.article, source: path.basename(p.article.source) } })).sort((x, y) => (x.article.id + x.position < y.article.id + y.position ? -1 : 1));
    const pgIds = (await sql.query<{ id: number }>('SELECT id FROM passages')).map((r) => r.id);
    expect(await all(postgres, pgIds)).toEqual(await all(embedded, [...Array(embedded.info.passages).keys()]));
    // The same newest article date (questions about later years are refused by it).
    expect(postgres.info.newestDate).toBe(embedded.info.newestDate);
    expect(postgres.info.newestDate).toMatch(/^\d{4}/);
    // And the same term statistics.
    for (const term of ['kherson', 'saldo', 'orchard', 'appl', 'russia']) expect(postgres.terms.df(term)).toBe(embedded.terms.df(term));
    expect(postgres.terms.docs).toBe(embedded.terms.docs);
    await embedded.close();
    await postgres.close();
  });

  it('evaluates date and outlet filters in SQL', async () => {
    const searcher = await open();
    const q = 'What did Saldo urge Kherson residents to do?';
    expect((await searcher.ask(q, { before: '2022-12-31' })).results.map((r) => r.date)).toEqual(expect.arrayContaining(['2022-10']));
    const after = await searcher.ask(q, { after: '2023-01-01' });
    expect(after.results.every((r) => (r.date ?? '') >= '2023')).toBe(true);
    const outlet = await searcher.ask('How many apple trees did volunteers replant?', { outlet: 'valley' });
    expect(outlet.results.map((r) => r.outlet)).toEqual(['Valley Post']);
    expect((await searcher.ask('How many apple trees did volunteers replant?', { outlet: 'euromaidan' })).results.every((r) => r.outlet !== 'Valley Post')).toBe(true);
    await searcher.close();
  });

  it('updates in place: only new, changed and removed articles, statistics kept exact', async () => {
    const searcher = await open();
    const before = searcher.info.generation;
    const same = await buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true });
    expect(same).toMatchObject({ kind: 'update', added: 0, changed: 0, removed: 0, unchanged: 3 });

    await writeFile(path.join(corpus, 'orchard.md'), ORCHARD(415));
    await writeFile(
      path.join(corpus, 'bridge.md'),
      '---\ntitle: Ferry crossing reopens at Dalby\noutlet: Valley Post\ndate: 2023-05-10\n---\nThe Dalby ferry crossing reopened on Monday after engineers replaced the rusted landing ramp. The operator said crossings would run every twenty minutes.\n',
    );
    await rm(path.join(corpus, '000_08d637ee574c98ec.txt'));
    const update = await buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true });
    expect(update).toMatchObject({ kind: 'update', added: 1, changed: 1, removed: 1, unchanged: 1, articles: 3 });

    // A reader picks the new generation up in place.
    expect(await searcher.refresh()).toBe(true);
    expect(searcher.info.generation).toBeGreaterThan(before);
    expect((await searcher.ask('How many apple trees did volunteers replant in the Lindholm orchard?')).results[0]!.quote).toMatch(/415 apple trees/);
    expect((await searcher.ask('When did the Dalby ferry crossing reopen?')).results[0]!.title).toBe('Ferry crossing reopens at Dalby');
    expect((await searcher.listArticles()).items.map((a) => a.title)).not.toContainEqual(expect.stringMatching(/Western officials/));
    expect((await searcher.ask('What did Saldo urge Kherson residents to do?')).results.every((r) => !/Western officials/.test(r.title))).toBe(true);
    await searcher.close();

    // The statistics kept by the indexer equal the ones recomputed from the passages.
    const kept = await sql.query<{ term: string; df: number }>('SELECT term, df FROM term_stats ORDER BY term');
    const fresh = await sql.query<{ term: string; df: number }>(
      'SELECT u.lexeme AS term, count(*)::int AS df FROM passages p CROSS JOIN LATERAL unnest(p.tsv) u GROUP BY u.lexeme ORDER BY u.lexeme',
    );
    expect(kept).toEqual(fresh);
    // So do the postings the keyword search ranks from.
    const [postings] = await sql.query<{ stale: string; missing: string }>(
      `SELECT (SELECT count(*) FROM postings po WHERE NOT EXISTS (SELECT 1 FROM passages p WHERE p.id = po.passage)) AS stale,
              (SELECT count(*) FROM passages p CROSS JOIN LATERAL unnest(p.tsv) u
                 WHERE NOT EXISTS (SELECT 1 FROM postings po WHERE po.term = u.lexeme AND po.passage = p.id)) AS missing`,
    );
    expect(postings).toEqual({ stale: '0', missing: '0' });
    const [stats] = await sql.query<{ ok: boolean }>(
      `SELECT s.passages = c.n AND s.title_terms = c.t AND s.text_terms = c.x AS ok
       FROM corpus_stats s, (SELECT count(*) AS n, sum(title_len) AS t, sum(text_len) AS x FROM passages) c`,
    );
    expect(stats!.ok).toBe(true);
  });

  it('lets one indexer write at a time', async () => {
    const other = new pg.Client({ connectionString: db!.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [WRITER_LOCK]);
      await expect(buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true })).rejects.toThrow(/Another `npm run index` is writing to/);
    } finally {
      await other.end();
    }
    await expect(buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true })).resolves.toMatchObject({ kind: 'update' });
  });

  it('shows readers an article either before or after a change, never half of it', async () => {
    const file = path.join(corpus, 'orchard.md');
    const article = (await sql.query<{ id: string }>("SELECT id FROM articles WHERE title LIKE 'Volunteers replant%'"))[0]!.id;
    let writing = true;
    const versions = new Set<string>();
    const reader = (async () => {
      const readerSql = poolSql(db!.url, { max: 1 });
      try {
        while (writing) {
          const rows = await readerSql.query<{ text: string }>('SELECT p.text FROM passages p JOIN articles a ON a.rowid = p.article WHERE a.title LIKE $1', [
            'Volunteers replant%',
          ]);
          // Always the whole article (it has one passage here), never none, never two versions.
          expect(rows).toHaveLength(1);
          versions.add(/(\d+) apple trees/.exec(rows[0]!.text)![1]!);
        }
      } finally {
        await readerSql.close();
      }
    })();
    for (const trees of [500, 501, 502, 503]) {
      await writeFile(file, ORCHARD(trees));
      const r = await buildPostgres({ sql, corpus: [corpus], settings, lexicalOnly: true, batchArticles: 1 });
      expect(r.changed).toBe(1);
    }
    writing = false;
    await reader;
    expect(article).toBeTruthy();
    expect(versions.size).toBeGreaterThan(0);
  });

  it('without pgvector on the server, indexes and answers with keywords alone and says why', async () => {
    const [available] = await sql.query<{ n: string }>("SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'vector'");
    const modelDir = path.join(dir, 'models');
    const model = await createTinyModel(modelDir);
    const withModel = testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId });
    const report = await buildPostgres({ sql, corpus: [corpus], settings: withModel });
    const searcher = await Searcher.over(await PostgresBackend.open(sql, { efSearch: 64 }, false), withModel);
    if (Number(available!.n) > 0) {
      expect(report.mode).toBe('hybrid');
      expect(searcher.status().mode).toBe('hybrid');
    } else {
      expect(report.mode).toBe('lexical');
      expect(report.modelError).toMatch(/has no pgvector extension.*keyword search only/);
      expect(searcher.status().mode).toBe('lexical');
      expect(searcher.status().modelError).toMatch(/no pgvector extension/);
      expect((await searcher.ask('How many apple trees did volunteers replant?')).results[0]!.title).toMatch(/Lindholm orchard/);
    }
    await searcher.close();
  });

  describe('command line', () => {
    const tsx = path.join(REPO, 'node_modules/.bin/tsx');
    const env = (url: string) => ({ ...process.env, SEARCH_BACKEND: 'postgres', DATABASE_URL: url, EMBEDDING_MODEL: '', ALLOW_REMOTE_MODELS: 'false', MODEL_DIR: path.join(REPO, 'no-models') });

    it('npm run index then npm run ask work against the database', async () => {
      const url = db!.url;
      const index = await run(tsx, ['src/cli/index.ts', '--corpus', corpus, '--lexical-only', '--json'], { cwd: REPO, env: env(url) });
      expect(JSON.parse(index.stdout)).toMatchObject({ indexFile: expect.stringMatching(/^[\w.-]+:\d+\/\w+$/), mode: 'lexical' });
      const ask = await run(tsx, ['src/cli/ask.ts', '--json', 'When did the Dalby ferry crossing reopen?'], { cwd: REPO, env: env(url) });
      const answer = JSON.parse(ask.stdout) as { results: Array<{ title: string }> };
      expect(answer.results[0]!.title).toBe('Ferry crossing reopens at Dalby');
    });

    it('an unreachable database is one clear line, with no password, and exit code 1', async () => {
      for (const cli of ['src/cli/ask.ts', 'src/cli/index.ts', 'src/cli/db-migrate.ts']) {
        const args = cli.endsWith('ask.ts') ? [cli, 'Where is the orchard?'] : [cli];
        const result = await run(tsx, args, { cwd: REPO, env: env(UNREACHABLE_URL) }).catch((err: { code: number; stderr: string }) => err);
        expect('code' in result && result.code).toBe(1);
        const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('Loading') && !l.startsWith('Reading'));
        // The URL is shown as host and database at most: no user name, no password.
        expect(lines.at(-1)).toMatch(/^Cannot reach PostgreSQL at 127\.0\.0\.1:1\/archivist \(.+\): check DATABASE_URL and that the server is running\.$/);
        expect(result.stderr).not.toContain('secret');
      }
    });

    it('SEARCH_BACKEND=postgres without DATABASE_URL names the variable', async () => {
      const result = await run(tsx, ['src/cli/ask.ts', 'Where is the orchard?'], { cwd: REPO, env: { ...env(''), DATABASE_URL: '' } }).catch(
        (err: { code: number; stderr: string }) => err,
      );
      expect('code' in result && result.code).toBe(1);
      expect(result.stderr).toMatch(/DATABASE_URL: required with SEARCH_BACKEND=postgres/);
    });
  });
});
