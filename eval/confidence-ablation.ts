import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { refusedByRule } from '../src/search/postprocess/abstain.js';
import { yearAfterCorpus } from '../src/search/postprocess/after-corpus.js';
import { confidenceInputs } from '../src/search/ranker/confidence-inputs.js';
import { asksAdvice } from '../src/search/ranker/evidence.js';
import { PASSAGE_FEATURES } from '../src/search/ranker/features.js';
import { CONFIDENCE_FEATURES, CONFIDENCE_SIGNS, LinearModel, loadRanker, neutralRanker } from '../src/search/ranker/model.js';
import { DEFAULT_RANKING, Searcher } from '../src/search/searcher.js';
import { ensureIndex, readQuestions } from './evaluate.js';
import { CANDIDATE_FEATURES, CANDIDATE_SIGNS, candidateEvidence } from './evidence-candidates.js';
import { DEFAULT_TRAIN, trainLogistic } from './learn.js';
import { containsAnswer } from './metrics.js';

/**
 * `npx tsx eval/confidence-ablation.ts --lexical-only`: what each evidence feature buys the confidence
 * model on dev. Collects train and dev candidate pools once, ranks them with the committed passage
 * model, then fits the sign-constrained confidence model (as `npm run train-ranker` does) on the
 * shipped features, each shipped feature left out, and each measured candidate added; reports dev
 * ROC AUC (answerable vs unanswerable, the search's refusal rules applied) and the share of unanswerable dev
 * questions refused at the threshold that keeps dev false refusals within --max-false-refusal.
 * The last line (`ceiling`) is not a model to ship: a regularised linear logistic model over every number
 * computed about the top answer, fitted on dev itself without sign constraints and judged on the same dev.
 */
loadDotenv();
const opts = new Command()
  .option('--train <file>', 'training questions', 'eval/questions/hard/train.jsonl')
  .option('--dev <file>', 'questions to judge on', 'eval/questions/hard/dev.jsonl')
  .option('--corpus <path...>', 'corpus files or folders', ['../shared/corpus/news-2022.jsonl', 'corpus'])
  .option('--index <dir>', 'index folder (default: the eval cache for this corpus)')
  .option('--lexical-only', 'keyword retrieval alone')
  .option('--max-false-refusal <share>', 'dev false-refusal budget', Number, 0.04)
  .parse()
  .opts<{ train: string; dev: string; corpus: string[]; index?: string; lexicalOnly?: boolean; maxFalseRefusal: number }>();

interface Row {
  unanswerable: boolean;
  found: boolean;
  /** Refused by the search's rules (coverage floors, years after the corpus) whatever the model says. */
  ruled: boolean;
  x: Record<string, number>;
}

const config = loadCoreConfig();
const dir = await ensureIndex({ index: opts.index, corpus: opts.corpus, lexicalOnly: opts.lexicalOnly, config }, (l) => process.stderr.write(`${l}\n`));
const ranker = loadRanker();
const searcher = await Searcher.open(dir, config, { model: opts.lexicalOnly ? 'never' : 'await', ranker: neutralRanker(60) }, { ...DEFAULT_RANKING, minConfidence: 0 });

async function rows(file: string): Promise<Row[]> {
  const out: Row[] = [];
  for (const q of await readQuestions(file)) {
    const pool = await searcher.pool(q.question);
    if (!pool || pool.candidates.length === 0) continue;
    const scored = pool.candidates.map((c, i) => ({ c, i, score: i < ranker.depth ? ranker.passage.score(c.features.values) : Number.NEGATIVE_INFINITY }));
    scored.sort((a, b) => b.score - a.score || a.i - b.i);
    const order = scored.map((s) => s.c);
    const top = order[0]!.features.values;
    const x: Record<string, number> = Object.fromEntries(PASSAGE_FEATURES.map((f, i) => [f, top[i]!]));
    // The shipped confidence inputs exactly as the search computes them.
    const shipped = confidenceInputs(pool.info, { features: top, similarity: x.similarity!, text: order[0]!.text }, order);
    CONFIDENCE_FEATURES.forEach((f, i) => {
      x[f] = shipped[i]!;
    });
    x.bestQuote = Math.max(0, ...order[0]!.features.sentences.map((s) => ranker.sentence.probability(s.features)));
    Object.assign(x, candidateEvidence(pool.info, order, scored.map((s) => s.score)));
    const found = !q.unanswerable && order.slice(0, 5).some((c) => containsAnswer(c.text, q.answers));
    const year = yearAfterCorpus(q.question, searcher.info.newestDate);
    const afterCorpus = year === undefined ? undefined : { year, newestDate: searcher.info.newestDate! };
    const ruled = refusedByRule({ coverage: x.coverAll!, advice: asksAdvice(q.question) || undefined, afterCorpus });
    out.push({ unanswerable: q.unanswerable === true, found, ruled, x });
  }
  return out;
}
const train = await rows(opts.train);
const dev = await rows(opts.dev);
await searcher.close();

