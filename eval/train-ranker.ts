import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { refusedByRule } from '../src/search/postprocess/abstain.js';
import { confidenceInputs } from '../src/search/ranker/confidence-inputs.js';
import { PASSAGE_FEATURES, SENTENCE_FEATURES } from '../src/search/ranker/features.js';
import { CONFIDENCE_FEATURES, CONFIDENCE_SIGNS, LinearModel, neutralRanker, parseWeights, rankerFrom, type LinearWeights, type RankerWeights } from '../src/search/ranker/model.js';
import { Searcher, DEFAULT_RANKING, type CandidatePool } from '../src/search/searcher.js';
import { ensureIndex, parseOverrides, readQuestions } from './evaluate.js';
import { byQuestion, feedbackGroup, readFeedbackPairs } from './feedback.js';
import { DEFAULT_TRAIN, rounded, trainLogistic, trainPairwise, type Group } from './learn.js';
import { chooseThreshold, containsAnswer, type EvalQuestion } from './metrics.js';
import { DEFAULT_RTQA_DIR, loadRealtimeQa, weekSplits, writeRtqaCorpus } from './realtimeqa-data.js';

/**
 * `npm run train-ranker`: learns the passage ranker, the quote (sentence) model and the confidence
 * model from labelled questions, chooses their settings on the dev questions, and writes the weights
 * file the search loads (default: the committed src/search/ranker/weights.json). Deterministic.
 * By default it learns from our own train split (hard + unanswerable, over news-2022 + the seeds)
 * and RealtimeQA's train weeks (over RealtimeQA's documents), and chooses on both dev splits: the
 * depth and L2 by the mean of their MRR@10, the confidence threshold so that neither refuses more
 * than --max-false-refusal of its answerable questions. Test splits are never read.
 * Retrain on your own questions with --train / --dev (same JSONL as `npm run eval`) and --no-rtqa.
 */
loadDotenv();

/** Our own split: the hard questions, and the unanswerable ones when that file exists. */
function ownSplit(split: 'train' | 'dev'): string[] {
  return [`eval/questions/hard/${split}.jsonl`, `eval/questions/unanswerable/${split}.jsonl`].filter((f) => existsSync(f));
}

const program = new Command()
  .name('npm run train-ranker --')
  .description('Train the learned ranker, quote model and confidence model; writes the weights file.')
  .option('--train <file...>', 'labelled training questions over --corpus (JSONL)', ownSplit('train'))
  .option('--dev <file...>', 'questions over --corpus to choose settings on (JSONL)', ownSplit('dev'))
  .option('--no-rtqa', "leave RealtimeQA's train and dev weeks out (with your own --train/--dev they join only when --rtqa-source is given)")
  .option('--rtqa-source <dir>', 'the past/2022 folder of realtimeqa_public', DEFAULT_RTQA_DIR)
  .option('--corpus <path...>', 'corpus files or folders', ['../shared/corpus/news-2022.jsonl', 'corpus'])
  .option('--index <dir>', 'index folder (default: the eval cache for this corpus)')
  .option('--lexical-only', 'train on keyword retrieval alone even if a model is available')
  .option('--max-false-refusal <share>', 'the dev share of answerable questions the search may refuse (the target: ≤ 5 %)', Number, 0.05)
  .option('--out <file>', 'where to write the weights', 'src/search/ranker/weights.json')
  .option('--feedback <file...>', 'votes from Discord (npm run export-feedback), learned by the passage ranker besides --train')
  .option('--feedback-only', 'learn the passage ranker from --feedback alone; the quote and confidence models and the depth are kept from --base')
  .option('--base <file>', 'with --feedback-only: the weights to keep the other models from', 'src/search/ranker/weights.json')
  .option('--pool-depth <n>', 'candidates collected per question; the ranker depths tried are its thirds', (v) => Number(v), 60)
  .option('--lambda-epochs <n>', 'after the pairwise epochs, this many with LambdaRank pair weights (the top of the list counts most; chosen on dev)', (v) => Number(v), 50)
  .option('--set <key=value...>', `override ranking parameters (${Object.keys(DEFAULT_RANKING).join(', ')}); train and evaluate with the same`)
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  train: string[];
  dev: string[];
  rtqa: boolean;
  rtqaSource: string;
  corpus: string[];
  index?: string;
  lexicalOnly?: boolean;
  maxFalseRefusal: number;
  out: string;
  feedback?: string[];
  feedbackOnly?: boolean;
  base: string;
  poolDepth: number;
  lambdaEpochs: number;
  set?: string[];
}>();
if (opts.feedbackOnly && !opts.feedback?.length) program.error('--feedback-only needs --feedback FILE (written by npm run export-feedback).');

