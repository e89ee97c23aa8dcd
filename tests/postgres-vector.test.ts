import { appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPostgres } from '../src/indexer/postgres.js';
import { Searcher } from '../src/search/searcher.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import type { Sql } from '../src/storage/postgres/sql.js';
import { copySeeds, tempDir, testSettings } from './support/corpus.js';
import { pgliteWithVector } from './support/pglite.js';
import { createTinyModel } from './support/tiny-model.js';

// The same backend and indexer code as on a server, on PGlite (PostgreSQL in WebAssembly) with pgvector.
const engine = await pgliteWithVector();

describe.skipIf(!engine)('pgvector path (PGlite + the tiny model)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let corpus: string;
  let settings: ReturnType<typeof testSettings>;
  const sql = (): Sql => engine!.sql;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    corpus = await copySeeds(dir);
    const modelDir = path.join(dir, 'models');
    const model = await createTinyModel(modelDir);
    settings = testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId, ALLOW_REMOTE_MODELS: false });
  });
  afterAll(async () => {
    await engine?.close();
    await cleanup?.();
  });

  it('stores a vector per passage in a vector(dim) column with an HNSW index, and answers in hybrid mode', async () => {
    const report = await buildPostgres({ sql: sql(), corpus: [corpus], settings });
    expect(report).toMatchObject({ mode: 'hybrid', kind: 'full', reused: 0 });
    expect(report.modelError).toBeUndefined();
    expect(report.embedded).toBe(report.chunks);
    const [col] = await sql().query<{ type: string }>(
      "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = 'passage_vectors'::regclass AND attname = 'embedding'",
    );
    expect(col!.type).toBe('vector(32)');
    const [index] = await sql().query<{ def: string }>("SELECT indexdef AS def FROM pg_indexes WHERE indexname = 'passage_vectors_hnsw'");
    expect(index!.def).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/);

    const searcher = await Searcher.over(await PostgresBackend.open(sql(), { efSearch: 64 }, false), settings);
    expect(searcher.status().mode).toBe('hybrid');
    const answer = await searcher.ask('What did Saldo urge Kherson residents to do?');
    expect(answer.mode).toBe('hybrid');
    expect(answer.results[0]!.title).toMatch(/Western officials/);
    expect(answer.confidence?.similarity).toBeGreaterThan(0);
    expect(answer.timings.ann).toBeGreaterThanOrEqual(0);
    // The nearest passages by meaning come from pgvector, with date filters in SQL.
    const backend = await PostgresBackend.open(sql(), { efSearch: 64 }, false);
    const query = Float32Array.from((await sql().query<{ e: string }>('SELECT embedding::text AS e FROM passage_vectors ORDER BY id LIMIT 1')).map((r) => JSON.parse(r.e) as number[])[0]!);
    const [first] = await sql().query<{ id: number }>('SELECT id FROM passage_vectors ORDER BY id LIMIT 1');
    const hits = await backend.denseCandidates(query, 3);
    expect(hits[0]).toMatchObject({ id: first!.id });
    expect(hits[0]!.similarity).toBeCloseTo(1, 4);
    const filtered = await backend.denseCandidates(query, 10, await backend.filterFor({ after: '2023-01-01' }));
    const dates = await backend.passages(filtered.map((h) => h.id));
    expect([...dates.values()].every((p) => (p.article.date ?? '') >= '2023')).toBe(true);
    expect((await backend.vectorOf(first!.id))?.length).toBe(32);
    await searcher.close();
  });

  it('re-embeds only passages whose text changed; removed articles lose their vectors', async () => {
    await appendFile(path.join(corpus, '003_5573d08d051ce044.txt'), '\nResidents said the power came back on Tuesday after repairs to the damaged substation near the port.\n');
    const changed = await buildPostgres({ sql: sql(), corpus: [corpus], settings });
    expect(changed).toMatchObject({ kind: 'update', unchanged: 1 });
    expect(changed.embedded).toBeGreaterThan(0);
    expect(changed.embedded).toBeLessThanOrEqual(2);
    await rm(path.join(corpus, '000_08d637ee574c98ec.txt'));
    const removed = await buildPostgres({ sql: sql(), corpus: [corpus], settings });
    expect(removed).toMatchObject({ kind: 'update', removed: 1, embedded: 0 });
    const [counts] = await sql().query<{ p: string; v: string }>('SELECT (SELECT count(*) FROM passages) AS p, (SELECT count(*) FROM passage_vectors) AS v');
    expect(Number(counts!.v)).toBe(Number(counts!.p));
    const searcher = await Searcher.over(await PostgresBackend.open(sql(), { efSearch: 64 }, false), settings);
    const answer = await searcher.ask('What happened after repairs to the damaged substation?');
    expect(answer.mode).toBe('hybrid');
    expect(answer.results[0]!.quote).toMatch(/power came back on Tuesday/);
    await searcher.close();
  });
});
