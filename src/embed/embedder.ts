import path from 'node:path';
import type { CoreConfig } from '../config.js';
import { modelProfile, type ModelProfile } from './models.js';

/** Turns passages and questions into unit-length vectors with one sentence-embedding model. */
export interface Embedder {
  modelId: string;
  dim: number;
  profile: ModelProfile;
  embedPassages(texts: string[]): Promise<Float32Array[]>;
  embedQuery(text: string): Promise<Float32Array>;
}

export type EmbedderSettings = Pick<
  CoreConfig,
  'EMBEDDING_MODEL' | 'MODEL_DIR' | 'ALLOW_REMOTE_MODELS' | 'MODEL_QUANTIZED' | 'MODEL_LOAD_TIMEOUT_MS'
> &
  Partial<Pick<CoreConfig, 'EMBEDDING_POOLING' | 'EMBEDDING_QUERY_PREFIX'>>;

/** The slice of Transformers.js's feature-extraction pipeline we use. */
interface TensorLike {
  data: ArrayLike<number>;
  dims: number[];
}
type Extractor = ((texts: string[], options: { pooling: 'mean' | 'cls'; normalize: boolean }) => Promise<TensorLike>) & {
  dispose?: () => Promise<void>;
};

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
 * Loads the configured model through Transformers.js: from MODEL_DIR first, then (if allowed)
 * from the Hub, caching downloads into MODEL_DIR so the next start works offline.
 * Never throws for an unavailable model: returns the reason instead, so callers fall back to lexical search.
 */
export async function loadEmbedder(settings: EmbedderSettings): Promise<{ embedder: Embedder } | { error: string }> {
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
    const loading = pipeline('feature-extraction', settings.EMBEDDING_MODEL, { quantized: settings.MODEL_QUANTIZED });
    // A load we stop waiting for may still reject later: keep that from becoming an unhandled rejection.
    loading.catch(() => undefined);
    extractor = (await timeout(loading, settings.MODEL_LOAD_TIMEOUT_MS, 'loading the model')) as unknown as Extractor;
  } catch (err) {
    return { error: modelUnavailableMessage(settings, firstLine(err)) };
  }

  const run = async (texts: string[]): Promise<Float32Array[]> => {
    const output = await extractor(texts, { pooling: profile.pooling, normalize: true });
    const [n, dim] = output.dims as [number, number];
    const data = Float32Array.from(output.data);
    return Array.from({ length: n }, (_, i) => data.slice(i * dim, (i + 1) * dim));
  };

  let probe: Float32Array[];
  try {
    probe = await run(['dimension probe']);
  } catch (err) {
    return { error: modelUnavailableMessage(settings, `the model failed on a test input: ${firstLine(err)}`) };
  }
  return {
    embedder: {
      modelId: settings.EMBEDDING_MODEL,
      dim: probe[0]!.length,
      profile,
      embedPassages: (texts) => run(texts.map((t) => profile.passagePrefix + t)),
      embedQuery: async (text) => (await run([profile.queryPrefix + text]))[0]!,
    },
  };
}
