/**
 * Child process of Reindexer: builds the configured corpus (plus the sources kept from chat, minus
 * the removed articles) into INDEX_DIR with the core's buildIndex — an update in place when the
 * index exists, which locks the folder and commits atomically — reporting over IPC. Its one
 * argument is the ReindexJob as JSON.
 */
import { corpusPaths, loadCoreConfig, storeTarget } from '../config.js';
import { corpusInputs } from '../ingest/kept-sources.js';
import { runIndex } from '../indexer/run.js';
import { IndexBusyError } from '../storage/errors.js';
import { lockSourcesNow } from './sources-lock.js';
import type { ReindexJob, WorkerMessage } from './reindex.js';

const send = (msg: WorkerMessage): Promise<void> =>
  new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });

const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
// The parent going away means nobody waits for the result.
process.on('disconnect', () => controller.abort());

let release: (() => Promise<void>) | undefined;
try {
  const config = loadCoreConfig();
  const job = JSON.parse(process.argv[2] ?? '{}') as ReindexJob;
  // A /reindex must not read a file an admin is adding at this moment (see sources-lock.ts).
  if (!job.underSourcesLock) release = await lockSourcesNow(config.DATA_DIR);
  const inputs = await corpusInputs(corpusPaths(config), config.DATA_DIR);
  const report = await runIndex(storeTarget(config, config.INDEX_DIR), {
    corpus: inputs.corpus,
    exclude: inputs.exclude,
    track: job.track,
    settings: config,
    signal: controller.signal,
    onProgress: (progress) => void send({ type: 'progress', progress }),
  });
  await send({ type: 'done', report });
} catch (err) {
  await send({ type: 'error', message: (err as Error).message, busy: err instanceof IndexBusyError });
  process.exitCode = 1;
} finally {
  await release?.();
}
process.disconnect?.();
