/**
 * The share of RealtimeQA's train and dev questions whose answer string occurs anywhere in its
 * documents: a loose ceiling for hit@k (BENCHMARKS.md, session 11). Reads the corpus file that
 * `npm run eval` writes (.cache/rtqa/realtimeqa-2022.jsonl).
 *   npx tsx bench/rtqa-reach.ts [CORPUS.jsonl]
 */
import { readFileSync } from 'node:fs';
import { containsAnswer } from '../eval/metrics.js';
import { DEFAULT_RTQA_DIR, loadRealtimeQa, weekSplits } from '../eval/realtimeqa-data.js';

const file = process.argv[2] ?? '.cache/rtqa/realtimeqa-2022.jsonl';
const docs = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const d = JSON.parse(line) as { title: string; text: string };
    return `${d.title}\n${d.text}`;
  });
const weeks = weekSplits((await loadRealtimeQa(DEFAULT_RTQA_DIR)).questions);
// Test weeks are never read here.
for (const [name, questions] of [['train', weeks.train], ['dev', weeks.dev]] as const) {
  const reach = questions.filter((q) => docs.some((d) => containsAnswer(d, q.answers))).length;
  console.log(`${name}: ${questions.length} questions, answer string in some document: ${(reach / questions.length).toFixed(3)}`);
}
