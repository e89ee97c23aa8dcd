import path from 'node:path';
import { commandLine } from '../../command-line.js';
import type { Embedder, EmbedderSettings } from '../../embed/embedder.js';
import { loadEmbedder } from '../../embed/load.js';
import { ModelThreadGone } from '../../embed/model-thread.js';
import type { DenseInfo, SearchBackend } from '../../storage/backend.js';
import type { Retriever, Walk } from '../walk.js';

export type DenseSettings = Pick<EmbedderSettings, 'MODEL_DIR' | 'ALLOW_REMOTE_MODELS' | 'MODEL_QUANTIZED' | 'MODEL_LOAD_TIMEOUT_MS' | 'EMBED_THREADS'>;

/**
 * Nearest passages by meaning: embeds the question with the model the index was built with
 * (its pooling and prefixes from the index's metadata) and searches the vector index.
 */
export class DenseRetriever implements Retriever {
  readonly name = 'dense';
  private embedder: Embedder | undefined;
  private loading: Promise<void> | undefined;
  /** Why the model is not available, when it is not. */
  error: string | undefined = 'the embedding model is still loading';

  constructor(
    private readonly backend: SearchBackend,
    private readonly dense: DenseInfo,
    private readonly settings: DenseSettings,
    /** How the model is loaded (embed/load.ts; a test passes its own). */
    private readonly loadModel: typeof loadEmbedder = loadEmbedder,
  ) {}

  /** Loads the model once; resolves when it has loaded or failed. */
  load(): Promise<void> {
    const dense = this.dense;
    this.loading ??= (async () => {
      // A model trained on the corpus lives beside the index (its database file's folder).
      const own = dense.modelDir ? { MODEL_DIR: path.join(path.dirname(this.backend.info.location), dense.modelDir), ALLOW_REMOTE_MODELS: false } : {};
      const loaded = await this.loadModel({ ...this.settings, ...own, EMBEDDING_MODEL: dense.model, EMBEDDING_POOLING: dense.pooling, EMBEDDING_QUERY_PREFIX: dense.queryPrefix });
      if ('error' in loaded) {
        this.error = loaded.error;
      } else if (loaded.embedder.dim !== dense.dim) {
        this.error = `model ${dense.model} gives ${loaded.embedder.dim}-dimensional vectors but the index has ${dense.dim}: rebuild it with \`${commandLine('index', '--rebuild')}\``;
        await loaded.embedder.dispose();
      } else {
        this.embedder = loaded.embedder;
        this.error = undefined;
      }
    })();
    return this.loading;
  }

  available(): boolean {
    return this.embedder !== undefined;
  }

  async retrieve(walk: Walk, limit: number): Promise<Array<{ id: number; score: number; similarity: number }>> {
    const embedder = this.embedder;
    if (!embedder) return [];
    try {
      walk.queryVector = await embedder.embedQuery(walk.question);
    } catch (err) {
      // This question is answered from keywords alone; a model that is gone for good is dropped, so the
      // next ones are too (and status says why).
      if (err instanceof ModelThreadGone) {
        this.embedder = undefined;
        this.error = `the embedding model stopped answering (${err.message}); using keyword search only`;
      }
      return [];
    }
    walk.lap('embed');
    const hits = await this.backend.denseCandidates(walk.queryVector, limit, walk.filter);
    walk.lap('ann');
    return hits.map((h) => ({ id: h.id, score: h.similarity, similarity: h.similarity }));
  }

  async close(): Promise<void> {
    await this.loading;
    const embedder = this.embedder;
    this.embedder = undefined;
    this.error = 'closed';
    await embedder?.dispose();
  }
}
