import { execFile } from 'node:child_process';
import { appendFile, cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbedder } from '../src/embed/load.js';
import { staticModelFiles, writeStaticModel } from '../src/embed/static-model.js';
import { embedWithTable, tokenWords, trainStaticEmbedding, type TrainPassage } from '../src/embed/train.js';
import { buildIndex } from '../src/indexer/build.js';
import { CORPUS_MODELS_DIR } from '../src/indexer/corpus-model.js';
import { Searcher } from '../src/search/searcher.js';
import { seededRandom } from '../src/random.js';
import { REPO, tempDir, testSettings } from './support/corpus.js';

/**
 * A made-up corpus of four topics. Within a topic, passages draw their words from the topic's list,
 * so words of one topic share contexts; no passage holds every word of its topic.
 */
const TOPICS: Record<string, string[]> = {
  football: ['striker', 'goalkeeper', 'midfielder', 'penalty', 'league', 'stadium', 'coach', 'referee', 'tournament', 'fans', 'kickoff', 'derby'],
  weather: ['storm', 'rainfall', 'flooding', 'forecast', 'meteorologists', 'winds', 'hurricane', 'drought', 'temperatures', 'snowfall', 'thunder', 'humidity'],
  markets: ['shares', 'investors', 'stocks', 'earnings', 'dividend', 'traders', 'bonds', 'inflation', 'currency', 'nasdaq', 'valuation', 'profits'],
  health: ['vaccine', 'hospital', 'patients', 'doctors', 'infection', 'nurses', 'clinic', 'symptoms', 'virus', 'treatment', 'surgeons', 'pandemic'],
};
const FILLER = ['the', 'a', 'on', 'said', 'after', 'week', 'new', 'report', 'local', 'officials', 'people', 'city'];

