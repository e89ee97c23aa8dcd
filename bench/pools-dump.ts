/**
 * Writes every train and dev question's candidate pool (the ranker's features and whether each
 * candidate holds the answer) as JSONL, for trying other rankers offline (bench/ranker-gbdt.py;
 * BENCHMARKS.md, session 13). Same pools as `npm run train-ranker -- --lexical-only` collects; needs the
 * eval's cached indexes (`npm run eval -- --lexical-only` builds them). Test splits are never read.
 *   npx tsx bench/pools-dump.ts OUT.jsonl
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadCoreConfig } from '../src/config.js';
import { neutralRanker } from '../src/search/ranker/model.js';
import { Searcher, DEFAULT_RANKING } from '../src/search/searcher.js';
import { ensureIndex, readQuestions } from '../eval/evaluate.js';
import { containsAnswer, type EvalQuestion } from '../eval/metrics.js';
import { loadRealtimeQa, weekSplits, writeRtqaCorpus } from '../eval/realtimeqa-data.js';

const config = loadCoreConfig({});
const out: string[] = [];
async function dump(dir: string, src: string, split: string, qs: EvalQuestion[]): Promise<void> {
  const s = await Searcher.open(dir, config, { model: 'never', ranker: neutralRanker(60) }, { ...DEFAULT_RANKING, minConfidence: 0 });
  for (const q of qs) {
    const pool = await s.pool(q.question);
    const c = pool?.candidates ?? [];
    out.push(JSON.stringify({ src, split, id: q.id, un: !!q.unanswerable, x: c.map((x) => x.features.values), y: c.map((x) => (!q.unanswerable && containsAnswer(x.text, q.answers) ? 1 : 0)) }));
  }
  await s.close();
}
const own = await ensureIndex({ corpus: ['../shared/corpus/news-2022.jsonl', 'corpus'], lexicalOnly: true, config }, console.error);
for (const split of ['train', 'dev']) {
  const qs = [...(await readQuestions(`eval/questions/hard/${split}.jsonl`)), ...(await readQuestions(`eval/questions/unanswerable/${split}.jsonl`))];
  await dump(own, 'own', split, qs);
}
const rtqa = await loadRealtimeQa();
const w = weekSplits(rtqa.questions);
const rdir = await ensureIndex({ corpus: [await writeRtqaCorpus(rtqa, path.join('.cache', 'rtqa'))], lexicalOnly: true, config }, console.error);
await dump(rdir, 'rtqa', 'train', w.train);
await dump(rdir, 'rtqa', 'dev', w.dev);
writeFileSync(process.argv[2] ?? 'pools.jsonl', `${out.join('\n')}\n`);
console.log(out.length);
