import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { DEFAULT_RANKING } from '../src/search/searcher.js';
import { evaluate, readQuestions, sharedOptions, type EvaluateReport, type QuestionSet } from './evaluate.js';
import { DEFAULT_RTQA_DIR, loadRealtimeQa, weekOf, weekSplits, writeRtqaCorpus, type Split } from './realtimeqa-data.js';

/**
 * `npm run eval`: asks every question of the chosen splits and reports, per set, hit@1/5/10, MRR@10,
 * quote hits, false refusals and refused unanswerable questions (per category when the questions
 * carry one):
 * - our own questions over news-2022 + the seeds: eval/questions/hard/<split>.jsonl and, when present,
 *   eval/questions/unanswerable/<split>.jsonl and eval/questions/everyday/<split>.jsonl (CLINC150's
 *   everyday requests, sampled by eval/questions/everyday/sample.py);
 * - RealtimeQA 2022 over its own documents, split by week (eval/realtimeqa-data.ts), with plain
 *   MiniSearch BM25 beside it.
 * Default: the dev splits. Test splits only with --test, and then aggregate figures only: their
 * misses are never printed (nor written with --json), so nothing can be tuned to them.
 */
loadDotenv();

const OWN = 'eval/questions';

const program = new Command()
  .name('npm run eval --')
  .description('Retrieval, quote and refusal quality per split (see BENCHMARKS.md).')
  .option('--split <name...>', 'train and/or dev splits to report', ['dev'])
  .option('--test', 'also report the test splits (aggregate figures only, never their misses)')
  .option('--questions <file...>', 'evaluate these JSONL files over --corpus instead of our own splits (a file named test*.jsonl is a test split)')
  .option('--corpus <path...>', 'corpus files or folders for our own questions', ['../shared/corpus/news-2022.jsonl', 'corpus'])
  .option('--index <dir>', 'index folder for our own questions (default: a cache under .cache/eval keyed by the corpus)')
  .option('--no-rtqa', 'skip RealtimeQA')
  .option('--rtqa-source <dir>', 'the past/2022 folder of realtimeqa_public', DEFAULT_RTQA_DIR)
  .option('--no-rtqa-baseline', 'skip plain MiniSearch beside RealtimeQA (slow: it scans every passage per question)')
  .option('--k <n>', 'results per question', (v) => Number(v), 10)
  .option('--lexical-only', 'evaluate keyword search alone even if a model is available')
  .option('--baseline', 'also evaluate plain MiniSearch on our own sets (RealtimeQA always has it)')
  .option('--weights <file>', 'ranker weights (default: the committed src/search/ranker/weights.json)')
  .option('--set <key=value...>', `override ranking parameters (${Object.keys(DEFAULT_RANKING).join(', ')}, minConfidence)`)
  .option('--misses <n>', 'list up to n missed questions per train or dev set', (v) => Number(v), 0)
  .option('--json <file>', 'also write the report as JSON (per-question outcomes for train and dev sets only)')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  split: string[];
  test?: boolean;
  questions?: string[];
  corpus: string[];
  index?: string;
  rtqa: boolean;
  rtqaSource: string;
  rtqaBaseline: boolean;
  k: number;
  lexicalOnly?: boolean;
  baseline?: boolean;
  weights?: string;
  set?: string[];
  misses: number;
  json?: string;
}>();
for (const s of opts.split) if (s !== 'train' && s !== 'dev') program.error(`--split ${s}: expected train or dev (test splits: --test)`);
const splits = [...opts.split, ...(opts.test ? ['test'] : [])] as Split[];

const isTestFile = (file: string): boolean => /^test/.test(path.basename(file));

/** Our own sets: the given files, or each split's hard questions and unanswerable questions (when the file exists). */
async function ownSets(): Promise<QuestionSet[]> {
  const files = opts.questions ?? splits.flatMap((s) => [`${OWN}/hard/${s}.jsonl`, `${OWN}/unanswerable/${s}.jsonl`, `${OWN}/everyday/${s}.jsonl`].filter((f) => existsSync(f)));
  const sets: QuestionSet[] = [];
  for (const file of files) {
    const folder = path.basename(path.dirname(file));
    const name = folder === 'questions' || folder === '.' ? path.basename(file, '.jsonl') : `${folder}/${path.basename(file, '.jsonl')}`;
    sets.push({ name, questions: await readQuestions(file), test: isTestFile(file) });
  }
  return sets;
}

/** What a report may show of a set: everything for train and dev, the aggregate for a test split. */
function publicSets(report: EvaluateReport) {
  return report.sets.map(({ name, test, summary, baseline, calibration, outcomes }) => (test ? { name, test, summary, baseline } : { name, summary, baseline, calibration, outcomes }));
}

async function main(): Promise<void> {
  const config = loadCoreConfig();
  const shared = sharedOptions(opts, config);
  const reports: Array<{ corpus: string; report: EvaluateReport }> = [];
  const sets = await ownSets();
  if (sets.length) {
    const report = await evaluate({ sets, corpus: opts.corpus, index: opts.index, weights: opts.weights, ...shared, baseline: opts.baseline });
    process.stdout.write(`${report.text}\n`);
    reports.push({ corpus: opts.corpus.join(', '), report });
  }
  if (opts.rtqa) {
    const rtqa = await loadRealtimeQa(opts.rtqaSource);
    const bySplit = weekSplits(rtqa.questions);
    const rtqaSets: QuestionSet[] = splits.map((s) => {
      const weeks = bySplit[s].map((q) => weekOf(q.id)).sort();
      return { name: `RealtimeQA ${s} (${weeks[0]}–${weeks.at(-1)})`, questions: bySplit[s], test: s === 'test', baseline: opts.rtqaBaseline };
    });
    const corpus = await writeRtqaCorpus(rtqa, path.join('.cache', 'rtqa'));
    process.stderr.write(`RealtimeQA 2022: ${rtqa.docs.length} documents (gold + GCS, deduplicated by URL); weeks split 60/20/20 in date order\n`);
    const report = await evaluate({ sets: rtqaSets, corpus: [corpus], weights: opts.weights, ...shared, baseline: false });
    process.stdout.write(`${report.text}\n`);
    reports.push({ corpus: `RealtimeQA 2022 (${rtqa.docs.length} documents)`, report });
  }
  if (opts.json) {
    // `sets` keeps the shape `npm run charts -- --eval FILE` reads; `corpora` says what each was asked over.
    const corpora = reports.map(({ corpus, report: r }) => ({ corpus, threshold: r.threshold, ranking: r.ranking, mode: r.mode, passages: r.passages, queryP50Ms: r.queryP50Ms, baselineP50Ms: r.baselineP50Ms, sets: r.sets.map((x) => x.name) }));
    await writeFile(opts.json, JSON.stringify({ corpora, sets: reports.flatMap(({ report }) => publicSets(report)) }, null, 2));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`eval failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
