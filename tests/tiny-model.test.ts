import { mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AutoTokenizer, env, pipeline } from '@xenova/transformers';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTinyModel, DEFAULT_TINY_MODEL_ID } from './support/tiny-model.js';

const FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/model_quantized.onnx'];

const KHERSON_1 = 'Russian missile strikes hit Kherson';
const KHERSON_2 = 'missile strikes on Kherson';
const BREAD = 'the recipe for banana bread';

type Pooling = 'mean' | 'cls';

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'archivist-tiny-model-'));
  tempDirs.push(dir);
  return dir;
}

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}

function norm(v: readonly number[]): number {
  return Math.sqrt(cosine(v, v));
}

/** Loads the model exactly as the app does with a real one: local folder, Hub disabled. */
async function embed(modelDir: string, modelId: string, quantized: boolean, texts: string[], pooling: Pooling) {
  env.localModelPath = modelDir;
  env.allowRemoteModels = false;
  const extractor = await pipeline('feature-extraction', modelId, { quantized });
  const output = await extractor(texts, { pooling, normalize: true });
  return { dims: output.dims, vectors: output.tolist() as number[][] };
}

let modelDir = '';
let dim = 0;
let modelId = '';
// Transformers.js silently retries on the wasm backend (with a console.warn) when onnxruntime-node
// rejects a graph; failing on any warning makes sure the native CPU session really accepted our model.
const warn = vi.spyOn(console, 'warn');
const error = vi.spyOn(console, 'error');

beforeAll(async () => {
  modelDir = await tempDir();
  ({ modelId, dim } = await createTinyModel(modelDir, { words: ['Kherson'] }));
});

afterEach(() => {
  expect(warn).not.toHaveBeenCalled();
  expect(error).not.toHaveBeenCalled();
});

afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('createTinyModel files', () => {
  it('writes the Transformers.js layout, small', async () => {
    expect(modelId).toBe(DEFAULT_TINY_MODEL_ID);
    expect(dim).toBe(32);
    let total = 0;
    for (const f of FILES) total += (await stat(path.join(modelDir, modelId, f))).size;
    expect(total).toBeLessThan(300_000);
    const config = JSON.parse(await readFile(path.join(modelDir, modelId, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ model_type: 'bert', hidden_size: 32 });
  });

  it('is idempotent: same options give byte-identical files, other options do not', async () => {
    const other = await tempDir();
    const a = await createTinyModel(other, { words: ['Kherson'] });
    const b = await createTinyModel(other, { words: ['Kherson'] }); // rewrite over existing files
    expect(b).toEqual(a);
    for (const f of FILES) {
      const original = await readFile(path.join(modelDir, modelId, f));
      expect(Buffer.compare(await readFile(path.join(b.dir, f)), original), f).toBe(0);
    }
    const reseeded = await createTinyModel(other, { modelId: 'x/reseeded', words: ['Kherson'], seed: 7 });
    const onnxA = await readFile(path.join(a.dir, 'onnx/model.onnx'));
    const onnxB = await readFile(path.join(reseeded.dir, 'onnx/model.onnx'));
    expect(Buffer.compare(onnxA, onnxB)).not.toBe(0);
  });

  it('is fast to generate', async () => {
    const other = await tempDir();
    const t0 = performance.now();
    await createTinyModel(other, { dim: 64, words: ['Zaporizhzhia'] });
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects model ids that would escape the model dir', async () => {
    await expect(createTinyModel(modelDir, { modelId: '../evil' })).rejects.toThrow(/invalid modelId/);
  });
});

describe('tokenizer', () => {
  it('loads as a BertTokenizer, wraps in [CLS] … [SEP], lowercases, never needs [UNK] for ASCII', async () => {
    env.localModelPath = modelDir;
    env.allowRemoteModels = false;
    const tokenizer = await AutoTokenizer.from_pretrained(modelId);
    const encoded = tokenizer('Russian missile strikes hit KHERSON; Zelenskyy café!');
    const ids = Array.from(encoded.input_ids.data as BigInt64Array, Number);
    const tokens = tokenizer.model.convert_ids_to_tokens(ids);
    expect(tokens.slice(0, 6)).toEqual(['[CLS]', 'russian', 'missile', 'strikes', 'hit', 'kherson']);
    expect(tokens.at(-1)).toBe('[SEP]');
    expect(tokens).not.toContain('[UNK]');
    expect(tokens).toContain('##y'); // out-of-vocab word falls back to character pieces
    expect(tokenizer.model_max_length).toBe(512);
  });
});

describe('feature-extraction pipeline', () => {
  const texts = [KHERSON_1, KHERSON_2, BREAD];

  for (const quantized of [true, false]) {
    for (const pooling of ['mean', 'cls'] as const) {
      it(`quantized=${quantized} pooling=${pooling}: [n, dim], unit norm, lexical neighbours`, async () => {
        const { dims, vectors } = await embed(modelDir, modelId, quantized, texts, pooling);
        expect(dims).toEqual([texts.length, dim]);
        for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 5);
        const [a, b, c] = vectors as [number[], number[], number[]];
        expect(cosine(a, b)).toBeGreaterThan(cosine(a, c));
        expect(cosine(a, b)).toBeGreaterThan(0.5);
      });
    }
  }

  it('quantized=false reads onnx/model.onnx (works with the quantized file gone)', async () => {
    const dir = await tempDir();
    const model = await createTinyModel(dir, { words: ['Kherson'] });
    await unlink(path.join(model.dir, 'onnx/model_quantized.onnx'));
    const full = await embed(dir, model.modelId, false, texts, 'mean');
    const quant = await embed(modelDir, modelId, true, texts, 'mean');
    // The int8 table is a different file: close to, but not bit-equal with, the float one.
    expect(full.vectors).not.toEqual(quant.vectors);
    full.vectors.forEach((v, i) => {
      expect(cosine(v, quant.vectors[i] ?? [])).toBeGreaterThan(0.99);
    });
  });

  it('empty and padded inputs stay finite', async () => {
    const { vectors } = await embed(modelDir, modelId, true, ['', 'a much longer sentence about the war in Ukraine'], 'mean');
    for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 5);
  });

  it('contextualCls=false: single-Gather graph with an unused attention_mask loads', async () => {
    const dir = await tempDir();
    const model = await createTinyModel(dir, { modelId: 'archivist-test/tiny-gather-only', contextualCls: false });
    const mean = await embed(dir, model.modelId, true, texts, 'mean');
    expect(cosine(mean.vectors[0] ?? [], mean.vectors[1] ?? [])).toBeGreaterThan(cosine(mean.vectors[0] ?? [], mean.vectors[2] ?? []));
    // Without the contextual [CLS] every text gets the same constant [CLS] vector.
    const cls = await embed(dir, model.modelId, false, texts, 'cls');
    expect(cosine(cls.vectors[0] ?? [], cls.vectors[2] ?? [])).toBeCloseTo(1, 5);
  });
});
