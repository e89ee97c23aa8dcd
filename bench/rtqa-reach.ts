/**
 * How far RealtimeQA's hit@k can go, from the data alone (BENCHMARKS.md, sessions 11 and 13): the share
 * of train and dev questions whose answer string occurs (a) anywhere in the corpus, a loose ceiling that
 * counts coincidences ("Republican Party" in any political story), and (b) in one of the documents the
 * dataset gives that question (its gold article or its search results), the tighter one: a quiz answer
 * phrased unlike the article ("8bn" for "8 billion", "A worm") is found by no retrieval.
 * With `--outcomes FILE` (`npm run eval -- --json FILE`) it also reports hit@1/5 and MRR@10 over the
 * questions of (b) alone. Reads the corpus file `npm run eval` writes (.cache/rtqa/realtimeqa-2022.jsonl).
 *   npx tsx bench/rtqa-reach.ts [--corpus CORPUS.jsonl] [--outcomes EVAL.json]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { containsAnswer, type QuestionOutcome } from '../eval/metrics.js';
import { DEFAULT_RTQA_DIR, loadRealtimeQa, weekSplits } from '../eval/realtimeqa-data.js';

const { values } = parseArgs({ options: { corpus: { type: 'string', default: '.cache/rtqa/realtimeqa-2022.jsonl' }, outcomes: { type: 'string' } } });
const docs = new Map(
  readFileSync(values.corpus!, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const d = JSON.parse(line) as { id: string; title: string; text: string };
      return [d.id, `${d.title}\n${d.text}`] as const;
    }),
);
const set = await loadRealtimeQa(DEFAULT_RTQA_DIR);
const weeks = weekSplits(set.questions);
const outcomes = new Map<string, QuestionOutcome>();
if (values.outcomes) {
  const report = JSON.parse(readFileSync(values.outcomes, 'utf8')) as { sets: Array<{ name: string; outcomes?: QuestionOutcome[] }> };
  for (const s of report.sets.filter((s) => s.name.startsWith('RealtimeQA'))) for (const o of s.outcomes ?? []) outcomes.set(o.id, o);
}
const share = (n: number, of: number): string => (of ? n / of : 0).toFixed(3);
const texts = [...docs.values()];
// Test weeks are never read here.
for (const [name, questions] of [['train', weeks.train], ['dev', weeks.dev]] as const) {
  const anywhere = questions.filter((q) => texts.some((d) => containsAnswer(d, q.answers))).length;
  const reachable = questions.filter((q) => (set.documentsOf.get(q.id) ?? []).some((id) => containsAnswer(docs.get(id) ?? '', q.answers)));
  console.log(
    `${name}: ${questions.length} questions; answer string anywhere in the corpus ${share(anywhere, questions.length)}, ` +
      `in one of the question's own documents ${share(reachable.length, questions.length)}`,
  );
  const judged = reachable.map((q) => outcomes.get(q.id)).filter((o) => o !== undefined);
  if (judged.length === 0) continue;
  const hitAt = (k: number): string => share(judged.filter((o) => o.hitRank !== undefined && o.hitRank <= k).length, judged.length);
  const mrr = judged.reduce((sum, o) => sum + (o.hitRank !== undefined && o.hitRank <= 10 ? 1 / o.hitRank : 0), 0) / judged.length;
  console.log(`  over those ${judged.length}: hit@1 ${hitAt(1)}, hit@5 ${hitAt(5)}, hit@10 ${hitAt(10)}, MRR@10 ${mrr.toFixed(3)}`);
}
