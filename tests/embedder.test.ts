import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEmbedder } from '../src/embed/load.js';
import { onnxBytesProblem } from '../src/embed/onnx-check.js';
import { tempDir, testSettings } from './support/corpus.js';
import { createTinyModel } from './support/tiny-model.js';

let dir: string;
let cleanup: () => Promise<void>;
let modelId: string;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  ({ modelId } = await createTinyModel(path.join(dir, 'models'), { dim: 48 }));
});
afterAll(() => cleanup());

const TEXTS = ['Russian missile strikes hit Kherson.', 'Take your children and leave, he urged residents of the region.', 'Grain'];

describe('loadEmbedder', () => {
  it.each(['mean', 'cls'] as const)('pools like Transformers.js does (%s pooling), padding and all', async (pooling) => {
    const settings = { ...testSettings({ MODEL_DIR: path.join(dir, 'models'), EMBEDDING_MODEL: modelId }), EMBEDDING_POOLING: pooling };
    const loaded = await loadEmbedder(settings);
    if ('error' in loaded) throw new Error(loaded.error);
    const ours = await loaded.embedder.embedPassages(TEXTS);
    // The reference: the library's own pipeline with its own pooling.
    const { pipeline } = await import('@xenova/transformers');
    const extractor = await pipeline('feature-extraction', modelId, { quantized: true });
    const theirs = await extractor(TEXTS, { pooling, normalize: true });
    expect(ours).toHaveLength(3);
    ours.forEach((v, i) => {
      expect(v).toHaveLength(48);
      const ref = Array.from(theirs.data as Float32Array).slice(i * 48, (i + 1) * 48);
      v.forEach((x, d) => {
        expect(x).toBeCloseTo(ref[d]!, 5);
      });
    });
  });

  it('reports a model it cannot load with the model name and the way to provide it', async () => {
    const loaded = await loadEmbedder(testSettings({ MODEL_DIR: path.join(dir, 'models'), EMBEDDING_MODEL: 'nobody/missing-model' }));
    expect('error' in loaded && loaded.error).toMatch(/nobody\/missing-model could not be loaded.*models\/nobody\/missing-model/);
  });

  it('names a weights file that is empty, cut off, a Git LFS pointer or a web page, and never hands it to ONNX Runtime', async () => {
    const models = path.join(dir, 'models');
    const good = await readFile(path.join(models, ...modelId.split('/'), 'onnx', 'model_quantized.onnx'));
    expect(await onnxBytesProblem(good)).toBeUndefined();
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['empty', new Uint8Array(0), /empty/],
      ['cut', good.subarray(0, Math.floor(good.length * 0.6)), /cut off/],
      ['lfs', Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 133\n'), /Git LFS pointer/],
      ['page', Buffer.from('<!DOCTYPE html><html><body>Not found</body></html>'), /web page/],
      ['nograph', Buffer.from([0x08, 0x07]), /no graph/],
    ];
    for (const [name, bytes, why] of cases) {
      expect(await onnxBytesProblem(bytes), name).toMatch(why);
      const copy = path.join(dir, `broken-${name}`);
      await cp(models, copy, { recursive: true });
      await writeFile(path.join(copy, ...modelId.split('/'), 'onnx', 'model_quantized.onnx'), bytes);
      const loaded = await loadEmbedder(testSettings({ MODEL_DIR: copy, EMBEDDING_MODEL: modelId }));
      expect('error' in loaded && loaded.error, name).toMatch(new RegExp(`could not be loaded \\([^)]*${why.source}`));
    }
  });
});
