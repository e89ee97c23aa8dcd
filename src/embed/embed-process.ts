/**
 * A child process that embeds passages for a build (see process-pool.ts): it loads the model once
 * with one ONNX Runtime thread and answers the parent's requests over the IPC channel, one at a time.
 * It ends when the parent disconnects (the build finished, failed, or the parent died).
 */
import { loadLocalEmbedder, type Embedder, type EmbedderSettings } from './embedder.js';
import type { PoolReply, PoolRequest } from './process-pool.js';

const send = (reply: PoolReply): void => {
  // The parent may have gone meanwhile (a build stopped, a bot shut down): nobody to answer, and we exit on disconnect.
  if (process.connected) process.send?.(reply, undefined, {}, () => undefined);
};
if (!process.send) throw new Error('embed-process.ts runs as a child of a build (process-pool.ts), not on its own.');
process.on('disconnect', () => process.exit(0));

let embedder: Embedder | undefined;
process.on('message', (req: PoolRequest) => {
  void handle(req).then(
    (value) => send({ id: req.id, ok: true, value }),
    (err: unknown) => send({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

async function handle(req: PoolRequest): Promise<unknown> {
  if (req.op === 'load') {
    const loaded = await loadLocalEmbedder(req.settings satisfies EmbedderSettings);
    if ('error' in loaded) throw new Error(loaded.error);
    embedder = loaded.embedder;
    return { modelId: embedder.modelId, dim: embedder.dim, profile: embedder.profile };
  }
  if (!embedder) throw new Error('no model loaded');
  return req.query ? [await embedder.embedQuery(req.texts[0] ?? '')] : embedder.embedPassages(req.texts);
}
