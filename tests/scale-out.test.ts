/**
 * scaleOut (src/embed/process-pool.ts) with embedByLength (src/embed/batches.ts): a build embeds in
 * its own process until it has asked for more than the threshold, then in the started processes,
 * with more batches in flight; a failed start leaves the first embedder in charge. The embedders
 * here are small stand-ins that encode each text's length, so every vector's place can be checked.
 */
import { describe, expect, it } from 'vitest';
import { embedByLength } from '../src/embed/batches.js';
import type { Embedder } from '../src/embed/embedder.js';
import { scaleOut } from '../src/embed/process-pool.js';

interface Counting extends Embedder {
  calls: number;
  passages: number;
  disposed: number;
  maxInFlight: number;
}

function counting(parallel: number, fail = false): Counting {
  let inFlight = 0;
  const e: Counting = {
    modelId: 'made-up/model',
    dim: 1,
    profile: { pooling: 'mean', queryPrefix: '' } as Embedder['profile'],
    parallel,
    calls: 0,
    passages: 0,
    disposed: 0,
    maxInFlight: 0,
    async embedPassages(texts) {
      if (e.disposed) throw new Error('used after dispose');
      e.calls++;
      e.passages += texts.length;
      inFlight++;
      e.maxInFlight = Math.max(e.maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      if (fail) throw new Error('the model process died');
      return texts.map((t) => Float32Array.of(t.length));
    },
    async embedQuery(text) {
      return Float32Array.of(text.length);
    },
    async dispose() {
      e.disposed++;
    },
  };
  return e;
}

const texts = Array.from({ length: 300 }, (_, i) => 'w'.repeat(1 + ((i * 37) % 250)));

describe('scaleOut', () => {
  it('a small job never starts the processes', async () => {
    const first = counting(1);
    let starts = 0;
    const e = scaleOut(first, async () => {
      starts++;
      return { embedder: counting(2) };
    }, 512);
    const out = await embedByLength(e, texts, 4);
    expect(starts).toBe(0);
    expect(first.passages).toBe(300);
    expect(out.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    await e.dispose();
    expect(first.disposed).toBe(1);
  });

  it('past the threshold the processes take over with more batches in flight, and the first model is freed once', async () => {
    const first = counting(1);
    const pool = counting(2);
    let starts = 0;
    const e = scaleOut(first, async () => {
      starts++;
      return { embedder: pool };
    }, 40);
    const out = await embedByLength(e, texts, 4);
    expect(starts).toBe(1);
    expect(first.passages).toBeLessThanOrEqual(44);
    expect(pool.passages).toBe(300 - first.passages);
    expect(pool.maxInFlight).toBe(2);
    expect(e.parallel).toBe(2);
    expect(first.disposed).toBe(1);
    expect(out.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    await e.dispose();
    expect(first.disposed).toBe(1);
    expect(pool.disposed).toBe(1);
  });

  it('processes that fail to start leave this process embedding everything', async () => {
    const first = counting(1);
    const e = scaleOut(first, async () => ({ error: 'no model in MODEL_DIR' }), 40);
    const out = await embedByLength(e, texts, 4);
    expect(first.passages).toBe(300);
    expect(e.parallel).toBe(1);
    expect(out.map((v) => v[0])).toEqual(texts.map((t) => t.length));
  });

  it('a failing process fails the whole job with its error, after the batches in flight', async () => {
    const e = scaleOut(counting(1), async () => ({ embedder: counting(2, true) }), 40);
    await expect(embedByLength(e, texts, 4)).rejects.toThrow('the model process died');
  });
});
