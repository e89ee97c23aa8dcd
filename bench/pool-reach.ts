/**
 * Where the answer passage sits among the candidates the ranker sees (BENCHMARKS.md, session 15): for
 * each answerable question of a split, the rank of the first candidate holding a gold answer string, or
 * "not in pool". Tells a retrieval miss (no candidate holds it) from a ranking miss (it is there, low).
 * Train and dev splits only: never point it at a test split.
 *   npx tsx bench/pool-reach.ts INDEX_DIR eval/questions/hard/train.jsonl
 */
import { readFileSync } from 'node:fs';
import { containsAnswer } from '../eval/metrics.js';
import { loadCoreConfig } from '../src/config.js';
import { openSearcher } from '../src/open.js';

const [dir, file] = process.argv.slice(2);
if (!dir || !file || /test/.test(file)) {
  console.error('usage: npx tsx bench/pool-reach.ts INDEX_DIR TRAIN_OR_DEV.jsonl');
  process.exit(2);
}
const searcher = await openSearcher(loadCoreConfig({ ...process.env, ALLOW_REMOTE_MODELS: 'false' }), dir, { model: 'never' });
const questions = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { id: string; question: string; answers?: string[]; unanswerable?: boolean })
  .filter((q) => !q.unanswerable && q.answers?.length);
const buckets = new Map<string, number>();
let candidates = 0;
for (const q of questions) {
  const pool = (await searcher.pool(q.question))?.candidates ?? [];
  candidates += pool.length;
  const r = pool.findIndex((c) => containsAnswer(c.text, q.answers!));
  const bucket = r < 0 ? 'not in pool' : r < 5 ? '1-5' : r < 10 ? '6-10' : r < 20 ? '11-20' : r < 50 ? '21-50' : '51+';
  buckets.set(bucket, (buckets.get(bucket) ?? 0) + 1);
}
console.log(JSON.stringify({ questions: questions.length, meanPool: Math.round(candidates / questions.length), ranks: Object.fromEntries(buckets) }));
await searcher.close();
