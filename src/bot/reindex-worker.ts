/**
 * Child process of Reindexer: builds the configured corpus into INDEX_DIR with the core's
 * buildIndex (which locks the folder and swaps the new build in atomically), reporting over IPC.
 */
import { corpusPaths, loadCoreConfig, storeTarget } from '../config.js';
import { runIndex } from '../indexer/run.js';
import { IndexBusyError } from '../storage/errors.js';
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
  const report = await runIndex(storeTarget(config, config.INDEX_DIR), {
    corpus: corpusPaths(config),
    settings: config,
    signal: controller.signal,
    onProgress: (progress) => void send({ type: 'progress', progress }),
  });
  await send({ type: 'done', report });
} catch (err) {
  await send({ type: 'error', message: (err as Error).message, busy: err instanceof IndexBusyError });
  process.exitCode = 1;
}
process.disconnect?.();
