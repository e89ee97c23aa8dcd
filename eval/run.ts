import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { DEFAULT_RANKING } from '../src/search/searcher.js';
import { evaluate, sharedOptions, readQuestions } from './evaluate.js';

/**
 * `npm run eval -- --questions FILE.jsonl --corpus PATH...`: builds (or reuses) an index of the
 * corpus, asks every question, and reports hit@1/5/10, MRR@10, quote hits, abstention accuracy,
 * the calibrated abstention threshold, and the questions it missed.
 */
loadDotenv();

const program = new Command()
  .name('npm run eval --')
  .description('Retrieval quality of a question set over a corpus: hit@1/5/10, MRR@10, quote hits, abstention.')
  .requiredOption('--questions <file>', 'JSONL of {"id","question","answers":[…],"articleIds"?,"unanswerable"?}')
  .option('--corpus <path...>', 'corpus files or folders', ['corpus'])
  .option('--index <dir>', 'index folder (default: a cache under .cache/eval keyed by the corpus)')
  .option('--k <n>', 'results per question', (v) => Number(v), 10)
  .option('--lexical-only', 'evaluate keyword search alone even if a model is available')
  .option('--baseline', 'also evaluate plain MiniSearch (default options) over the same passages')
  .option('--set <key=value...>', `override ranking parameters (${Object.keys(DEFAULT_RANKING).join(', ')})`)
  .option('--misses <n>', 'how many missed questions to list', (v) => Number(v), 30)
  .option('--json <file>', 'also write the full report as JSON')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  questions: string;
  corpus: string[];
  index?: string;
  k: number;
  lexicalOnly?: boolean;
  baseline?: boolean;
  set?: string[];
  misses: number;
  json?: string;
}>();

async function main(): Promise<void> {
  const report = await evaluate({
    questions: await readQuestions(opts.questions),
    questionsName: opts.questions,
    corpus: opts.corpus,
    index: opts.index,
    ...sharedOptions(opts, loadCoreConfig()),
  });
  process.stdout.write(`${report.text}\n`);
  if (opts.json) {
    const { summary, baseline, calibration, ranking, outcomes } = report;
    await writeFile(opts.json, JSON.stringify({ summary, baseline, calibration, ranking, outcomes }, null, 2));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`eval failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
