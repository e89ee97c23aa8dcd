/**
 * When the model thread is gone, nothing waits for it: a request under way and every later one fail
 * at once, and a search answers from keywords (the dense retriever drops the model and says why).
 * The model thread's side of the port is played by the test.
 */
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import type { Embedder } from '../src/embed/embedder.js';
import { loadRemoteEmbedder, ModelThreadGone, useModelPort, type ModelReply, type ModelRequest } from '../src/embed/model-thread.js';
import { DenseRetriever } from '../src/search/retrievers/dense.js';
import type { Walk } from '../src/search/walk.js';
import type { DenseInfo, SearchBackend } from '../src/storage/backend.js';

const PROFILE = { pooling: 'cls' as const, queryPrefix: '', passagePrefix: '' };

describe('the model thread’s client', () => {
  it('loads and embeds over its port; once the port closes, a pending request and every later one fail at once', async () => {
    const { port1, port2 } = new MessageChannel();
    let held: ModelRequest | undefined;
    port2.on('message', (req: ModelRequest) => {
      if (req.op === 'load') port2.postMessage({ id: req.id, ok: true, value: { handle: 7, modelId: 'test/m', dim: 2, profile: PROFILE } } satisfies ModelReply);
      else if (req.op === 'embed' && req.texts[0] === 'hold') held = req;
      else if (req.op === 'embed') port2.postMessage({ id: req.id, ok: true, value: req.texts.map(() => new Float32Array([1, 0])) } satisfies ModelReply);
    });
    useModelPort(port1);
    const loaded = await loadRemoteEmbedder({ EMBEDDING_MODEL: 'test/m', MODEL_DIR: '/none', ALLOW_REMOTE_MODELS: false, MODEL_QUANTIZED: true, MODEL_LOAD_TIMEOUT_MS: 1000 });
    if ('error' in loaded) throw new Error(loaded.error);
    expect(loaded.embedder).toMatchObject({ modelId: 'test/m', dim: 2 });
    expect(Array.from(await loaded.embedder.embedQuery('a question'))).toEqual([1, 0]);
    const pending = loaded.embedder.embedQuery('hold');
    await expect.poll(() => held).toBeDefined();
    port2.close();
    await expect(pending).rejects.toBeInstanceOf(ModelThreadGone);
    await expect(loaded.embedder.embedPassages(['later'])).rejects.toBeInstanceOf(ModelThreadGone);
  });
});

describe('DenseRetriever when its model fails', () => {
  const backend = { info: { location: '/index/db' }, denseCandidates: async () => [{ id: 1, similarity: 0.9 }] } as unknown as SearchBackend;
  const dense = { status: 'ok', model: 'test/m', dim: 2, pooling: 'cls' } as unknown as DenseInfo;
  const walk = (): Walk => ({ question: 'q', lap: () => undefined }) as unknown as Walk;
  const retriever = (embedQuery: Embedder['embedQuery']) =>
    new DenseRetriever(backend, dense, { MODEL_DIR: '/none', ALLOW_REMOTE_MODELS: false, MODEL_QUANTIZED: true, MODEL_LOAD_TIMEOUT_MS: 1000 }, async () => ({
      embedder: { modelId: 'test/m', dim: 2, profile: PROFILE, embedQuery, embedPassages: async () => [], dispose: async () => undefined },
    }));

  it('answers a question whose embedding failed from keywords, and keeps the model', async () => {
    let calls = 0;
    const r = retriever(async () => {
      calls++;
      if (calls === 1) throw new Error('one bad input');
      return new Float32Array([1, 0]);
    });
    await r.load();
    expect(await r.retrieve(walk(), 5)).toEqual([]);
    expect(r.available()).toBe(true);
    expect(await r.retrieve(walk(), 5)).toEqual([{ id: 1, score: 0.9, similarity: 0.9 }]);
  });

  it('drops a model whose thread is gone and says why', async () => {
    const r = retriever(async () => {
      throw new ModelThreadGone();
    });
    await r.load();
    expect(await r.retrieve(walk(), 5)).toEqual([]);
    expect(r.available()).toBe(false);
    expect(r.error).toMatch(/stopped answering.*keyword search only/);
  });
});