function sentence(words: string[], random: () => number): string {
  const pick = (list: string[]) => list[Math.floor(random() * list.length)]!;
  const out = [pick(FILLER), pick(words), pick(FILLER), pick(words), pick(words), pick(FILLER), pick(words)];
  return `${out.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
}

function madeUpArticles(count: number, seed: number): Array<{ id: string; title: string; text: string; topic: string }> {
  const random = seededRandom(seed);
  const names = Object.keys(TOPICS);
  return Array.from({ length: count }, (_, i) => {
    const topic = names[i % names.length]!;
    const words = TOPICS[topic]!;
    const title = sentence(words, random).replace(/\.$/, '');
    const text = Array.from({ length: 4 }, () => sentence(words, random)).join(' ');
    return { id: `a${i}`, title, text, topic };
  });
}

const passagesOf = (articles: ReturnType<typeof madeUpArticles>): TrainPassage[] =>
  articles.map((a) => ({ title: a.title, sentences: a.text.split(/(?<=\.)\s+/) }));

const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const TRAIN = { dim: 16, epochs: 3, batch: 32, minPassages: 50, minCount: 2 };

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('an embedding model trained on the corpus', () => {
  const passages = passagesOf(madeUpArticles(240, 7));

  it('is deterministic: the same seed gives the same bytes, another seed other bytes', async () => {
    const a = await trainStaticEmbedding(passages, { ...TRAIN, seed: 3 });
    const b = await trainStaticEmbedding(passages, { ...TRAIN, seed: 3 });
    const c = await trainStaticEmbedding(passages, { ...TRAIN, seed: 4 });
    expect(a.tokens).toEqual(b.tokens);
    expect(Buffer.from(a.table.buffer).equals(Buffer.from(b.table.buffer))).toBe(true);
    expect(Buffer.from(a.table.buffer).equals(Buffer.from(c.table.buffer))).toBe(false);
    const files = (m: typeof a) => staticModelFiles({ modelId: 'corpus/x', tokens: m.tokens, table: m.table, dim: m.dim, producer: 'p', doc: 'd' });
    expect(files(a).map(([, bytes]) => Buffer.from(bytes).toString('hex'))).toEqual(files(b).map(([, bytes]) => Buffer.from(bytes).toString('hex')));
  });

  it.each([0, 3])('puts words of one topic nearer each other than words of another, and retrieves by topic beyond shared words (%i contrastive epochs)', async (epochs) => {
    const m = await trainStaticEmbedding(passages, { ...TRAIN, epochs, seed: 1 });
    const near = (w: string, other: string) => cosine(embedWithTable(m, w), embedWithTable(m, other));
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    for (const [topic, words] of Object.entries(TOPICS)) {
      const foreign = Object.entries(TOPICS).filter(([t]) => t !== topic).flatMap(([, ws]) => ws);
      for (const w of words) {
        const same = words.filter((x) => x !== w).map((x) => near(w, x));
        const other = foreign.map((x) => near(w, x));
        expect(mean(same)).toBeGreaterThan(mean(other) + 0.2);
      }
    }
    // A question whose words a passage lacks is still nearer the passages of its topic.
    const question = embedWithTable(m, 'which goalkeeper saved the penalty');
    const without = madeUpArticles(240, 7).filter((a) => !/goalkeeper|penalty/.test(`${a.title} ${a.text}`));
    const byTopic = (topic: string) => mean(without.filter((a) => a.topic === topic).map((a) => cosine(question, embedWithTable(m, `${a.title}\n${a.text}`))));
    expect(without.some((a) => a.topic === 'football')).toBe(true);
    for (const topic of ['weather', 'markets', 'health']) expect(byTopic('football')).toBeGreaterThan(byTopic(topic) + 0.1);
  });

  it('refuses a corpus too small to learn from', async () => {
    await expect(trainStaticEmbedding(passages.slice(0, 10), { ...TRAIN })).rejects.toThrow(/too little text/);
  });

  it('tokenizes like the saved BERT tokenizer, and loads through the real embedder with vectors of its width', async () => {
    const m = await trainStaticEmbedding(passages, { ...TRAIN, seed: 1 });
    const modelDir = path.join(dir, 'standalone');
    await writeStaticModel(path.join(modelDir, 'corpus', 'unit'), { modelId: 'corpus/unit', tokens: m.tokens, table: m.table, dim: m.dim, producer: 'test', doc: 'test' });
    const loaded = await loadEmbedder(testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: 'corpus/unit', MODEL_QUANTIZED: false }));
    if ('error' in loaded) throw new Error(loaded.error);
    const { embedder } = loaded;
    expect(embedder.dim).toBe(16);
    const texts = ['The Striker, Café-goalkeeper & co. scored 2 PENALTIES!', 'Storm winds: rainfall — flooding (forecast)'];
    const vectors = await embedder.embedPassages(texts);
    texts.forEach((t, i) => {
      expect(vectors[i]!.length).toBe(16);
      const mine = embedWithTable(m, t);
      for (let k = 0; k < 16; k++) expect(vectors[i]![k]).toBeCloseTo(mine[k]!, 5);
    });
    expect(tokenWords('Café-goalkeeper & co.')).toEqual(['cafe', 'goalkeeper', 'co']);
    await embedder.dispose();
  });
});

describe('an index build without a loadable model', () => {
  let corpus: string;
  let out: string;
  const settings = testSettings({ EMBEDDING_MODEL: 'nobody/no-such-model', CORPUS_MODEL: 'auto', HNSW_M: 8, HNSW_EF_CONSTRUCTION: 64 });
  const corpusModel = { ...TRAIN, seed: 1 };

  beforeAll(async () => {
    corpus = path.join(dir, 'corpus.jsonl');
    out = path.join(dir, 'index');
    const lines = madeUpArticles(200, 11).map(({ id, title, text }) => JSON.stringify({ id, title, text, url: `https://example.org/${id}` }));
    await writeFile(corpus, `${lines.join('\n')}\n`);
  });

  it('trains a model on the corpus, saves it beside the index and searches with its vectors', async () => {
    const report = await buildIndex({ corpus: [corpus], out, settings, corpusModel });
    expect(report.mode).toBe('hybrid');
    expect(report.model).toMatch(/^corpus\/static-[0-9a-f]{12}$/);
    expect(report.embedded).toBe(report.chunks);
    const saved = path.join(out, CORPUS_MODELS_DIR, ...report.model.split('/'));
    expect((await readdir(saved)).sort()).toEqual(['config.json', 'onnx', 'tokenizer.json', 'tokenizer_config.json']);
    expect(JSON.parse(await readFile(path.join(saved, 'config.json'), 'utf8')).hidden_size).toBe(16);

    // The configured model is named explicitly and still missing: the index's own model is used.
    const searcher = await Searcher.open(out, { ...settings, EMBEDDING_MODEL: settings.EMBEDDING_MODEL });
    expect(searcher.info.dense).toMatchObject({ status: 'ok', model: report.model, dim: 16, modelDir: CORPUS_MODELS_DIR });
    expect(searcher.status()).toMatchObject({ mode: 'hybrid', model: report.model });
    const answer = await searcher.ask('striker penalty in the derby');
    expect(answer.mode).toBe('hybrid');
    expect(answer.results.length).toBeGreaterThan(0);
    expect(answer.confidence?.similarity).toBeGreaterThan(0);
    await searcher.close();

    // `npm run status` names the model and says where it came from.
    const status = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['src/cli/status.ts', '--index', out], { cwd: REPO });
    expect(status.stdout).toContain(`model ${report.model} (16 dimensions, trained on this corpus`);
    // Its folder deleted (a cleanup too eager), searches run on keywords alone, and status says so.
    const copy = path.join(dir, 'model-gone');
    await cp(out, copy, { recursive: true });
    await rm(path.join(copy, CORPUS_MODELS_DIR), { recursive: true });
    const gone = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['src/cli/status.ts', '--index', copy], { cwd: REPO });
    expect(gone.stdout).toMatch(/Search: +keywords only: no vectors for corpus\/static-[0-9a-f]{12} \(the model trained on this corpus is missing/);
  });

  it('reuses the model in an update in place and embeds only the new passages', async () => {
    const before = await buildIndex({ corpus: [corpus], out, settings, corpusModel });
    expect(before).toMatchObject({ kind: 'update', added: 0, embedded: 0 });
    const modelFile = path.join(out, CORPUS_MODELS_DIR, ...before.model.split('/'), 'onnx', 'model_quantized.onnx');
    const mtime = (await stat(modelFile)).mtimeMs;
    await appendFile(corpus, `${JSON.stringify({ id: 'new', title: 'Hurricane forecast', text: 'Meteorologists said the hurricane brings winds and rainfall.', url: 'https://example.org/new' })}\n`);
    const after = await buildIndex({ corpus: [corpus], out, settings, corpusModel });
    expect(after).toMatchObject({ kind: 'update', added: 1, model: before.model, mode: 'hybrid' });
    expect(after.embedded).toBe(after.chunks - before.chunks);
    expect(after.embedded).toBeGreaterThan(0);
    expect((await stat(modelFile)).mtimeMs).toBe(mtime);
    // A rebuild trains again (same corpus + seed → the same model), and keeps no other model.
    const rebuilt = await buildIndex({ corpus: [corpus], out, settings, corpusModel, rebuild: true });
    expect(rebuilt.kind).toBe('full');
    // The live index's model stays until the next training (a reader may still load it); no other one does.
    const kept = (await readdir(path.join(out, CORPUS_MODELS_DIR, 'corpus'))).sort();
    expect(kept).toEqual([...new Set([rebuilt.model, before.model].map((m) => m.split('/')[1]!))].sort());
  });

  it('stays lexical when training is off or the corpus is too small', async () => {
    const off = await buildIndex({ corpus: [corpus], out: path.join(dir, 'off'), settings: { ...settings, CORPUS_MODEL: 'off' } });
    expect(off.mode).toBe('lexical');
    const small = await buildIndex({ corpus: [corpus], out: path.join(dir, 'small'), settings, corpusModel: { ...corpusModel, minPassages: 100_000 } });
    expect(small.mode).toBe('lexical');
    expect(small.modelError).toMatch(/could not be loaded.*too little text/s);
  });
});
