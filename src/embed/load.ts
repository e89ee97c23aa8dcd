import { isMainThread } from 'node:worker_threads';
import { loadLocalEmbedder, type Embedder, type EmbedderSettings } from './embedder.js';
import { loadRemoteEmbedder } from './model-thread.js';

/**
 * Loads the configured embedding model: from MODEL_DIR first, then (if allowed) from the Hub. The
 * main thread runs it itself; a worker thread has it run by the process's model thread
 * (model-thread.ts says why). Never throws for an unavailable model: returns the reason instead,
 * so callers fall back to lexical search.
 */
export function loadEmbedder(settings: EmbedderSettings): Promise<{ embedder: Embedder } | { error: string }> {
  return isMainThread ? loadLocalEmbedder(settings) : loadRemoteEmbedder(settings);
}
