import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { evaluate, sharedOptions } from './evaluate.js';
import { DEFAULT_RTQA_DIR, loadRealtimeQa, weekSplits, type Split } from './realtimeqa-data.js';

/**
 * `npm run eval:realtimeqa`: converts RealtimeQA 2022 (past/2022) into a corpus JSONL (gold + GCS
 * documents, deduplicated by URL) and a question JSONL in a temp folder, then runs the same
 * evaluation as `npm run eval` (with the plain-MiniSearch baseline) on one split of the weeks
 * (default dev; `test` and `all` hold the test weeks: aggregate figures only, never their misses).
 */
loadDotenv();

const program = new Command()
  .name('npm run eval:realtimeqa --')
  .description('The eval on RealtimeQA 2022 (converted to a corpus and question file on the fly), with the MiniSearch baseline.')
  .option('--source <dir>', 'the past/2022 folder of realtimeqa_public', DEFAULT_RTQA_DIR)
  .option('--k <n>', 'results per question', (v) => Number(v), 10)
  .option('--lexical-only', 'evaluate keyword search alone even if a model is available')
  .option('--no-baseline', 'skip the plain-MiniSearch baseline')
  .option('--split <name>', 'the weeks to ask: train, dev, test or all (see eval/realtimeqa-data.ts)', 'dev')
  .option('--gold-only', 'only the questions with a gold article')
  .option('--set <key=value...>', 'override ranking parameters')
  .option('--weights <file>', 'ranker weights (default: the committed src/search/ranker/weights.json)')
  .option('--misses <n>', 'how many missed questions to list (train and dev only)', (v) => Number(v), 0)
  .option('--keep <dir>', 'write the converted corpus/questions (and the index) here and keep them')
  .option('--json <file>', 'also write the summary as JSON')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ split: string; source: string; k: number; lexicalOnly?: boolean; baseline: boolean; goldOnly?: boolean; set?: string[]; misses: number; keep?: string; json?: string; weights?: string }>();

async function main(): Promise<void> {
  if (!['train', 'dev', 'test', 'all'].includes(opts.split)) program.error(`--split ${opts.split}: expected train, dev, test or all`);
  const set = await loadRealtimeQa(opts.source);
  const weeks = opts.split === 'all' ? set.questions : weekSplits(set.questions)[opts.split as Split];
  const questions = opts.goldOnly ? weeks.filter((q) => q.articleIds?.length) : weeks;
  const dir = opts.keep ?? path.join(os.tmpdir(), `archivist-rtqa-${process.pid}`);
  await mkdir(dir, { recursive: true });
  const corpusFile = path.join(dir, 'realtimeqa-2022.jsonl');
  const questionsFile = path.join(dir, 'questions.jsonl');
  await writeFile(corpusFile, `${set.docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
  await writeFile(questionsFile, `${questions.map((q) => JSON.stringify(q)).join('\n')}\n`);
  process.stderr.write(
    `RealtimeQA 2022: ${set.docs.length} documents, ${questions.length} questions with documents ` +
      `(${set.goldQuestions} with a gold article; ${set.withoutDocuments} without any document left out) → ${dir}\n`,
  );
  try {
    const report = await evaluate({
      sets: [{ name: `RealtimeQA 2022 ${opts.split}${opts.goldOnly ? ' (gold only)' : ''}`, questions, test: opts.split === 'test' || opts.split === 'all' }],
      corpus: [corpusFile],
      index: path.join(dir, 'index'),
      ...sharedOptions(opts, loadCoreConfig()),
      weights: opts.weights,
    });
    process.stdout.write(`Corpus: ${set.docs.length} documents (gold + GCS, deduplicated by URL)\n${report.text}\n`);
    if (opts.json) {
      const { summary, baseline, calibration } = report.sets[0]!;
      const { baselineP50Ms, mode, passages, queryP50Ms } = report;
      await writeFile(opts.json, JSON.stringify({ documents: set.docs.length, questions: questions.length, goldQuestions: set.goldQuestions, mode, passages, summary, baseline, baselineP50Ms, calibration: report.sets[0]!.test ? undefined : calibration, queryP50Ms }, null, 2));
    }
  } finally {
    if (!opts.keep) await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`eval:realtimeqa failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
