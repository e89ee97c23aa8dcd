import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHUNK_OPTIONS } from '../src/chunk.js';
import { buildPostgres } from '../src/indexer/postgres.js';
import { pgliteSql, poolSql, type Sql } from '../src/storage/postgres/sql.js';
import { SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { pgliteWithVector } from './support/pglite.js';
import { testDatabase } from './support/postgres.js';
import { createTinyModel } from './support/tiny-model.js';

/**
 * A full build in PostgreSQL (new model or chunking) rewrites articles batch by batch in the live
 * tables: a corpus path it cannot read must stop it before the first write, as the embedded index
 * refuses such a build (tests/unread-corpus.test.ts), not drop that path's articles.
 */
const settings = testSettings();
const server = await testDatabase();
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-pg-unread-'));
});
afterAll(async () => {
  await server?.drop();
  await cleanup();
});

const line = (id: string, subject: string): string =>
  JSON.stringify({ id, title: `${subject} repainted`, text: `Painters repainted the ${subject} over three weekends and chose a pale green that matches the old photographs.`, url: `https://example.org/${id}` });

/** What a reader of the index sees: every article with its passages' ids, and the stored chunking. */
async function snapshot(sql: Sql): Promise<{ articles: string[]; passages: number[]; chunking: unknown }> {
  const articles = (await sql.query<{ id: string }>('SELECT id FROM articles ORDER BY id')).map((r) => r.id);
  const passages = (await sql.query<{ id: number }>('SELECT id FROM passages ORDER BY id')).map((r) => r.id);
  const [meta] = await sql.query<{ value: unknown }>("SELECT value FROM meta WHERE key = 'chunking'");
  return { articles, passages, chunking: meta?.value };
}

const chunking = { ...DEFAULT_CHUNK_OPTIONS, targetWords: DEFAULT_CHUNK_OPTIONS.targetWords + 20 };

async function refusesThenRebuilds(sql: Sql, name: string): Promise<void> {
  const extra = path.join(dir, name);
  await mkdir(extra, { recursive: true });
  await writeFile(path.join(extra, 'a.jsonl'), `${[line(`${name}-1`, 'footbridge'), line(`${name}-2`, 'bandstand')].join('\n')}\n`);
  // A file read after the seeds' articles were streamed: a check at the end would come too late.
  await writeFile(path.join(extra, 'z.json'), JSON.stringify([JSON.parse(line(`${name}-3`, 'ferry shelter'))]));
  const corpus = [SEED_CORPUS, extra];
  await buildPostgres({ sql, corpus, settings, lexicalOnly: true, batchArticles: 1 });
  const before = await snapshot(sql);
  expect(before.articles).toEqual(expect.arrayContaining([`${name}-1`, `${name}-2`, `${name}-3`]));

  // A file that cannot be decoded any more: its article would be dropped.
  await writeFile(path.join(extra, 'z.json'), Buffer.from([0x5b, 0xff, 0xfe, 0x41, 0x5d, 0x0a]));
  await expect(buildPostgres({ sql, corpus, settings, chunking, lexicalOnly: true, batchArticles: 1 })).rejects.toThrow(
    new RegExp(`^Cannot read ${path.join(extra, 'z.json')} \\(not valid UTF-8 text .*; 1 article of the current index\\): .*--rebuild.* The previous index is unchanged\\.$`),
  );
  expect(await snapshot(sql)).toEqual(before);

  // A folder that is gone (e.g. an unmounted volume): refused too, nothing rewritten.
  await rename(extra, `${extra}.gone`);
  await expect(buildPostgres({ sql, corpus, settings, chunking, lexicalOnly: true, batchArticles: 1 })).rejects.toThrow(
    new RegExp(`^Cannot read ${extra} \\(cannot read \\(ENOENT\\); 3 articles of the current index\\)`),
  );
  expect(await snapshot(sql)).toEqual(before);

  // An update (same chunking) keeps them as before; --rebuild builds without them.
  const update = await buildPostgres({ sql, corpus, settings, lexicalOnly: true });
  expect([update.kind, update.removed]).toEqual(['update', 0]);
  const rebuilt = await buildPostgres({ sql, corpus, settings, chunking, lexicalOnly: true, rebuild: true });
  expect(rebuilt.fullReason).toBe('rebuild requested');
  expect((await snapshot(sql)).articles).not.toContain(`${name}-1`);
}

describe('a full PostgreSQL build over a live index that cannot read part of the corpus', () => {
  it('is refused before anything is rewritten (PGlite), and goes ahead with --rebuild', async () => {
    const db = await PGlite.create();
    try {
      await refusesThenRebuilds(pgliteSql(db, 'pglite (in-process)'), 'pglite');
    } finally {
      await db.close();
    }
  }, 120_000);

  it.skipIf(!server)('is refused the same way on a PostgreSQL server', async () => {
    const sql = poolSql(server!.url, { max: 2 });
    try {
      await refusesThenRebuilds(sql, 'server');
    } finally {
      await sql.close();
    }
  }, 120_000);
});

describe('a new model of another dimension, over a path it cannot read', async () => {
  const engine = await pgliteWithVector();
  afterAll(() => engine?.close());

  it.skipIf(!engine)('is refused before the vector table is dropped for the new dimension: the old vectors still answer', async () => {
    const sql = engine!.sql;
    const modelDir = path.join(dir, 'models');
    const small = await createTinyModel(modelDir, { modelId: 'archivist-test/tiny-32', dim: 32 });
    const wide = await createTinyModel(modelDir, { modelId: 'archivist-test/tiny-48', dim: 48 });
    const extra = path.join(dir, 'vectors');
    await mkdir(extra, { recursive: true });
    await writeFile(path.join(extra, 'a.jsonl'), `${line('v1', 'clock tower')}\n`);
    const corpus = [SEED_CORPUS, extra];
    await buildPostgres({ sql, corpus, settings: testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: small.modelId }) });
    const vectors = async (): Promise<[string, number]> => {
      const [col] = await sql.query<{ type: string }>("SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'passage_vectors'::regclass AND attname = 'embedding'");
      const [n] = await sql.query<{ n: string }>('SELECT count(*) AS n FROM passage_vectors');
      return [col!.type, Number(n!.n)];
    };
    const before = [await snapshot(sql), await vectors()];
    expect(before[1]).toEqual(['vector(32)', expect.any(Number)]);
    await rename(extra, `${extra}.gone`);
    await expect(buildPostgres({ sql, corpus, settings: testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: wide.modelId }) })).rejects.toThrow(/^Cannot read .*--rebuild/);
    expect([await snapshot(sql), await vectors()]).toEqual(before);
  }, 120_000);
});
