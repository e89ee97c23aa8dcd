import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureStandin, standinPython, STANDIN_MODEL_ID } from '../bench/standin.js';
import { embedByLength } from '../src/embed/batches.js';
import type { Embedder } from '../src/embed/embedder.js';
import { loadEmbedder } from '../src/embed/load.js';
import { type BuildProgress, buildIndex } from '../src/indexer/build.js';
import { tempDir, testSettings } from './support/corpus.js';
import { isCI } from './support/shared.js';

/**
 * The stand-in of the default model (bench/standin-model.py), with 2 of its 12 layers: every other
 * dimension is bge-small's, and it is loaded by the code that loads the real model.
 */
const { python, why } = await standinPython();
if (!python) {
  if (isCI()) throw new Error(`CI needs the stand-in model's generator: ${why}`);
  process.stderr.write(`[skipped] the bge-small stand-in: ${why}\n`);
}

let modelDir = '';
let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
let embedder: Embedder;
const settings = (overrides: Parameters<typeof testSettings>[0] = {}) => testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: STANDIN_MODEL_ID, ...overrides });

const dot = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe.runIf(python)('the stand-in of bge-small-en-v1.5', () => {
  beforeAll(async () => {
    ({ modelDir } = await ensureStandin({ layers: 2 }));
    ({ dir, cleanup } = await tempDir());
    const loaded = await loadEmbedder(settings());
    if ('error' in loaded) throw new Error(loaded.error);
    embedder = loaded.embedder;
  }, 300_000);
  afterAll(async () => {
    await embedder?.dispose();
    await cleanup();
  });

  it("has bge-small's shape, in the Transformers.js layout with an int8 copy as Hugging Face quantizes", async () => {
    const root = path.join(modelDir, STANDIN_MODEL_ID);
    const config = JSON.parse(await readFile(path.join(root, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'bert', hidden_size: 384, num_attention_heads: 12, intermediate_size: 1536, max_position_embeddings: 512, vocab_size: 30522, num_hidden_layers: 2 });
    const tokenizer = JSON.parse(await readFile(path.join(root, 'tokenizer.json'), 'utf8')) as { model: { type: string; vocab: Record<string, number> } };
    expect(tokenizer.model.type).toBe('WordPiece');
    expect(new Set(Object.values(tokenizer.model.vocab)).size).toBe(30522);
    const fp32 = await readFile(path.join(root, 'onnx', 'model.onnx'));
    const int8 = await readFile(path.join(root, 'onnx', 'model_quantized.onnx'));
    // Operator names are plain strings in the protobuf.
    for (const op of ['DynamicQuantizeLinear', 'MatMulInteger', 'DequantizeLinear']) {
      expect(int8.includes(op)).toBe(true);
      expect(fp32.includes(op)).toBe(false);
    }
    expect(int8.length).toBeLessThan(fp32.length / 3);
  });

  it('is loaded as the default model: CLS pooling, unit length, 384 wide, the query instruction', async () => {
    expect(embedder.dim).toBe(384);
    expect(embedder.profile.pooling).toBe('cls');
    const texts = ['Russian missile strikes hit the port city on Thursday.', 'Grain ships left the harbour.', 'Power came back on Tuesday after repairs.'];
    const ours = await embedder.embedPassages(texts);
    for (const v of ours) expect(Math.sqrt(dot(v, v))).toBeCloseTo(1, 5);
    // The reference: Transformers.js's own pipeline with CLS pooling, on the same files.
    const { pipeline } = await import('@xenova/transformers');
    const extractor = await pipeline('feature-extraction', STANDIN_MODEL_ID, { quantized: true });
    const cls = await extractor(texts, { pooling: 'cls', normalize: true });
    const mean = await extractor(texts, { pooling: 'mean', normalize: true });
    ours.forEach((v, i) => {
      const row = (t: { data: unknown }) => Float32Array.from((t.data as Float32Array).slice(i * 384, (i + 1) * 384));
      expect(dot(v, row(cls))).toBeGreaterThan(0.9999);
      expect(dot(v, row(mean))).toBeLessThan(0.999);
    });
    await extractor.dispose();
    const question = 'where did the grain ships go';
    const asked = await embedder.embedQuery(question);
    const [prefixed] = await embedder.embedPassages([`${embedder.profile.queryPrefix}${question}`]);
    expect(embedder.profile.queryPrefix).toMatch(/^Represent this sentence/);
    expect(dot(asked, prefixed!)).toBeGreaterThan(0.9999);
    // Asked again: the cached vector, not a new run.
    expect(await embedder.embedQuery(question)).toBe(asked);
  });

  it('gives each text its own vector when batches are sorted by length', async () => {
    const texts = ['one', 'a much longer passage about the harbour, the grain ships and the port authority', 'two words', 'a medium sentence here'];
    const batched = await embedByLength(embedder, texts, 2);
    for (const [i, t] of texts.entries()) {
      const [alone] = await embedder.embedPassages([t]);
      expect(dot(batched[i]!, alone!)).toBeGreaterThan(0.9999);
    }
  });

  it('loads the float model too, and with one intra-op thread, to (nearly) the same vectors', async () => {
    const text = ['The inspectors said the cooling ponds were stable.'];
    const [int8] = await embedder.embedPassages(text);
    const loaded = await loadEmbedder(settings({ MODEL_QUANTIZED: false, EMBED_THREADS: 1 }));
    if ('error' in loaded) throw new Error(loaded.error);
    const [fp32] = await loaded.embedder.embedPassages(text);
    await loaded.embedder.dispose();
    expect(fp32).toHaveLength(384);
    expect(dot(int8!, fp32!)).toBeGreaterThan(0.9);
    expect(dot(int8!, fp32!)).toBeLessThan(0.99999);
  });

  it('an update in place embeds only the new and changed passages; progress counts what embedding has left', async () => {
    const corpus = path.join(dir, 'news.jsonl');
    const article = (id: string, title: string, text: string) => JSON.stringify({ id, title, text, url: `https://example.org/${id}`, date: '2024-03-01' });
    const a = article('a', 'Harbour reopens', 'The harbour reopened on Monday after the storm. Ferries ran again by noon.');
    const b = article('b', 'Bridge repairs', 'Crews repaired the bridge deck over the weekend. Traffic resumed on Sunday evening.');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(corpus, `${a}\n${b}\n`);
    const out = path.join(dir, 'index');
    const s = settings({ HNSW_M: 8, HNSW_EF_CONSTRUCTION: 32 });
    const events: BuildProgress[] = [];
    const onProgress = (p: BuildProgress) => events.push(p);
    const first = await buildIndex({ corpus: [corpus], out, settings: s, embedder, onProgress });
    expect(first).toMatchObject({ kind: 'full', mode: 'hybrid', reused: 0 });
    expect(first.embedded).toBe(first.chunks);
    // A full build reads and embeds as one stage, over the corpus's bytes (its ETA includes the embedding).
    const reading = events.filter((e) => (e.stage === 'embed' || e.stage === 'load') && !e.message);
    expect(reading.length).toBeGreaterThan(0);
    expect(reading.every((e) => e.stage === 'embed' && e.total === Buffer.byteLength(`${a}\n${b}\n`) && e.unit === 'passages/s')).toBe(true);
    events.length = 0;
    const c = article('c', 'Library opens', 'A new library opened in the old town hall on Saturday.');
    const b2 = article('b', 'Bridge repairs', 'Crews repaired the bridge deck over the weekend. Traffic resumed on Monday morning instead.');
    await writeFile(corpus, `${a}\n${b2}\n${c}\n`);
    const update = await buildIndex({ corpus: [corpus], out, settings: s, embedder, onProgress });
    expect(update).toMatchObject({ kind: 'update', added: 1, changed: 1, unchanged: 1 });
    // One passage each for the new and the changed article; the unchanged one is not even read.
    expect(update.embedded).toBe(2);
    expect(events.filter((e) => e.stage === 'embed').map((e) => [e.done, e.total])).toEqual([[2, 2]]);
    expect((await stat(out)).isDirectory()).toBe(true);
  });
});
