import { appendFile, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { resolveIndex } from '../src/storage/folder.js';
import { Searcher } from '../src/search/searcher.js';
import { copySeeds, tempDir, testSettings } from './support/corpus.js';
import { createTinyModel } from './support/tiny-model.js';

let dir: string;
let cleanup: () => Promise<void>;
let corpus: string;
let out: string;
let settings: ReturnType<typeof testSettings>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  corpus = await copySeeds(dir);
  out = path.join(dir, 'index');
  const modelDir = path.join(dir, 'models');
  const model = await createTinyModel(modelDir);
  settings = testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId, ALLOW_REMOTE_MODELS: false, HNSW_M: 8, HNSW_EF_CONSTRUCTION: 64 });
});
afterAll(() => cleanup());

describe('dense path with a generated model, loaded like a real one', () => {
  it('builds a hybrid index: metadata in the database, HNSW graph beside it', async () => {
    const report = await buildIndex({ corpus: [corpus], out, settings });
    expect(report.mode).toBe('hybrid');
    expect(report.kind).toBe('full');
    expect(report.modelError).toBeUndefined();
    expect(report.embedded).toBe(report.chunks);
    expect(report.reused).toBe(0);
    const searcher = await Searcher.open(out, settings, { model: 'never' });
    expect(searcher.info.dense).toMatchObject({ status: 'ok', model: settings.EMBEDDING_MODEL, dim: 32, space: 'cosine', M: 8, efConstruction: 64, efSearch: 64 });
    expect(searcher.info.passages).toBe(report.chunks);
    await searcher.close();
    const { file } = await resolveIndex(out);
    expect((await readdir(out)).filter((f) => f.endsWith('.hnsw'))).toEqual([path.basename(file).replace(/\.db$/, '.g1.hnsw')]);
  });

  it('answers in hybrid mode with fused scores and similarity', async () => {
    const searcher = await Searcher.open(out, settings);
    expect(searcher.status().mode).toBe('hybrid');
    const answer = await searcher.ask('What did Saldo urge Kherson residents to do?');
    expect(answer.mode).toBe('hybrid');
    expect(answer.abstained).toBe(false);
    expect(answer.results[0]!.title).toMatch(/Western officials/);
    expect(answer.confidence?.similarity).toBeGreaterThan(0);
    expect(answer.timings.embed).toBeGreaterThanOrEqual(0);
    expect(answer.timings.ann).toBeGreaterThanOrEqual(0);
  });

  it('re-embeds only the passages whose text changed, and drops removed articles', async () => {
    const file = path.join(corpus, '003_5573d08d051ce044.txt');
    await appendFile(file, '\nResidents said the power came back on Tuesday after repairs to the damaged substation near the port.\n');
    const changed = await buildIndex({ corpus: [corpus], out, settings });
    // A text file without a URL is identified by its text: the edit replaces the article.
    expect(changed).toMatchObject({ kind: 'update', articles: 2, unchanged: 1 });
    expect(changed.added + changed.changed).toBe(1);
    expect(changed.embedded).toBeGreaterThan(0);
    expect(changed.embedded).toBeLessThanOrEqual(2);
    // The unchanged article's passages are not even read; the changed one's unchanged passages reuse their vectors.
    expect(changed.embedded + changed.reused).toBeLessThan(changed.chunks);

    await rm(path.join(corpus, '000_08d637ee574c98ec.txt'));
    const removed = await buildIndex({ corpus: [corpus], out, settings });
    expect(removed).toMatchObject({ kind: 'update', removed: 1 });
    expect(removed.articles).toBe(1);
    expect(removed.embedded).toBe(0);
    const searcher = await Searcher.open(out, settings);
    expect((await searcher.listArticles()).items.map((a) => a.title)).toEqual([expect.stringMatching(/One year after liberation/)]);
    const answer = await searcher.ask('What happened after repairs to the damaged substation?');
    expect(answer.mode).toBe('hybrid');
    expect(answer.results[0]!.quote).toMatch(/power came back on Tuesday/);
    expect((await searcher.ask('What did Saldo urge Kherson residents to do?')).results.every((r) => !/Western officials/.test(r.title))).toBe(true);
    await searcher.close();
  });

  it('re-uses every vector on --rebuild when nothing changed', async () => {
    const report = await buildIndex({ corpus: [corpus], out, settings, rebuild: true });
    expect(report).toMatchObject({ kind: 'full', embedded: 0 });
    expect(report.reused).toBe(report.chunks);
  });

  it('refuses an index built with another model than EMBEDDING_MODEL, naming the fix', async () => {
    await expect(Searcher.open(out, { ...settings, EMBEDDING_MODEL: 'Xenova/all-MiniLM-L6-v2' })).rejects.toThrow(
      /built with archivist-test\/tiny-static-embed but EMBEDDING_MODEL is Xenova\/all-MiniLM-L6-v2.*npm run index/,
    );
  });

  it('reports a truncated vector file or database and how to fix it', async () => {
    const copy = path.join(dir, 'damaged');
    await buildIndex({ corpus: [corpus], out: copy, settings });
    const { file } = await resolveIndex(copy);
    const hnsw = file.replace(/\.db$/, '.g1.hnsw');
    await truncate(hnsw, (await stat(hnsw)).size - 100);
    await expect(Searcher.open(copy, settings)).rejects.toThrow(/vector index .* damaged.*npm run index -- --rebuild/);
    await truncate(file, 2048);
    await expect(Searcher.open(copy, settings)).rejects.toThrow(/index database .* is damaged.*npm run index -- --rebuild/);
    await writeFile(file, 'not a database at all, just text'.repeat(200));
    await expect(Searcher.open(copy, settings)).rejects.toThrow(/index database .* is damaged.*npm run index -- --rebuild/);
  });

  it('keeps the previous index live when a build fails', async () => {
    const before = await readFile(path.join(out, 'current'), 'utf8');
    await expect(buildIndex({ corpus: [path.join(dir, 'empty-or-missing')], out, settings })).rejects.toThrow(/No articles found/);
    expect(await readFile(path.join(out, 'current'), 'utf8')).toBe(before);
    const searcher = await Searcher.open(out, settings);
    expect(searcher.status().articles).toBe(1);
  });

  it('refuses a second concurrent build of the same index folder', async () => {
    // Either may take the lock first (both make the folder before locking): exactly one must lose.
    const results = await Promise.allSettled([buildIndex({ corpus: [corpus], out, settings }), buildIndex({ corpus: [corpus], out, settings })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(String(lost?.reason)).toMatch(/Another index build/);
  });
});
