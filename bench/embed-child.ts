/**
 * Child process of the model bench: loads a model through loadEmbedder (the code that loads the real
 * one), embeds a passage sample in batches, times distinct questions, and prints one JSON line.
 * Usage: tsx bench/embed-child.ts SAMPLE.json (from bench/model.ts: { passages: string[], questions: string[] })
 * Settings come from the environment as everywhere (MODEL_DIR, EMBEDDING_MODEL, MODEL_QUANTIZED,
 * EMBED_BATCH_SIZE, EMBED_THREADS); BENCH_ORDER=input embeds in corpus order (no length buckets).
 */
import { readFile } from 'node:fs/promises';
import { loadCoreConfig } from '../src/config.js';
import { embedByLength } from '../src/embed/batches.js';
import { loadEmbedder } from '../src/embed/load.js';
import { distribution } from './stats.js';

const sample = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as { passages: string[]; questions: string[] };
const settings = loadCoreConfig();
const rssBefore = process.memoryUsage().rss;
let started = performance.now();
const loaded = await loadEmbedder(settings);
if ('error' in loaded) throw new Error(loaded.error);
const { embedder } = loaded;
const loadMs = performance.now() - started;
const rssLoaded = process.memoryUsage().rss;

const batch = settings.EMBED_BATCH_SIZE;
// CPU time (all of ONNX Runtime's threads) beside wall time: on a shared machine it is the steadier figure.
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let cpuStart = cpu();
started = performance.now();
if (process.env.BENCH_ORDER === 'input') {
  for (let b = 0; b < sample.passages.length; b += batch) await embedder.embedPassages(sample.passages.slice(b, b + batch));
} else {
  await embedByLength(embedder, sample.passages, batch);
}
const embedMs = performance.now() - started;
const embedCpuMs = cpu() - cpuStart;
const rssEmbedding = process.memoryUsage().rss;

// Distinct questions (the cache never hits), one warm-up first; then the same ones again (all hits).
await embedder.embedQuery('warm-up question about nothing in particular');
const took: number[] = [];
cpuStart = cpu();
for (const q of sample.questions) {
  const t = performance.now();
  await embedder.embedQuery(q);
  took.push(performance.now() - t);
}
const queryCpuMs = (cpu() - cpuStart) / Math.max(1, sample.questions.length);
const repeated: number[] = [];
for (const q of sample.questions) {
  const t = performance.now();
  await embedder.embedQuery(q);
  repeated.push(performance.now() - t);
}
await embedder.dispose();
const mb = (b: number): number => Math.round(b / 2 ** 20);
process.stdout.write(
  `${JSON.stringify({
    loadMs: Math.round(loadMs),
    passages: sample.passages.length,
    embedMs: Math.round(embedMs),
    passagesPerSecond: Math.round((sample.passages.length / embedMs) * 10000) / 10,
    cpuMsPerPassage: Math.round(embedCpuMs / sample.passages.length),
    queryCpuMs: Math.round(queryCpuMs * 10) / 10,
    queryMs: distribution(took),
    repeatedQueryMs: distribution(repeated),
    rssMB: { beforeLoad: mb(rssBefore), loaded: mb(rssLoaded), embedding: mb(rssEmbedding), peak: Math.round(process.resourceUsage().maxRSS / 1024) },
  })}\n`,
);
