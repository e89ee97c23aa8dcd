import { stat } from 'node:fs/promises';
import path from 'node:path';
import { LRUCache } from 'lru-cache';
// The session class onnxruntime-node registers its backend with (the copy Transformers.js uses).
// It is CommonJS: the default import is module.exports; the type comes separately.
import ort from 'onnxruntime-common';
import type { InferenceSession } from 'onnxruntime-common';
import type { CoreConfig } from '../config.js';
import { modelProfile, type ModelProfile } from './models.js';
import { onnxFileProblem } from './onnx-check.js';

/** Turns passages and questions into unit-length vectors with one sentence-embedding model. */
export interface Embedder {
  modelId: string;
  dim: number;
  profile: ModelProfile;
  embedPassages(texts: string[]): Promise<Float32Array[]>;
  embedQuery(text: string): Promise<Float32Array>;
  /** How many calls it runs at once (a pool of processes, process-pool.ts); 1 when absent. */
  parallel?: number;
  /** Frees the model's session (the embedder is unusable afterwards). */
  dispose(): Promise<void>;
}

export type EmbedderSettings = Pick<
  CoreConfig,
  'EMBEDDING_MODEL' | 'MODEL_DIR' | 'ALLOW_REMOTE_MODELS' | 'MODEL_QUANTIZED' | 'MODEL_LOAD_TIMEOUT_MS'
> &
  Partial<Pick<CoreConfig, 'EMBEDDING_POOLING' | 'EMBEDDING_QUERY_PREFIX' | 'EMBED_THREADS'>>;

/** Questions asked again (follow-ups, the same question from several users) reuse their vector. */
const QUERY_CACHE_ENTRIES = 512;

/** The slice of Transformers.js's feature-extraction pipeline we use: its tokenizer and model. */
interface TensorLike {
  data: ArrayLike<number | bigint>;
  dims: number[];
}
interface Extractor {
  tokenizer: (texts: string[], options: { padding: boolean; truncation: boolean }) => Record<string, TensorLike> & { attention_mask: TensorLike };
  model: (inputs: Record<string, TensorLike>) => Promise<{ last_hidden_state?: TensorLike; token_embeddings?: TensorLike }>;
  dispose?: () => Promise<unknown>;
}

/**
 * Pools token vectors into one unit-length vector per text. Done here rather than by the pipeline,
 * whose mean pooling converts the attention mask from BigInt for every vector component (9× slower).
 */
export function pool(hidden: TensorLike, mask: TensorLike, pooling: 'mean' | 'cls'): Float32Array[] {
  const [batch, seq, dim] = hidden.dims as [number, number, number];
  const data = hidden.data as Float32Array;
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) {
    const v = new Float32Array(dim);
    const base = b * seq * dim;
    if (pooling === 'cls') {
      v.set(data.subarray(base, base + dim));
    } else {
      let count = 0;
      for (let t = 0; t < seq; t++) {
        if (Number(mask.data[b * seq + t]) === 0) continue;
        count++;
        const row = base + t * dim;
        for (let d = 0; d < dim; d++) v[d]! += data[row + d]!;
      }
      if (count > 0) for (let d = 0; d < dim; d++) v[d]! /= count;
    }
    let norm = 0;
    for (let d = 0; d < dim; d++) norm += v[d]! * v[d]!;
    norm = Math.sqrt(norm) || 1;
    for (let d = 0; d < dim; d++) v[d]! /= norm;
    out.push(v);
  }
  return out;
}

/** Why a model could not be loaded, with what the user can do about it. */
export function modelUnavailableMessage(settings: EmbedderSettings, reason: string): string {
  const local = path.join(settings.MODEL_DIR, settings.EMBEDDING_MODEL);
  const how = settings.ALLOW_REMOTE_MODELS
    ? `put it in ${local} (Transformers.js layout) or make the Hugging Face Hub reachable`
    : `put it in ${local} (Transformers.js layout), or set ALLOW_REMOTE_MODELS=true to download it`;
  return `Embedding model ${settings.EMBEDDING_MODEL} could not be loaded (${reason}); using lexical search only. To enable semantic search, ${how}.`;
}

function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${Math.round(ms / 1000)} s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

function firstLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.split('\n')[0]!.slice(0, 300);
}

/**
 * Runs `load` with ONNX Runtime sessions limited to `threads` intra-op threads (0: its default, one per
 * physical core). Transformers.js 2 passes no session options of its own, so its session factory is
 * wrapped until the load ends (a process loads one model at a time; any other would get the same limit).
 */
