import { parentPort } from 'node:worker_threads';
import { relatedFromIds, type RelatedJob } from './related.js';

/**
 * Learns related words off the main thread (see `RelatedCollector.computeInWorker`): the build goes
 * on merging and writing its keyword index meanwhile. One job per worker.
 */
parentPort?.once('message', (job: RelatedJob) => {
  try {
    const docs: Int32Array[] = [];
    for (let i = 0; i + 1 < job.offsets.length; i++) docs.push(job.ids.subarray(job.offsets[i]!, job.offsets[i + 1]!));
    parentPort!.postMessage({ ok: true, related: relatedFromIds(job.names, docs, job.options) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, message: (err as Error).message });
  }
});
