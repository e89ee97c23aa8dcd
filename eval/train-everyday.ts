import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { EverydayModel, everydayFeatures, type EverydayWeights } from '../src/search/ranker/everyday.js';
import { readQuestions } from './evaluate.js';
import { DEFAULT_RTQA_DIR, loadRealtimeQa, realtimeQaQuestionSentences, weekSplits } from './realtimeqa-data.js';

/**
 * `npm run train-everyday`: learns the everyday-request model (src/search/ranker/everyday.ts) and
 * writes src/search/ranker/everyday.json. Deterministic (full-batch AdaGrad in a fixed order).
 *
 * Everyday requests: eval/questions/everyday/train.jsonl (CLINC150's train split, sampled) and the
 * off-topic questions of our unanswerable train split. News questions: our hard and unanswerable
 * train questions (every other category: a false premise or a missing detail is still worded as
 * news), RealtimeQA 2022's train weeks, and RealtimeQA's questions without documents (Jan–Jun 2022
 * and 2023), none of which any eval split holds. Dev and test splits are never read.
 *
 * The threshold is chosen from 5-fold cross-validated probabilities on these sets: the lowest at
 * which at most --max-news of the news questions (each source weighted alike) would be flagged.
 */

const OWN = path.join('eval', 'questions');
const RTQA_ROOT = path.dirname(path.dirname(DEFAULT_RTQA_DIR));

const program = new Command()
  .name('npm run train-everyday --')
  .option('--out <file>', 'weights file to write', path.join('src', 'search', 'ranker', 'everyday.json'))
  .option('--l2 <x>', 'L2 penalty per example', (v) => Number(v), 3e-5)
  .option('--epochs <n>', 'full passes', (v) => Number(v), 300)
  .option('--max-news <share>', 'share of news questions the threshold may flag (cross-validated)', (v) => Number(v), 0.005)
  .option('--min-count <n>', 'keep features seen in at least n training messages', (v) => Number(v), 3)
  .parse();
const opts = program.opts<{ out: string; l2: number; epochs: number; maxNews: number; minCount: number }>();

interface Example {
  text: string;
  everyday: boolean;
  /** Where it came from: each news source weighs alike when the threshold is chosen. */
  source: string;
}

async function examples(): Promise<Example[]> {
  const out: Example[] = [];
  for (const q of await readQuestions(path.join(OWN, 'everyday', 'train.jsonl'))) out.push({ text: q.question, everyday: true, source: 'clinc' });
  for (const file of ['hard/train.jsonl', 'unanswerable/train.jsonl']) {
    for (const q of await readQuestions(path.join(OWN, file))) {
      const everyday = q.category === 'offtopic';
      out.push({ text: q.question, everyday, source: everyday ? 'own-offtopic' : 'own-news' });
    }
  }
  const rtqa = await loadRealtimeQa();
  for (const q of weekSplits(rtqa.questions).train) out.push({ text: q.question, everyday: false, source: 'rtqa-train' });
  for (const dir of [path.join(RTQA_ROOT, 'backnumber', '2022'), path.join(RTQA_ROOT, 'past', '2023')]) {
    if (!existsSync(dir)) continue;
    for (const text of await realtimeQaQuestionSentences(dir)) out.push({ text, everyday: false, source: `rtqa-${path.basename(dir)}` });
  }
  return out;
}

interface Encoded {
  features: number[][];
  value: number[];
  y: number[];
  weight: number[];
}

/** Feature indices per example; features seen in fewer than minCount examples are dropped. */
function vocabulary(rows: readonly Example[]): string[] {
  const count = new Map<string, number>();
  for (const r of rows) for (const f of everydayFeatures(r.text)) count.set(f, (count.get(f) ?? 0) + 1);
  return [...count].filter(([, n]) => n >= opts.minCount).map(([f]) => f).sort();
}

function encode(rows: readonly Example[], vocab: readonly string[]): Encoded {
  const index = new Map(vocab.map((f, i) => [f, i]));
  // Each class weighs alike in the loss, whatever its count.
  const positives = rows.filter((r) => r.everyday).length;
  const negatives = rows.length - positives;
  const enc: Encoded = { features: [], value: [], y: [], weight: [] };
  for (const r of rows) {
    const all = everydayFeatures(r.text);
    enc.features.push(all.map((f) => index.get(f)).filter((i): i is number => i !== undefined));
    enc.value.push(all.length ? 1 / Math.sqrt(all.length) : 0);
    enc.y.push(r.everyday ? 1 : 0);
    enc.weight.push(rows.length / 2 / (r.everyday ? positives : negatives));
  }
  return enc;
}