async function withIntraOpThreads<T>(threads: number, load: () => Promise<T>): Promise<T> {
  if (threads <= 0) return load();
  const session = ort.InferenceSession as unknown as { create: (model: unknown, options?: InferenceSession.SessionOptions) => Promise<InferenceSession> };
  const create = session.create;
  session.create = (model, options) => create.call(session, model, { ...options, intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    return await load();
  } finally {
    session.create = create;
  }
}

/** Where the configured model's weights are when they are in MODEL_DIR. */
const localModelFile = (settings: EmbedderSettings): string =>
  path.join(settings.MODEL_DIR, ...settings.EMBEDDING_MODEL.split('/'), 'onnx', settings.MODEL_QUANTIZED ? 'model_quantized.onnx' : 'model.onnx');

/** The model's weights are in MODEL_DIR (no download needed to load it). */
export async function modelIsLocal(settings: EmbedderSettings): Promise<boolean> {
  return stat(localModelFile(settings)).then(
    () => true,
    () => false,
  );
}

/** A local weights file that ONNX Runtime would fail to parse (see onnx-check.ts); none: undefined. */
async function localModelProblem(settings: EmbedderSettings): Promise<string | undefined> {
  const file = localModelFile(settings);
  const exists = await modelIsLocal(settings);
  // Not here: Transformers.js downloads it (if allowed) or says it is missing.
  return exists ? onnxFileProblem(file) : undefined;
}

/**
 * Loads the configured model in this thread, through Transformers.js (the main thread and the model
 * thread only: callers use `loadEmbedder`, load.ts): from MODEL_DIR first, then (if allowed) from
 * the Hub, caching downloads into MODEL_DIR so the next start works offline.
 * Never throws for an unavailable model: returns the reason instead, so callers fall back to lexical search.
 */
export async function loadLocalEmbedder(settings: EmbedderSettings): Promise<{ embedder: Embedder } | { error: string }> {
  const { pipeline, env } = await import('@xenova/transformers');
  env.localModelPath = path.resolve(settings.MODEL_DIR) + path.sep;
  env.cacheDir = path.resolve(settings.MODEL_DIR) + path.sep;
  env.allowLocalModels = true;
  env.allowRemoteModels = settings.ALLOW_REMOTE_MODELS;
  const profile = modelProfile(settings.EMBEDDING_MODEL, {
    pooling: settings.EMBEDDING_POOLING,
    queryPrefix: settings.EMBEDDING_QUERY_PREFIX,
  });
  let extractor: Extractor;
  try {
    const loading = (async () => {
      const problem = await localModelProblem(settings);
      if (problem) throw new Error(problem);
      return withIntraOpThreads(settings.EMBED_THREADS ?? 0, () =>
        pipeline('feature-extraction', settings.EMBEDDING_MODEL, { quantized: settings.MODEL_QUANTIZED }),
      );
    })();
    // A load we stop waiting for may still reject later: keep that from becoming an unhandled rejection.
    loading.catch(() => undefined);
    extractor = (await timeout(loading, settings.MODEL_LOAD_TIMEOUT_MS, 'loading the model')) as unknown as Extractor;
  } catch (err) {
    return { error: modelUnavailableMessage(settings, firstLine(err)) };
  }

  const run = async (texts: string[]): Promise<Float32Array[]> => {
    const inputs = extractor.tokenizer(texts, { padding: true, truncation: true });
    const outputs = await extractor.model(inputs);
    const hidden = outputs.last_hidden_state ?? outputs.token_embeddings;
    if (!hidden) throw new Error('the model has no last_hidden_state output');
    return pool(hidden, inputs.attention_mask, profile.pooling);
  };

  let probe: Float32Array[];
  try {
    probe = await run(['dimension probe']);
  } catch (err) {
    return { error: modelUnavailableMessage(settings, `the model failed on a test input: ${firstLine(err)}`) };
  }
  const queries = new LRUCache<string, Float32Array>({ max: QUERY_CACHE_ENTRIES });
  return {
    embedder: {
      modelId: settings.EMBEDDING_MODEL,
      dim: probe[0]!.length,
      profile,
      embedPassages: (texts) => run(texts.map((t) => profile.passagePrefix + t)),
      embedQuery: async (text) => {
        const hit = queries.get(text);
        if (hit) return hit;
        const vector = (await run([profile.queryPrefix + text]))[0]!;
        queries.set(text, vector);
        return vector;
      },
      dispose: async () => {
        await extractor.dispose?.();
      },
    },
  };
}
