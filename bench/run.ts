/**
 * `npm run bench [-- --quick] [--skip-hybrid] [--out bench/results.json]`: scale benchmarks of the
 * engine, side by side on
 *   - the 2.5k index: the first 2,500 articles of ../shared/corpus/news-2022.jsonl + corpus/ (the seeds);
 *   - the 40k index: the synthetic corpus of bench/synthetic.ts (40,000 articles from news-2022 sentences).
 * For each: full build (articles/s, peak RSS), cold start to first answer, query p50/p99 and RSS
 * while answering; then on the 40k index one changed article → `npm run index` again (time vs the
 * full build, the new text at rank 1), one removed article (gone), and the longest event-loop stall
 * of a running reader picking up the new generation. news-2022 is built and queried too (the middle
 * size of the charts). At the end the SVG charts go to docs/ (bench/charts.ts; not after --quick).
 * Builds and queries run in child processes (bench/*-child.ts, bench/cold-start.ts) so each RSS
 * figure is that process's own.
 * Not part of `npm test`. Everything goes to a temp folder, removed afterwards.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Command } from 'commander';
import { readQuestions } from '../eval/evaluate.js';
import { realtimeQaQuestionSentences } from '../eval/realtimeqa-data.js';
import { createTinyModel } from '../tests/support/tiny-model.js';
import { writeCharts } from './chart-data.js';
import { checkTarget, distribution } from './stats.js';
import { modelBench } from './model.js';
import { generateSynthetic } from './synthetic.js';

const program = new Command()
  .name('npm run bench --')
  .description('Speed, size and memory benchmarks: the 2.5k index vs the 40k synthetic corpus (and news-2022); writes bench/results.json.')
  .option('--quick', 'a small run for iteration (500 vs 4,000 articles, 100 questions)')
  .option('--skip-hybrid', 'skip the tiny-model (hybrid) builds and queries')
  .option('--hybrid-large', 'also build and query the 40k index with the tiny model (embedding 170k passages takes long)')
  .option('--news <file>', 'the news corpus', '../shared/corpus/news-2022.jsonl')
  .option('--seeds <dir>', 'the seed corpus', 'corpus')
  .option('--questions <n>', 'questions for the query runs', (v) => Number(v))
  .option('--out <file>', 'where to write the JSON report', 'bench/results.json')
  .option('--charts <dir>', 'where to write the SVG charts (default docs/; none with --quick unless given)')
  .option('--huge [articles]', 'also the 400k synthetic corpus (not in CI: about an hour on 2 cores): build, answers, cold start, one-change and merging updates, and the projection to 1M', (v) => Number(v))
  .option('--keep', 'keep the temp folder')
  .option('--model', 'also measure the embedding model path with the stand-in of bge-small (bench/model.ts; needs python3-torch, python3-onnx)')
  .option('--model-only', 'measure only the model path (implies --model)')
  .option('--model-articles <n>', 'model path: build the first N news-2022 articles instead of all', (v) => Number(v))
  .option('--model-sample <n>', 'model path: passages of the embedding sweep', (v) => Number(v))
  .showHelpAfterError();
program.parse();
const opts = program.opts<{
  quick?: boolean;
  skipHybrid?: boolean;
  hybridLarge?: boolean;
  news: string;
  seeds: string;
  questions?: number;
  out: string;
  charts?: string;
  keep?: boolean;
  model?: boolean;
  modelOnly?: boolean;
  modelArticles?: number;
  modelSample?: number;
  huge?: boolean | number;
}>();

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const r1 = (x: number): number => Math.round(x * 10) / 10;
const mb = (bytes: number): number => Math.round(bytes / 1048576);
const TSX = ['--import', 'tsx'];

/** Runs a bench child with `node --import tsx` and returns its last stdout line as JSON. */
async function child<T>(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<T & { wallMs: number }> {
  const started = performance.now();
  const proc = spawn(process.execPath, [...TSX, path.join('bench', script), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const [code] = (await once(proc, 'close')) as [number];
  if (code !== 0) throw new Error(`${script} exited ${code}: ${stderr}`);
  return { ...(JSON.parse(stdout.trim().split('\n').at(-1)!) as T), wallMs: performance.now() - started };
}

interface BuildChild {
  report: { articles: number; chunks: number; kind: string; totalMs: number; stageMs: Record<string, number>; embedded: number; reused: number };
  peakRssMB: number;
  cpuMs: number;
}

async function build(name: string, out: string, corpus: string[], env: NodeJS.ProcessEnv, extra: string[] = []): Promise<Record<string, unknown> & BuildChild> {
  log(`${name}: indexing ${corpus.map((c) => path.basename(c)).join(' + ')}`);
  const r = await child<BuildChild>('build-child.ts', [out, ...extra, ...corpus], env);
  const seconds = r.report.totalMs / 1000;
  log(`${name}: ${r.report.kind} ${r.report.articles} articles, ${r.report.chunks} passages in ${seconds.toFixed(1)} s, peak RSS ${r.peakRssMB} MB ${JSON.stringify(r.report.stageMs)}`);
  return { ...r, seconds: r1(seconds), articlesPerSecond: Math.round(r.report.articles / seconds) };
}

interface ColdChild {
  answeredMs: number;
  openedMs: number;
  importedMs: number;
  rss: number;
  mode: string;
  took?: number[];
  answeringRss?: number;
}

async function answering(dir: string, first: string, questionsFile: string, model: 'never' | 'await', env: NodeJS.ProcessEnv, coldRuns: number): Promise<Record<string, unknown>> {
  const cold: number[] = [];
  for (let i = 0; i < coldRuns; i++) cold.push((await child<ColdChild>('cold-start.ts', [dir, first, model], env)).answeredMs);
  const run = await child<ColdChild>('cold-start.ts', [dir, first, model, questionsFile], env);
  const took = distribution(run.took ?? []);
  return {
    mode: run.mode,
    coldStartMs: Math.round(distribution(cold).p50),
    coldSamples: cold.map(Math.round),
    queryMs: { p50: r1(took.p50), p99: r1(took.p99), max: r1(took.max), n: took.n },
    answeringRssMB: mb(run.answeringRss ?? 0),
  };
}

/** Copies a JSONL corpus, changing line `change` (appending a sentence) and dropping line `remove`. */
async function editCorpus(src: string, dest: string, change: number, remove: number | undefined, sentence: string): Promise<{ changedId: string; removedId?: string; removedTitle?: string }> {
  const out = createWriteStream(dest);
  let n = 0;
  let changedId = '';
  let removedId: string | undefined;
  let removedTitle: string | undefined;
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    n++;
    let text = line;
    if (n === change) {
      const row = JSON.parse(line) as { id: string; text: string };
      row.text = `${row.text}\n\n${sentence}`;
      changedId = row.id;
      text = JSON.stringify(row);
    } else if (n === remove) {
      ({ id: removedId, title: removedTitle } = JSON.parse(line) as { id: string; title: string });
      continue;
    }
    if (!out.write(`${text}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return { changedId, removedId, removedTitle };
}

async function firstLines(src: string, dest: string, count: number): Promise<void> {
  const out = createWriteStream(dest);
  let n = 0;
  for await (const line of createInterface({ input: createReadStream(src), crlfDelay: Infinity })) {
    if (n++ >= count) break;
    out.write(`${line}\n`);
  }
  out.end();
  await once(out, 'finish');
}

async function questionSet(limit: number): Promise<string[]> {
  const rtqa = await realtimeQaQuestionSentences().catch(() => [] as string[]);
  const own = (await readQuestions(path.join('eval', 'questions', 'news2022-questions.jsonl'))).map((q) => q.question);
  return [...new Set([...own, ...rtqa].map((q) => q.trim()).filter(Boolean))].slice(0, limit);
}

/** The reader process picking up a new generation: its longest event-loop stall. */
async function refreshStall(dir: string, env: NodeJS.ProcessEnv, update: () => Promise<unknown>, question: string): Promise<Record<string, unknown>> {
  const proc = spawn(process.execPath, [...TSX, path.join('bench', 'refresh-child.ts'), dir], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  await lines.next(); // ready
  await update();
  proc.stdin.write(`refresh ${question}\n`);
  const result = JSON.parse(String((await lines.next()).value)) as Record<string, unknown>;
  proc.stdin.end();
  await once(proc, 'close');
  return result;
}

/** `--model` / `--model-only`: the embedding model path (bench/model.ts); `--model-only` writes its own report. */
async function modelSection(tmp: string, env: NodeJS.ProcessEnv, results: Record<string, unknown>, nQuestions: number): Promise<void> {
  const questions = await questionSet(nQuestions);
  const questionsFile = path.join(tmp, 'model-questions.txt');
  await writeFile(questionsFile, `${questions.join('\n')}\n`);
  results.model = await modelBench({
    news: opts.news,
    seeds: opts.seeds,
    tmp,
    quick: Boolean(opts.quick),
    samplePassages: opts.modelSample,
    buildArticles: opts.modelArticles ?? (opts.quick ? 1000 : undefined),
    questions,
    questionsFile,
    first: 'What did Saldo urge Kherson residents to do?',
    env,
    log,
    child,
    build,
    answering,
    firstLines,
  });
  if (!opts.modelOnly) return;
  const out = opts.out === 'bench/results.json' ? 'bench/results-model.json' : opts.out;
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify((results.model as { targets: unknown }).targets, null, 2)}\n`);
  log(`wrote ${out}`);
}

/**
 * The 400k synthetic corpus: the 40k measurements again (build rate and peak RSS, answers, cold
 * start, answering RSS, one changed article), a merging update (the first three quarters kept:
 * 25 % deleted, so the policy merges), and each figure's growth from 40k projected to 1M articles.
 */
async function hugeRun(
  tmp: string,
  count: number,
  env: NodeJS.ProcessEnv,
  first: string,
  questionsFile: string,
  at40k: { build: Record<string, unknown> & BuildChild; ask: Record<string, unknown>; small: Record<string, unknown>; articles: number },
): Promise<Record<string, unknown>> {
  const corpus = path.join(tmp, 'synthetic-huge.jsonl');
  log(`generating the ${count}-article synthetic corpus`);
  const synthetic = await generateSynthetic(opts.news, corpus, count);
  const dir = path.join(tmp, 'idx-huge');
  const lexical = ['--lexical-only'];
  const load = (): number[] => os.loadavg().map((x) => r1(x));
  const loadBuild = load();
  const built = await build(`${count} lexical`, dir, [corpus], env, lexical);
  log(`answering on ${count} (lexical)`);
  const loadAsk = load();
  const ask = await answering(dir, first, questionsFile, 'never', env, 3);
  log(`one article changed, one removed (${count})`);
  const edited = path.join(tmp, 'synthetic-huge-edited.jsonl');
  await editCorpus(corpus, edited, Math.floor(count / 3), Math.floor(count / 2), 'The zebrafish parliament of Quuxhaven voted on Thursday to rename the harbour lighthouse after a retired ferry pilot.');
  const update = await build(`${count} incremental`, dir, [edited], env, lexical);
  log(`a merging update: the first ${Math.floor(count * 0.75)} articles kept (${count})`);
  const kept = path.join(tmp, 'synthetic-huge-kept.jsonl');
  await firstLines(edited, kept, Math.floor(count * 0.75));
  const loadMerge = load();
  const merging = await build(`${count} merging update`, dir, [kept], env, lexical);
  const p = (x: Record<string, unknown>): { p50: number; p99: number } => x.queryMs as { p50: number; p99: number };
  const ratio = (a: number, b: number): number => Math.round((100 * a) / b) / 100;
  // Growth exponent from 40k to `count`, carried on to 1M: v(1M) = v(count) · (1M / count)^e.
  const project = (v40: number, vHuge: number): number => {
    const e = Math.log(vHuge / v40) / Math.log(count / at40k.articles);
    return r1(vHuge * (1_000_000 / count) ** e);
  };
  const shareOfFull = update.report.totalMs / built.report.totalMs;
  const figures = {
    articlesPerSecond: built.articlesPerSecond as number,
    buildPeakRssMB: built.peakRssMB,
    p50Ms: p(ask).p50,
    p99Ms: p(ask).p99,
    p50RatioTo2k5: ratio(p(ask).p50, p(at40k.small).p50),
    coldStartMs: ask.coldStartMs as number,
    coldStartRatioTo2k5: ratio(Number(ask.coldStartMs), Number(at40k.small.coldStartMs)),
    answeringRssMB: ask.answeringRssMB as number,
    oneChangeSeconds: r1(update.report.totalMs / 1000),
    oneChangeShareOfFullBuild: Math.round(shareOfFull * 1000) / 1000,
    mergingUpdateSeconds: r1(merging.report.totalMs / 1000),
    mergingUpdatePeakRssMB: merging.peakRssMB,
  };
  const projected1M = {
    buildSeconds: project(at40k.build.report.totalMs / 1000, built.report.totalMs / 1000),
    buildPeakRssMB: project(at40k.build.peakRssMB, built.peakRssMB),
    p50Ms: project(p(at40k.ask).p50, p(ask).p50),
    p99Ms: project(p(at40k.ask).p99, p(ask).p99),
    coldStartMs: project(Number(at40k.ask.coldStartMs), Number(ask.coldStartMs)),
    answeringRssMB: project(Number(at40k.ask.answeringRssMB), Number(ask.answeringRssMB)),
  };
  const targets = {
    articlesPerSecond: { measured: figures.articlesPerSecond, ...checkTarget(figures.articlesPerSecond, 600, 'min') },
    buildPeakRssMB: { measured: figures.buildPeakRssMB, ...checkTarget(figures.buildPeakRssMB, 1024, 'max') },
    p50RatioTo2k5: { measured: figures.p50RatioTo2k5, ...checkTarget(figures.p50RatioTo2k5, 3, 'max') },
    p99Ms: { measured: figures.p99Ms, ...checkTarget(figures.p99Ms, 150, 'max') },
    coldStartRatioTo2k5: { measured: figures.coldStartRatioTo2k5, ...checkTarget(figures.coldStartRatioTo2k5, 1.5, 'max') },
    answeringRssMB: { measured: figures.answeringRssMB, ...checkTarget(figures.answeringRssMB, 600, 'max') },
    oneChangeShareOfFullBuild: { measured: figures.oneChangeShareOfFullBuild, ...checkTarget(figures.oneChangeShareOfFullBuild, 0.02, 'max') },
    mergingUpdatePeakRssMB: { measured: figures.mergingUpdatePeakRssMB, ...checkTarget(figures.mergingUpdatePeakRssMB, 1024, 'max') },
  };
  log(`${count}: ${JSON.stringify(figures)}`);
  return { articles: count, synthetic, load: { build: loadBuild, answering: loadAsk, merging: loadMerge }, build: built, answering: ask, update, merging, figures, projected1M, targets };
}

async function main(): Promise<void> {
  const started = performance.now();
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-bench-'));
  log(`temp folder ${tmp}`);
  const small = opts.quick ? 500 : 2500;
  const large = opts.quick ? 4000 : 40_000;
  const nQuestions = opts.questions ?? (opts.quick ? 100 : 300);
  const env: NodeJS.ProcessEnv = { ...process.env, ALLOW_REMOTE_MODELS: 'false', MODEL_DIR: path.join(tmp, 'no-models'), EMBEDDING_MODEL: '' };
  const results: Record<string, unknown> = {
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memGB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadavg: os.loadavg() },
    sizes: { small, large, questions: nQuestions },
  };
  try {
    if (opts.modelOnly) {
      await modelSection(tmp, env, results, nQuestions);
      return;
    }
    const smallCorpus = path.join(tmp, 'news-first.jsonl');
    await firstLines(opts.news, smallCorpus, small);
    const synthetic = path.join(tmp, 'synthetic.jsonl');
    log(`generating the ${large}-article synthetic corpus`);
    results.synthetic = await generateSynthetic(opts.news, synthetic, large);
    const questions = await questionSet(nQuestions);
    const questionsFile = path.join(tmp, 'questions.txt');
    await writeFile(questionsFile, `${questions.join('\n')}\n`);
    const first = 'What did Saldo urge Kherson residents to do?';

    const smallDir = path.join(tmp, 'idx-small');
    const largeDir = path.join(tmp, 'idx-large');
    const lexical = ['--lexical-only'];
    const buildSmall = await build('2.5k lexical', smallDir, [smallCorpus, opts.seeds], env, lexical);
    const buildLarge = await build('40k lexical', largeDir, [synthetic], env, lexical);
    const newsDir = path.join(tmp, 'idx-news');
    const buildNews = await build('news-2022 lexical', newsDir, [opts.news, opts.seeds], env, lexical);
    // Query figures at the middle size too, so the charts have news-2022 between 2.5k and 40k.
    log('answering on news-2022 (lexical)');
    const askNews = await answering(newsDir, first, questionsFile, 'never', env, 1);
    await rm(newsDir, { recursive: true, force: true });
    results.build = { small: buildSmall, large: buildLarge, news: buildNews };

    log('answering (lexical)');
    const askSmall = await answering(smallDir, first, questionsFile, 'never', env, 3);
    const askLarge = await answering(largeDir, first, questionsFile, 'never', env, 3);
    results.lexical = { small: askSmall, news: askNews, large: askLarge };

    log('incremental update of the 40k index: one article changed, one removed');
    const marker = 'The zebrafish parliament of Quuxhaven voted on Thursday to rename the harbour lighthouse after a retired ferry pilot.';
    const edited = path.join(tmp, 'synthetic-edited.jsonl');
    const { changedId, removedId, removedTitle } = await editCorpus(synthetic, edited, Math.floor(large / 3), Math.floor(large / 2), marker);
    let update: (Record<string, unknown> & BuildChild) | undefined;
    const stall = await refreshStall(
      largeDir,
      env,
      async () => {
        update = await build('40k incremental', largeDir, [edited], env, lexical);
      },
      'What did the zebrafish parliament of Quuxhaven vote to rename after a retired ferry pilot?',
    );
    const top = stall.top as string[];
    // The removed article's own title as the question: before the update it would be found first.
    const gone = await child<ColdChild & { top: string[] }>('cold-start.ts', [largeDir, removedTitle ?? '', 'never'], env);
    results.incremental = {
      seconds: update!.seconds,
      shareOfFullBuild: r1((100 * (update!.report.totalMs / buildLarge.report.totalMs))) / 100,
      report: update!.report,
      changedId,
      changedFoundAtRank1: top[0] === changedId,
      removedId,
      removedGone: !gone.top.includes(removedId ?? ''),
      refresh: stall,
    };

    if (!opts.skipHybrid) {
      log(`hybrid with the generated tiny model (2.5k${opts.hybridLarge ? ' and 40k' : ''})`);
      const modelDir = path.join(tmp, 'models');
      const model = await createTinyModel(modelDir, { dim: 64, words: [], modelId: 'archivist-bench/tiny-static-embed' });
      const denseEnv = { ...env, MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId };
      const hybSmallDir = path.join(tmp, 'hyb-small');
      const hybLargeDir = path.join(tmp, 'hyb-large');
      const hb1 = await build('2.5k hybrid', hybSmallDir, [smallCorpus, opts.seeds], denseEnv);
      const hybrid: Record<string, unknown> = { build: { small: hb1 }, small: await answering(hybSmallDir, first, questionsFile, 'await', denseEnv, 1) };
      if (opts.hybridLarge) {
        (hybrid.build as Record<string, unknown>).large = await build('40k hybrid', hybLargeDir, [synthetic], denseEnv);
        hybrid.large = await answering(hybLargeDir, first, questionsFile, 'await', denseEnv, 1);
      }
      results.hybrid = hybrid;
    }

    const q = (x: Record<string, unknown>): { p50: number; p99: number } => x.queryMs as { p50: number; p99: number };
    if (opts.huge) {
      // The largest index last, once the 40k one is gone (disk) and with the same question set.
      await rm(largeDir, { recursive: true, force: true });
      const hugeCount = typeof opts.huge === 'number' ? opts.huge : large * 10;
      results.huge = await hugeRun(tmp, hugeCount, env, first, questionsFile, { build: buildLarge, ask: askLarge, small: askSmall, articles: large });
    }
    results.targets = {
      build40kArticlesPerSecond: { measured: buildLarge.articlesPerSecond, ...checkTarget(Number(buildLarge.articlesPerSecond), 500, 'min') },
      build40kPeakRssMB: { measured: buildLarge.peakRssMB, ...checkTarget(buildLarge.peakRssMB, 1536, 'max') },
      newsLexicalBuildSeconds: { measured: buildNews.seconds, ...checkTarget(Number(buildNews.seconds), 20, 'max') },
      coldStartRatio: { measured: r1(Number(askLarge.coldStartMs) / Number(askSmall.coldStartMs) * 100) / 100, ...checkTarget(Number(askLarge.coldStartMs) / Number(askSmall.coldStartMs), 1.5, 'max') },
      p50Ratio: { measured: r1((q(askLarge).p50 / q(askSmall).p50) * 100) / 100, ...checkTarget(q(askLarge).p50 / q(askSmall).p50, 3, 'max') },
      p99Ms40k: { measured: q(askLarge).p99, ...checkTarget(q(askLarge).p99, 150, 'max') },
      answeringRssMB40k: { measured: askLarge.answeringRssMB, ...checkTarget(Number(askLarge.answeringRssMB), 800, 'max') },
      incrementalShare: { measured: (results.incremental as { shareOfFullBuild: number }).shareOfFullBuild, ...checkTarget((results.incremental as { shareOfFullBuild: number }).shareOfFullBuild, 0.15, 'max') },
      refreshStallMs: { measured: r1(Number(stall.maxStallMs)), ...checkTarget(Number(stall.maxStallMs), 100, 'max') },
    };
    if (opts.model) await modelSection(tmp, env, results, nQuestions);
    results.totalSeconds = Math.round((performance.now() - started) / 1000);
    await mkdir(path.dirname(opts.out), { recursive: true });
    await writeFile(opts.out, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results.targets, null, 2)}\n`);
    log(`wrote ${opts.out}`);
    // A --quick run must not overwrite the committed charts of a full run.
    const chartsDir = opts.charts ?? (opts.quick ? undefined : 'docs');
    if (chartsDir) for (const file of await writeCharts({ results: opts.out, outDir: chartsDir })) log(`wrote ${file}`);
  } finally {
    if (!opts.keep) await rm(tmp, { recursive: true, force: true });
    else log(`kept ${tmp}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