/** Candidates the pools are collected from; each setting then re-ranks the first `depth` of them. */
const POOL_DEPTH = opts.poolDepth;
const DEPTHS = [1, 2, 3].map((third) => Math.round((POOL_DEPTH * third) / 3));
const L2 = [0.001, 0.01, 0.1];
const CONFIDENCE_L2 = 0.01;

interface Labelled {
  q: EvalQuestion;
  pool: CandidatePool | undefined;
  labels: number[];
}

async function collect(searcher: Searcher, questions: readonly EvalQuestion[]): Promise<Labelled[]> {
  const out: Labelled[] = [];
  for (const q of questions) {
    const pool = await searcher.pool(q.question);
    const labels = pool ? pool.candidates.map((c) => (!q.unanswerable && containsAnswer(c.text, q.answers) ? 1 : 0)) : [];
    out.push({ q, pool, labels });
  }
  return out;
}

async function readAll(files: readonly string[]): Promise<EvalQuestion[]> {
  const out: EvalQuestion[] = [];
  for (const file of files) out.push(...(await readQuestions(file)));
  return out;
}

/** One corpus and its questions: ours (news-2022 + seeds), or RealtimeQA's documents. */
interface Source {
  name: string;
  dir: string;
  train: Labelled[];
  dev: Labelled[];
}

/** Voted questions as ranker groups (see eval/feedback.ts for how votes become labels). */
async function collectFeedback(searcher: Searcher, files: string[]): Promise<{ groups: Group[]; questions: number; pairs: number }> {
  const groups: Group[] = [];
  let questions = 0;
  let pairs = 0;
  for (const file of files) {
    const all = await readFeedbackPairs(file);
    pairs += all.length;
    for (const question of byQuestion(all)) {
      questions++;
      const group = feedbackGroup(await searcher.pool(question[0]!.question, question[0]!.filters), question);
      if (group) groups.push(group);
    }
  }
  return { groups, questions, pairs };
}

/** The pool re-ranked by a passage model within `depth` (the fused order after it). */
function rerank(item: Labelled, model: LinearModel, depth: number): Array<{ i: number; score: number }> {
  const n = item.pool?.candidates.length ?? 0;
  const head = Array.from({ length: Math.min(depth, n) }, (_, i) => ({ i, score: model.score(item.pool!.candidates[i]!.features.values) }));
  head.sort((a, b) => b.score - a.score || a.i - b.i);
  const tail = Array.from({ length: Math.max(0, n - depth) }, (_, j) => ({ i: depth + j, score: -Infinity }));
  return [...head, ...tail];
}

function mrr(items: Labelled[], model: LinearModel, depth: number): { mrr: number; hit5: number } {
  const ans = items.filter((x) => !x.q.unanswerable);
  let sum = 0;
  let hit5 = 0;
  for (const item of ans) {
    const rank = rerank(item, model, depth).findIndex((r) => item.labels[r.i] === 1);
    if (rank >= 0 && rank < 10) sum += 1 / (rank + 1);
    if (rank >= 0 && rank < 5) hit5++;
  }
  return { mrr: sum / Math.max(1, ans.length), hit5: hit5 / Math.max(1, ans.length) };
}

/** The confidence model's inputs for a question's top candidate (as Searcher.confidence computes them). */
function confidenceInput(item: Labelled, model: LinearModel, depth: number): { x: number[]; topRight: boolean; top5: boolean } | undefined {
  if (!item.pool || item.pool.candidates.length === 0) return undefined;
  const order = rerank(item, model, depth);
  const top = item.pool.candidates[order[0]!.i]!;
  const similarity = top.features.values[PASSAGE_FEATURES.indexOf('similarity')]!;
  const x = confidenceInputs(item.pool.info, { features: top.features.values, similarity, text: top.text }, order.map((o) => item.pool!.candidates[o.i]!));
  return { x, topRight: item.labels[order[0]!.i] === 1, top5: order.slice(0, 5).some((o) => item.labels[o.i] === 1) };
}