/** Logistic regression by full-batch AdaGrad: deterministic, and quick on sparse rows. */
function train(enc: Encoded, width: number): { w: Float64Array; bias: number } {
  const w = new Float64Array(width);
  const g2 = new Float64Array(width).fill(1e-8);
  let bias = 0;
  let b2 = 1e-8;
  const rate = 0.5;
  const n = enc.y.length;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    const grad = new Float64Array(width);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const v = enc.value[i]!;
      let z = bias;
      for (const j of enc.features[i]!) z += w[j]! * v;
      const err = (1 / (1 + Math.exp(-z)) - enc.y[i]!) * enc.weight[i]!;
      gb += err;
      for (const j of enc.features[i]!) grad[j]! += err * v;
    }
    for (let j = 0; j < width; j++) {
      const g = grad[j]! / n + opts.l2 * w[j]!;
      g2[j]! += g * g;
      w[j]! -= (rate * g) / Math.sqrt(g2[j]!);
    }
    gb /= n;
    b2 += gb * gb;
    bias -= (rate * gb) / Math.sqrt(b2);
  }
  return { w, bias };
}

function toWeights(vocab: readonly string[], fit: { w: Float64Array; bias: number }, threshold: number, trainedOn: string): EverydayWeights {
  const weights: Record<string, number> = {};
  // Weights this small move no probability by a thousandth: leaving them out keeps the file small.
  vocab.forEach((f, j) => {
    if (Math.abs(fit.w[j]!) >= 0.01) weights[f] = Math.round(fit.w[j]! * 1000) / 1000;
  });
  return { trainedOn, bias: Math.round(fit.bias * 1000) / 1000, threshold, weights };
}

async function main(): Promise<void> {
  const rows = await examples();
  const bySource = new Map<string, number>();
  for (const r of rows) bySource.set(r.source, (bySource.get(r.source) ?? 0) + 1);
  process.stderr.write(`examples: ${[...bySource].map(([s, n]) => `${s} ${n}`).join(', ')}\n`);

  // Cross-validated probabilities (fold = position mod 5): what the threshold is chosen from.
  const folds = 5;
  const cv = new Array<number>(rows.length).fill(0);
  for (let k = 0; k < folds; k++) {
    const trainRows = rows.filter((_, i) => i % folds !== k);
    const vocab = vocabulary(trainRows);
    const model = new EverydayModel(toWeights(vocab, train(encode(trainRows, vocab), vocab.length), 1, 'fold'));
    rows.forEach((r, i) => {
      if (i % folds === k) cv[i] = model.probability(r.text);
    });
  }
  // The lowest threshold at which the news sources, weighted alike, lose at most --max-news.
  const indicesOf = new Map([...bySource.keys()].map((src) => [src, rows.flatMap((r, i) => (r.source === src ? [i] : []))]));
  const flagged = (src: string, t: number): number => {
    const idx = indicesOf.get(src)!;
    return idx.filter((i) => cv[i]! >= t).length / idx.length;
  };
  const newsSources = [...bySource.keys()].filter((src) => rows.some((r) => r.source === src && !r.everyday));
  const flaggedNews = (t: number): number => newsSources.reduce((sum, src) => sum + flagged(src, t), 0) / newsSources.length;
  let threshold = 0.99;
  for (let t = 0.99; t >= 0.3; t = Math.round((t - 0.01) * 100) / 100) {
    if (flaggedNews(t) > opts.maxNews) break;
    threshold = t;
  }
  process.stderr.write(`threshold ${threshold} (cross-validated flagged share: ${[...bySource.keys()].map((src) => `${src} ${flagged(src, threshold).toFixed(3)}`).join(', ')})\n`);

  const vocab = vocabulary(rows);
  const fit = train(encode(rows, vocab), vocab.length);
  const trainedOn = [...bySource].map(([s, n]) => `${s} ${n}`).join(', ');
  const weights = toWeights(vocab, fit, threshold, trainedOn);
  await writeFile(opts.out, `${JSON.stringify(weights, null, 0)}\n`);
  process.stderr.write(`wrote ${opts.out}: ${Object.keys(weights.weights).length} of ${vocab.length} features\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`train-everyday failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