const SIGNS: Record<string, number> = { ...CONFIDENCE_SIGNS, ...CANDIDATE_SIGNS, bestQuote: 1 };
function judge(names: string[], ceiling = false): { auc: number; refused: number; falseRefusals: number; weights: number[] } {
  // The ceiling fits on dev itself, every answerable question, no sign constraints: what a regularised linear model of these inputs reaches on the questions it was fitted on.
  const fit = ceiling ? dev : train.filter((r) => r.unanswerable || r.found);
  const w = trainLogistic(
    fit.map((r) => names.map((n) => r.x[n]!)),
    fit.map((r) => (r.unanswerable ? 0 : 1)),
    names,
    ceiling ? { ...DEFAULT_TRAIN, epochs: 3000 } : DEFAULT_TRAIN,
    names.map((n) => (ceiling ? 0 : (SIGNS[n] ?? 0))),
  );
  const model = new LinearModel(w);
  const p = (r: Row): number => (r.ruled ? -1 : model.probability(names.map((n) => r.x[n]!)));
  const ans = dev.filter((r) => !r.unanswerable).map(p);
  const un = dev.filter((r) => r.unanswerable).map(p);
  let pairs = 0;
  for (const a of ans) for (const u of un) pairs += a > u ? 1 : a === u ? 0.5 : 0;
  let best = { refused: 0, falseRefusals: 0 };
  for (const t of [...new Set([...ans, ...un])].sort((a, b) => a - b)) {
    const falseRefusals = ans.filter((v) => v < t).length / ans.length;
    if (falseRefusals > opts.maxFalseRefusal) break;
    const refused = un.filter((v) => v < t).length / un.length;
    if (refused > best.refused) best = { refused, falseRefusals };
  }
  return { auc: pairs / (ans.length * un.length), ...best, weights: w.weights };
}

const shipped = [...CONFIDENCE_FEATURES] as string[];
const line = (label: string, names: string[], show?: string, ceiling = false): void => {
  const r = judge(names, ceiling);
  const weight = show ? `  weight ${r.weights[names.indexOf(show)]!.toFixed(3)}` : '';
  process.stdout.write(`${label.padEnd(30)} dev AUC ${r.auc.toFixed(3)}  refused ${r.refused.toFixed(3)} at false refusals ${r.falseRefusals.toFixed(3)}${weight}\n`);
};
process.stdout.write(`${train.length} train, ${dev.length} dev questions with results; dev false-refusal budget ${opts.maxFalseRefusal}\n`);
line('shipped features', shipped);
for (const f of shipped) if (f !== 'similarity') line(`  without ${f}`, shipped.filter((n) => n !== f));
for (const f of [...CANDIDATE_FEATURES, 'bestQuote']) line(`  with ${f}`, [...shipped, f], f);
line('  with every candidate', [...shipped, ...CANDIDATE_FEATURES]);
// Every number we have about the top answer (passage features, shipped and candidate evidence), fitted on dev itself.
const everything = [...new Set([...Object.keys(dev[0]?.x ?? {})])];
line('ceiling: all, fitted on dev', everything, undefined, true);
// Which way each feature leans: its mean over unanswerable questions vs answerable ones whose answer is in the top 5.
const mean = (rows: Row[], f: string): string => (rows.reduce((s, r) => s + r.x[f]!, 0) / Math.max(1, rows.length)).toFixed(3);
for (const f of ['topicShare', 'unitNear', ...CANDIDATE_FEATURES, 'bestQuote']) {
  const cells = [train, dev].map((set) => `${mean(set.filter((r) => r.unanswerable), f)} / ${mean(set.filter((r) => r.found), f)}`);
  process.stdout.write(`mean ${f.padEnd(14)} unanswerable / answered: train ${cells[0]}, dev ${cells[1]}\n`);
}
