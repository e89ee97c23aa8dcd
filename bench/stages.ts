/**
 * Time per stage of answering (plan, keyword search, fusion, the learned ranker, diversify, abstain,
 * quote), over the hard question sets, on an existing index:
 *
 *   npx tsx bench/stages.ts INDEX_DIR [QUESTIONS.jsonl ...] [--set key=value ...]
 *
 * Two passes (the first warms caches); prints p50 / p95 / p99 in ms per stage from `Answer.timings`.
 */
import { readFileSync } from 'node:fs';
import { loadCoreConfig } from '../src/config.js';
import { openSearcher } from '../src/open.js';
import { DEFAULT_RANKING } from '../src/search/searcher.js';
import { parseOverrides } from '../eval/evaluate.js';
import { percentile } from './stats.js';

const args = process.argv.slice(2);
const sets = args.flatMap((a, i) => (args[i - 1] === '--set' ? [a] : []));
const [dir, ...files] = args.filter((a, i) => a !== '--set' && args[i - 1] !== '--set');
if (!dir) {
  process.stderr.write('usage: npx tsx bench/stages.ts INDEX_DIR [QUESTIONS.jsonl ...]\n');
  process.exit(2);
}
const questionFiles = files.length ? files : ['train', 'dev'].map((s) => `eval/questions/hard/${s}.jsonl`);
const questions = questionFiles.flatMap((f) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => (JSON.parse(l) as { question: string }).question),
);
const searcher = await openSearcher(loadCoreConfig(), dir, { model: 'never' }, { ...DEFAULT_RANKING, ...parseOverrides(sets) });
const stages = new Map<string, number[]>();
for (let pass = 0; pass < 2; pass++) {
  for (const q of questions) {
    const answer = await searcher.ask(q, { k: 5, evenIfUnsure: true });
    if (pass === 0) continue;
    for (const [stage, ms] of Object.entries({ ...answer.timings, total: answer.tookMs })) {
      const list = stages.get(stage) ?? [];
      list.push(ms);
      stages.set(stage, list);
    }
  }
}
await searcher.close();
process.stdout.write(`${questions.length} questions, ${searcher.info.passages} passages (${searcher.mode})\n`);
for (const [stage, ms] of stages) {
  const p = (q: number): string => percentile(ms, q).toFixed(2);
  process.stdout.write(`${stage.padEnd(8)} p50 ${p(50)}  p95 ${p(95)}  p99 ${p(99)}\n`);
}
