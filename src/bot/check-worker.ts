/**
 * Worker thread of `checkAttachment`: reads one downloaded file with the ingest loader (the same
 * rules as a build) and posts back what the bot reports. Parsing 10 MB of HTML takes seconds: off
 * the bot's event loop, which must acknowledge every server's interactions within 3 s.
 */
import { niceThisThread } from '../thread.js';
import { parentPort, workerData } from 'node:worker_threads';
import { loadCorpus } from '../ingest/stream.js';
import type { CheckJob, CheckReply } from './attachments.js';

const job = workerData as CheckJob;
// Background work: the bot's main thread, which acknowledges interactions, gets the CPU first.
niceThisThread(10);
let reply: CheckReply;
try {
  const loaded = await loadCorpus([job.file], job.ingest);
  reply = {
    ok: true,
    articleIds: loaded.articles.map((a) => a.id),
    problems: loaded.problems.map((p) => ({ line: p.line, message: p.message, kept: p.kept === true })),
    duplicates: loaded.duplicates,
  };
} catch (err) {
  reply = { ok: false, message: (err as Error).message };
}
parentPort?.postMessage(reply);
