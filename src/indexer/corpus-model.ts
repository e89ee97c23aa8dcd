/**
 * The embedding model of an index whose configured model cannot be loaded (an air-gapped install): a
 * small static model trained on the corpus itself (src/embed/train.ts), saved beside the index in the
 * Transformers.js layout (src/embed/static-model.ts) and loaded through the same embedder code as any
 * model. An update in place reuses the model the index was built with; a full build trains a new one.
 *
 *   <index>/models/corpus/static-<hash>/{config.json, tokenizer.json, tokenizer_config.json, onnx/…}
 */
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { chunkArticle, DEFAULT_CHUNK_OPTIONS } from '../chunk.js';
import { loadEmbedder } from '../embed/load.js';
import { writeStaticModel } from '../embed/static-model.js';
import { DEFAULT_TRAIN_OPTIONS, type TrainPassage, trainStaticEmbedding } from '../embed/train.js';
import { newStreamStats, streamCorpus } from '../ingest/stream.js';
import type { DenseInfo, NoDenseInfo } from '../storage/backend.js';
import type { BuildOptions, Embedding } from './options.js';

/** Where trained models live, relative to the index folder (this is the Transformers.js MODEL_DIR for them). */
export const CORPUS_MODELS_DIR = 'models';
const ORG = 'corpus';

/** Training settings (src/embed/train.ts) and 'off': a build without a loadable model stays lexical. Default 'auto'. */
export type { CorpusModelOptions } from './options.js';

/** Whether a model id names a model trained on the corpus (stored beside its index). */
export function isCorpusModel(dense: Pick<DenseInfo, 'modelDir'> | NoDenseInfo | undefined): boolean {
  return dense !== undefined && 'modelDir' in dense && typeof dense.modelDir === 'string';
}

/**
 * The embedding to build with when the configured model failed to load: the base index's corpus
 * model if it has one (an update in place embeds only new passages with it), else one trained now.
 * Returns `embedding` unchanged when a model loaded, the build is lexical-only, or training is off.
 */
export async function withCorpusModel(options: BuildOptions, base: DenseInfo | NoDenseInfo | undefined, embedding: Embedding): Promise<Embedding> {
  const o = options.corpusModel ?? {};
  if (embedding.embedder || options.lexicalOnly || (o.mode ?? options.settings.CORPUS_MODEL) === 'off') return embedding;
  const reason = embedding.modelError ?? 'no model';
  const modelDir = path.join(options.out, CORPUS_MODELS_DIR);
  const settings = { ...options.settings, MODEL_DIR: modelDir, ALLOW_REMOTE_MODELS: false, EMBEDDING_POOLING: 'mean' as const, EMBEDDING_QUERY_PREFIX: '' };

  if (base?.status === 'ok' && base.modelDir && !options.rebuild) {
    const loaded = await loadEmbedder({ ...settings, EMBEDDING_MODEL: base.model });
    if ('embedder' in loaded) return { embedder: loaded.embedder, modelDir: CORPUS_MODELS_DIR };
    // Missing or damaged: a new one is trained (and the index rebuilt with it).
  }

  const say = (message: string, done = 0, total = 0): void => options.onProgress?.({ stage: 'model', done, total, message });
  say(`${reason} Training a small embedding model on the corpus instead.`);
  let passages = 0;
  const started = performance.now();
  let trained: Awaited<ReturnType<typeof trainStaticEmbedding>>;
  try {
    trained = await trainStaticEmbedding(
      corpusPassages(options, () => passages++),
      { ...DEFAULT_TRAIN_OPTIONS, ...o },
      (done, total) => options.onProgress?.({ stage: 'model', done, total }),
    );
  } catch (err) {
    return { modelError: `${reason} No model could be trained on the corpus either: ${(err as Error).message}.` };
  }
  const hash = createHash('sha1').update(trained.tokens.join('\n')).update(new Uint8Array(trained.table.buffer)).digest('hex').slice(0, 12);
  const modelId = `${ORG}/static-${hash}`;
  await removeOtherModels(modelDir, [modelId, ...(base?.status === 'ok' && base.modelDir ? [base.model] : [])]);
  await writeStaticModel(path.join(modelDir, ORG, `static-${hash}`), {
    modelId,
    tokens: trained.tokens,
    table: trained.table,
    dim: trained.dim,
    producer: 'archivist-corpus-model',
    doc: `Static word embeddings trained on the indexed corpus (${passages} passages, ${trained.pairs} pairs per epoch).`,
  });
  const loaded = await loadEmbedder({ ...settings, EMBEDDING_MODEL: modelId });
  if ('error' in loaded) return { modelError: `${reason}; the model trained on the corpus did not load (${loaded.error})` };
  say(`Trained ${modelId} (${trained.tokens.length} words × ${trained.dim}) in ${((performance.now() - started) / 1000).toFixed(1)} s`, 1, 1);
  return { embedder: loaded.embedder, modelDir: CORPUS_MODELS_DIR };
}

/** The corpus's passages as the build will cut them, with their sentences (a cheap split: pairs need no exact sentences). */
export async function* corpusPassages(options: BuildOptions, count: () => void): AsyncGenerator<TrainPassage> {
  const stats = newStreamStats();
  const chunking = options.chunking ?? DEFAULT_CHUNK_OPTIONS;
  let id = 0;
  const ingest = { dateOrder: options.settings.DATE_ORDER, maxArticleChars: options.settings.MAX_ARTICLE_CHARS, exclude: options.exclude };
  for await (const item of streamCorpus(options.corpus, stats, undefined, ingest)) {
    if (item.kind !== 'article') continue;
    for (const c of chunkArticle(item.article, () => id++, chunking)) {
      count();
      yield { title: item.article.title, sentences: c.text.split(/(?<=[.!?]["”’)]?)\s+(?=["“‘(]?[A-Z0-9])/) };
    }
  }
}

/** Removes trained models no index here uses any more (the live index's and the new one stay). */
async function removeOtherModels(modelDir: string, keep: string[]): Promise<void> {
  const names = await readdir(path.join(modelDir, ORG)).catch(() => [] as string[]);
  for (const name of names) if (!keep.includes(`${ORG}/${name}`)) await rm(path.join(modelDir, ORG, name), { recursive: true, force: true });
}