async function main(): Promise<void> {
  const config = loadCoreConfig();
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const dir = await ensureIndex({ index: opts.index, corpus: opts.corpus, lexicalOnly: opts.lexicalOnly, config }, log);
  const searcher = await Searcher.open(dir, config, { model: opts.lexicalOnly ? 'never' : 'await', ranker: neutralRanker(POOL_DEPTH) }, { ...DEFAULT_RANKING, ...parseOverrides(opts.set), minConfidence: 0 });
  log(`Collecting candidate pools (${searcher.mode}, depth ${POOL_DEPTH})…`);
  const feedback = await collectFeedback(searcher, opts.feedback ?? []);
  if (opts.feedback?.length) {
    log(`feedback: ${feedback.pairs} pairs on ${feedback.questions} questions; ${feedback.groups.length} questions have a voted passage among their candidates`);
    if (feedback.groups.length === 0) throw new Error('no voted passage was found among the candidates: check that --corpus / --index is the corpus the bot answers from');
  }
  if (opts.feedbackOnly) {
    // Votes say which passage helped, not which sentence holds the answer or whether the corpus
    // answers at all: only the passage ranker is learned; the rest comes from --base.
    const base = parseWeights(JSON.parse(await readFile(opts.base, 'utf8')), opts.base);
    const passageWeights = trainPairwise(feedback.groups, PASSAGE_FEATURES, DEFAULT_TRAIN);
    const weights: RankerWeights = {
      ...base,
      passage: rounded(passageWeights),
      trainedOn: { feedback: opts.feedback, mode: searcher.mode, questions: { feedback: feedback.groups.length }, pairs: feedback.pairs, l2: DEFAULT_TRAIN.l2, base: opts.base },
    };
    await searcher.close();
    await writeFile(opts.out, `${JSON.stringify(weights, null, 1)}\n`);
    log(`wrote ${opts.out} (passage ranker from ${feedback.groups.length} voted questions; quote and confidence models from ${opts.base})`);
    return;
  }
  const sources: Source[] = [{ name: 'own', dir, train: await collect(searcher, await readAll(opts.train)), dev: await collect(searcher, await readAll(opts.dev)) }];
  const mode = searcher.mode;
  await searcher.close();
  let rtqaWeeks: Record<string, string[]> | undefined;
  // RealtimeQA joins our own split; a retrain on someone's own questions (--train / --dev, maybe with no
  // ../shared at all) takes it only when asked for with --rtqa-source.
  const ownQuestions = program.getOptionValueSource('train') === 'cli' || program.getOptionValueSource('dev') === 'cli';
  if (opts.rtqa && (!ownQuestions || program.getOptionValueSource('rtqaSource') === 'cli')) {
    // RealtimeQA's train and dev weeks, over its own documents (the eval's cached index of them).
    const rtqa = await loadRealtimeQa(opts.rtqaSource);
    const weeks = weekSplits(rtqa.questions);
    rtqaWeeks = { train: [...new Set(weeks.train.map((q) => q.id.slice(0, 8)))], dev: [...new Set(weeks.dev.map((q) => q.id.slice(0, 8)))] };
    const rtqaDir = await ensureIndex({ corpus: [await writeRtqaCorpus(rtqa, path.join('.cache', 'rtqa'))], lexicalOnly: opts.lexicalOnly, config }, log);
    const rtqaSearcher = await Searcher.open(rtqaDir, config, { model: opts.lexicalOnly ? 'never' : 'await', ranker: neutralRanker(POOL_DEPTH) }, { ...DEFAULT_RANKING, ...parseOverrides(opts.set), minConfidence: 0 });
    sources.push({ name: 'RealtimeQA', dir: rtqaDir, train: await collect(rtqaSearcher, weeks.train), dev: await collect(rtqaSearcher, weeks.dev) });
    await rtqaSearcher.close();
  }
  for (const src of sources) log(`${src.name}: ${src.train.length} training questions, ${src.dev.length} dev questions`);
  const train = sources.flatMap((src) => src.train);

  // 1. Passage ranker: pairwise, choose depth and L2 on the mean of the dev sets' MRR@10 (each set weighs the same).
  const groups: Group[] = [...train.filter((t) => t.pool).map((t) => ({ xs: t.pool!.candidates.map((c) => c.features.values), labels: t.labels })), ...feedback.groups];
  const devScore = (model: LinearModel, depth: number) => {
    const per = sources.map((src) => mrr(src.dev, model, depth));
    const mean = (f: (x: { mrr: number; hit5: number }) => number): number => per.reduce((a, x) => a + f(x), 0) / per.length;
    return { mrr: mean((x) => x.mrr), hit5: mean((x) => x.hit5), text: per.map((x, i) => `${sources[i]!.name} MRR@10 ${x.mrr.toFixed(3)} hit@5 ${x.hit5.toFixed(3)}`).join('; '), per };
  };
  log(`dev in fused order (no ranker): ${devScore(neutralRanker(POOL_DEPTH).passage, POOL_DEPTH).text}`);
  // What no ranker over this pool can exceed: an answerable question whose answer is not among the candidates.
  const inPool = (items: Labelled[]): string => {
    const ans = items.filter((x) => !x.q.unanswerable);
    return (ans.filter((x) => x.labels.includes(1)).length / (ans.length || 1)).toFixed(3);
  };
  log(`answer among the ${POOL_DEPTH} candidates: ${sources.map((src) => `${src.name} train ${inPool(src.train)}, dev ${inPool(src.dev)}`).join('; ')}`);
  let best: { weights: LinearWeights; depth: number; l2: number; mrr: number; hit5: number; text: string; per: Array<{ mrr: number; hit5: number }> } | undefined;
  for (const l2 of L2) {
    const weights = trainPairwise(groups, PASSAGE_FEATURES, { ...DEFAULT_TRAIN, l2, lambdaEpochs: opts.lambdaEpochs });
    const model = new LinearModel(weights);
    for (const depth of DEPTHS) {
      const score = devScore(model, depth);
      log(`  l2 ${l2} depth ${depth}: dev ${score.text}`);
      // Prefer the shallower depth on ties: it costs less per question.
      if (!best || score.mrr > best.mrr + 1e-9) best = { weights, depth, l2, ...score };
    }
  }
  const passage = new LinearModel(best!.weights);
  log(`chose l2 ${best!.l2}, depth ${best!.depth}: dev ${best!.text}`);

  // 2. Quote model: within passages that hold the answer, which sentence holds it.
  const sx: number[][] = [];
  const sy: number[] = [];
  for (const t of train) {
    if (t.q.unanswerable || !t.pool) continue;
    t.pool.candidates.forEach((c, i) => {
      if (t.labels[i] !== 1) return;
      for (const sentence of c.features.sentences) {
        sx.push(sentence.features);
        sy.push(containsAnswer(sentence.text, t.q.answers) ? 1 : 0);
      }
    });
  }
  const sentence = trainLogistic(sx, sy, SENTENCE_FEATURES);
  log(`quote model: ${sx.length} sentences (${sy.filter((y) => y === 1).length} holding an answer)`);

  // 3. Confidence: the probability that the answer shown holds what was asked, fitted on train
  // (answered well: the answer is among the first results; unanswerable: never), threshold on dev.
  const cx: number[][] = [];
  const cy: number[] = [];
  for (const t of train) {
    const c = confidenceInput(t, passage, best!.depth);
    if (!c) continue;
    // An answerable question whose answer retrieval missed says nothing about answerability.
    if (!t.q.unanswerable && !c.top5) continue;
    cx.push(c.x);
    cy.push(t.q.unanswerable ? 0 : 1);
  }
  // Few unanswerable questions to learn from: a stronger L2 keeps the weights from fitting noise.
  const confidenceWeights = trainLogistic(cx, cy, CONFIDENCE_FEATURES, { ...DEFAULT_TRAIN, l2: CONFIDENCE_L2 }, CONFIDENCE_FEATURES.map((f) => CONFIDENCE_SIGNS[f]));
  log(`confidence model: ${cy.filter((y) => y === 1).length} answered and ${cy.filter((y) => y === 0).length} unanswerable training questions`);
  // The threshold is chosen on dev *as the search refuses*: each dev question asked of the real
  // search with these models (diversified results, the refusal rules), not re-computed from the pool.
  const provisional = rankerFrom({
    version: 1,
    depth: best!.depth,
    passage: best!.weights,
    sentence,
    confidence: { ...confidenceWeights, threshold: 0, strong: 1 },
  });
  const devProbs: Array<{ unanswerable: boolean; probability: number; floored: boolean; top5: boolean; group: string }> = [];
  for (const src of sources) {
    const judge = await Searcher.open(src.dir, config, { model: opts.lexicalOnly ? 'never' : 'await', ranker: provisional }, { ...DEFAULT_RANKING, ...parseOverrides(opts.set), minConfidence: 0 });
    for (const d of src.dev) {
      const answer = await judge.ask(d.q.question, { k: 5, evenIfUnsure: true, asOf: d.q.asOf });
      devProbs.push({
        group: src.name,
        unanswerable: d.q.unanswerable === true,
        probability: answer.confidence?.probability ?? 0,
        floored: refusedByRule(answer.confidence),
        top5: !d.q.unanswerable && answer.results.some((r) => containsAnswer(r.passage, d.q.answers)),
      });
    }
    await judge.close();
  }
  const chosen = chooseThreshold(devProbs, opts.maxFalseRefusal);
  const threshold = chosen.threshold;
  // "Strong match": the lowest probability above which at least 75% of dev questions (and at least
  // ten) are answerable with the answer among the first five results; failing that, the top quarter
  // of the answerable questions' probabilities.
  let strong: number | undefined;
  // What the search shows: a floored question is refused, never a strong match.
  const shown = devProbs.map((d) => ({ ...d, probability: d.floored ? 0 : d.probability }));
  for (const t of [...new Set(shown.map((d) => d.probability))].sort((a, b) => b - a)) {
    const above = shown.filter((d) => d.probability >= t);
    if (above.length >= 10 && above.filter((d) => !d.unanswerable && d.top5).length / above.length >= 0.75) strong = t;
  }
  const sortedAns = shown.filter((d) => !d.unanswerable).map((d) => d.probability).sort((a, b) => a - b);
  strong ??= sortedAns[Math.floor(sortedAns.length * 0.75)] ?? 1;
  strong = Math.max(strong, threshold);
  for (const src of sources) {
    const mine = devProbs.filter((d) => d.group === src.name);
    const refused = (d: (typeof devProbs)[number]): boolean => d.floored || d.probability < threshold;
    const ans = mine.filter((d) => !d.unanswerable);
    const un = mine.filter((d) => d.unanswerable);
    log(`confidence on ${src.name} dev: threshold ${threshold.toFixed(4)} refuses ${un.filter(refused).length}/${un.length} unanswerable and ${ans.filter(refused).length}/${ans.length} answerable questions (the coverage floor's included)`);
  }
  log(`strong ≥ ${strong.toFixed(4)}`);

  const weights: RankerWeights = {
    version: 1,
    depth: best!.depth,
    passage: rounded(best!.weights),
    sentence: rounded(sentence),
    confidence: { ...rounded(confidenceWeights), threshold: Number(threshold.toFixed(6)), strong: Number(strong.toFixed(6)) },
    trainedOn: {
      files: { train: opts.train, dev: opts.dev, ...(opts.feedback?.length ? { feedback: opts.feedback } : {}) },
      ...(rtqaWeeks ? { realtimeqaWeeks: rtqaWeeks } : {}),
      mode,
      questions: {
        ...Object.fromEntries(sources.map((src) => [src.name, { train: src.train.length, dev: src.dev.length }])),
        ...(opts.feedback?.length ? { feedback: feedback.groups.length } : {}),
      },
      devScores: Object.fromEntries(sources.map((src, i) => [src.name, { mrrAt10: Number(best!.per[i]!.mrr.toFixed(4)), hitAt5: Number(best!.per[i]!.hit5.toFixed(4)) }])),
      l2: best!.l2,
      lambdaEpochs: opts.lambdaEpochs,
    },
  };
  await writeFile(opts.out, `${JSON.stringify(weights, null, 1)}\n`);
  log(`wrote ${opts.out}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`train-ranker failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
