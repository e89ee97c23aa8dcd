import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { DEFAULT_RANKING } from '../src/search/searcher.js';
import { evaluate, sharedOptions, readQuestions } from './evaluate.js';

/**
 * `npm run eval [-- --questions FILE.jsonl... --corpus PATH...]`: builds (or reuses) an index of the
 * corpus, asks every question of each set, and reports per set hit@1/5/10, MRR@10, quote hits,
 * false refusals and refused unanswerable questions, and the questions it missed. By default: the
 * hard question set's train / dev / test splits and the old (easier) set, over news-2022 + the seeds.
 */
loadDotenv();

const DEFAULT_SETS = ['eval/questions/hard/train.jsonl', 'eval/questions/hard/dev.jsonl', 'eval/questions/hard/test.jsonl', 'eval/questions/news2022-questions.jsonl'];

const program = new Command()
  .name('npm run eval --')
  .description('Retrieval and answer quality on question sets (see BENCHMARKS.md).')
  .option('--questions <file...>', 'JSONL files of {"id","question","answers":[…],"articleIds"?,"unanswerable"?}, one report line each', DEFAULT_SETS)
  .option('--corpus <path...>', 'corpus files or folders', ['../shared/corpus/news-2022.jsonl', 'corpus'])
  .option('--index <dir>', 'index folder (default: a cache under .cache/eval keyed by the corpus)')
  .option('--k <n>', 'results per question', (v) => Number(v), 10)
  .option('--lexical-only', 'evaluate keyword search alone even if a model is available')
  .option('--baseline', 'also evaluate plain MiniSearch (default options) over the same passages')
  .option('--weights <file>', 'ranker weights (default: the committed src/search/ranker/weights.json)')
  .option('--set <key=value...>', `override ranking parameters (${Object.keys(DEFAULT_RANKING).join(', ')}, minConfidence)`)
  .option('--misses <n>', 'how many missed questions to list per set', (v) => Number(v), 15)
  .option('--json <file>', 'also write the full report as JSON')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  questions: string[];
  corpus: string[];
  index?: string;
  k: number;
  lexicalOnly?: boolean;
  baseline?: boolean;
  weights?: string;
  set?: string[];
  misses: number;
  json?: string;
}>();

async function main(): Promise<void> {
  const sets = [];
  for (const file of opts.questions) sets.push({ name: path.basename(path.dirname(file)) === 'hard' ? `hard/${path.basename(file, '.jsonl')}` : path.basename(file, '.jsonl'), questions: await readQuestions(file) });
  const report = await evaluate({ sets, corpus: opts.corpus, index: opts.index, weights: opts.weights, ...sharedOptions(opts, loadCoreConfig()) });
  process.stdout.write(`${report.text}\n`);
  if (opts.json) {
    const { threshold, ranking, queryP50Ms, mode, passages } = report;
    await writeFile(opts.json, JSON.stringify({ threshold, ranking, queryP50Ms, mode, passages, sets: report.sets }, null, 2));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`eval failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
