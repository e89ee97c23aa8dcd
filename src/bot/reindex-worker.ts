/**
 * Child process of Reindexer: builds the configured corpus into INDEX_DIR with the core's
 * buildIndex (which locks the folder and swaps the new build in atomically), reporting over IPC.
 */
import { corpusPaths, loadCoreConfig } from '../config.js';
import { buildIndex } from '../indexer/build.js';
import type { WorkerMessage } from './reindex.js';

const send = (msg: WorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });

const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
// The parent going away means nobody waits for the result.
process.on('disconnect', () => controller.abort());

try {
  const config = loadCoreConfig();
  const report = await buildIndex({
    corpus: corpusPaths(config),
    out: config.INDEX_DIR,
    settings: config,
    signal: controller.signal,
    onProgress: (progress) => void send({ type: 'progress', progress }),
  });
  await send({ type: 'done', report });
} catch (err) {
  await send({ type: 'error', message: (err as Error).message });
  process.exitCode = 1;
}
process.disconnect?.();
