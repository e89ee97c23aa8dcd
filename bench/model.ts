/**
 * The model section of `npm run bench -- --model`: the real embedding path with the stand-in of
 * Xenova/bge-small-en-v1.5 (bench/standin-model.py: its shape, generated weights), loaded as the
 * default model is.
 *   1. embedding sweep on a passage sample of news-2022 (bench/embed-child.ts, one process per
 *      setting, rounds in alternating order so the settings share the machine's load): both ONNX
 *      files, batch sizes, intra-op threads, length buckets vs corpus order; query-embedding p50/p99
 *      (distinct questions, then the same again from the cache); RSS with the model loaded;
 *   2. news-2022 built with the quantized model and the default settings, beside a lexical build;
 *   3. hybrid answers p50/p99 against lexical on that index;
 *   4. the bot's first answer while the model loads (bench/first-answer.ts).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chunkArticle } from '../src/chunk.js';
import { embeddingText } from '../src/indexer/build.js';
import { newStreamStats, streamCorpus } from '../src/ingest/stream.js';
import { checkTarget, distribution } from './stats.js';
import { ensureStandin, STANDIN_MODEL_ID } from './standin.js';

type Child = <T>(script: string, args: string[], env: NodeJS.ProcessEnv) => Promise<T & { wallMs: number }>;

export interface ModelBenchContext {
  news: string;
  seeds: string;
  tmp: string;
  quick: boolean;
  /** Passages of the embedding sweep and builds' article limit (undefined: all of news-2022). */
  samplePassages?: number;
  buildArticles?: number;
  questions: string[];
  questionsFile: string;
  first: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  child: Child;
  build: (name: string, out: string, corpus: string[], env: NodeJS.ProcessEnv, extra?: string[]) => Promise<Record<string, unknown> & { peakRssMB: number; report: { chunks: number; totalMs: number; stageMs: Record<string, number> } }>;
  answering: (dir: string, first: string, questionsFile: string, model: 'never' | 'await', env: NodeJS.ProcessEnv, coldRuns: number) => Promise<Record<string, unknown>>;
  firstLines: (src: string, dest: string, count: number) => Promise<void>;
}

interface EmbedChild {
  loadMs: number;
  passages: number;
  embedMs: number;
  passagesPerSecond: number;
  cpuMsPerPassage: number;
  queryCpuMs: number;
  queryMs: { p50: number; p99: number };
  repeatedQueryMs: { p50: number; p99: number };
  rssMB: { beforeLoad: number; loaded: number; embedding: number; peak: number };
}

interface Setting {
  name: string;
  quantized: boolean;
  batch: number;
  threads: number;
  order: 'length' | 'input';
}

/** The passages a build would embed from the first articles of a corpus, as the model sees them. */
async function passageSample(file: string, limit: number): Promise<string[]> {
  const out: string[] = [];
  let id = 0;
  for await (const item of streamCorpus([file], newStreamStats())) {
    if (item.kind !== 'article') continue;
    for (const c of chunkArticle(item.article, () => id++)) out.push(embeddingText(item.article, c));
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}

const median = (xs: number[]): number => distribution(xs).p50;

export async function modelBench(ctx: ModelBenchContext): Promise<Record<string, unknown>> {
  const { log } = ctx;
  log('model: generating (or reusing) the stand-in of Xenova/bge-small-en-v1.5');
  const standin = await ensureStandin({ layers: 12, corpus: [ctx.news] });
  if (standin.generatedMs) log(`model: generated in ${(standin.generatedMs / 1000).toFixed(0)} s`);
  const modelEnv = { ...ctx.env, MODEL_DIR: standin.modelDir, EMBEDDING_MODEL: STANDIN_MODEL_ID };
  const results: Record<string, unknown> = { modelDir: standin.modelDir };

  // 1. The sweep.
  const sampleSize = ctx.samplePassages ?? (ctx.quick ? 200 : 600);
  const sampleFile = path.join(ctx.tmp, 'embed-sample.json');
  const passages = await passageSample(ctx.news, sampleSize);
  await writeFile(sampleFile, JSON.stringify({ passages, questions: ctx.questions.slice(0, ctx.quick ? 50 : 150) }));
  const all: Setting[] = [
    { name: 'int8 b2 (default)', quantized: true, batch: 2, threads: 0, order: 'length' },
    { name: 'int8 b2 corpus order', quantized: true, batch: 2, threads: 0, order: 'input' },
    { name: 'int8 b32 corpus order (before)', quantized: true, batch: 32, threads: 0, order: 'input' },
    { name: 'int8 b1', quantized: true, batch: 1, threads: 0, order: 'length' },
    { name: 'int8 b8', quantized: true, batch: 8, threads: 0, order: 'length' },
    { name: 'int8 b32', quantized: true, batch: 32, threads: 0, order: 'length' },
    { name: 'int8 b2 1 thread', quantized: true, batch: 2, threads: 1, order: 'length' },
    { name: 'fp32 b2', quantized: false, batch: 2, threads: 0, order: 'length' },
    { name: 'fp32 b32', quantized: false, batch: 32, threads: 0, order: 'length' },
  ];
  const QUICK = new Set(['int8 b2 (default)', 'int8 b32 corpus order (before)', 'int8 b8', 'int8 b2 1 thread', 'fp32 b2']);
  const settings = ctx.quick ? all.filter((s) => QUICK.has(s.name)) : all;
  const rounds = ctx.quick ? 1 : 2;
  const runs = new Map<string, EmbedChild[]>();
  for (let r = 0; r < rounds; r++) {
    for (const s of r % 2 === 0 ? settings : [...settings].reverse()) {
      const env = {
        ...modelEnv,
        MODEL_QUANTIZED: String(s.quantized),
        EMBED_BATCH_SIZE: String(s.batch),
        EMBED_THREADS: String(s.threads),
        BENCH_ORDER: s.order,
      };
      const res = await ctx.child<EmbedChild>('embed-child.ts', [sampleFile], env);
      log(`model: ${s.name}: ${res.passagesPerSecond} passages/s (${res.cpuMsPerPassage} CPU-ms each), query p50 ${res.queryMs.p50} ms p99 ${res.queryMs.p99} ms, load ${res.loadMs} ms, RSS loaded ${res.rssMB.loaded} MB`);
      runs.set(s.name, [...(runs.get(s.name) ?? []), res]);
    }
  }
  const sweep = settings.map((s) => {
    const rs = runs.get(s.name)!;
    return {
      ...s,
      passagesPerSecond: median(rs.map((x) => x.passagesPerSecond)),
      cpuMsPerPassage: median(rs.map((x) => x.cpuMsPerPassage)),
      queryCpuMs: median(rs.map((x) => x.queryCpuMs)),
      queryP50Ms: median(rs.map((x) => x.queryMs.p50)),
      queryP99Ms: median(rs.map((x) => x.queryMs.p99)),
      repeatedQueryP50Ms: median(rs.map((x) => x.repeatedQueryMs.p50)),
      loadMs: median(rs.map((x) => x.loadMs)),
      rssLoadedMB: median(rs.map((x) => x.rssMB.loaded)),
      rssPeakMB: median(rs.map((x) => x.rssMB.peak)),
      samples: rs.map((x) => x.passagesPerSecond),
    };
  });
  const base = sweep[0]!;
  const cpuRatio = (name: string): number => Math.round((sweep.find((s) => s.name === name)!.cpuMsPerPassage / base.cpuMsPerPassage) * 100) / 100;
  results.sweep = {
    passages: passages.length,
    rounds,
    settings: sweep,
    // CPU per passage relative to the default (int8, batches of 2 by length): > 1 costs more.
    cpuRelativeToDefault: Object.fromEntries(sweep.map((s) => [s.name, cpuRatio(s.name)])),
    // What an idle 2-core machine would do, from CPU time alone (ONNX Runtime keeps both cores busy).
    idle2CorePassagesPerSecond: Math.round((2000 / base.cpuMsPerPassage) * 10) / 10,
  };

  // 2. news-2022 (or its first articles) with the quantized model, beside a lexical build.
  let corpus = [ctx.news, ctx.seeds];
  if (ctx.buildArticles) {
    const part = path.join(ctx.tmp, 'model-news-part.jsonl');
    await ctx.firstLines(ctx.news, part, ctx.buildArticles);
    corpus = [part, ctx.seeds];
  }
  const lexDir = path.join(ctx.tmp, 'model-lexical');
  const hybDir = path.join(ctx.tmp, 'model-hybrid');
  const lexical = await ctx.build('model: lexical', lexDir, corpus, ctx.env, ['--lexical-only']);
  const hybrid = await ctx.build('model: hybrid (int8 stand-in)', hybDir, corpus, modelEnv);
  const hybridSeconds = Number(hybrid.seconds);
  results.build = {
    articles: ctx.buildArticles ?? 'all',
    lexical,
    hybrid,
    passagesPerSecond: Math.round(hybrid.report.chunks / ((hybrid.report.stageMs.embed ?? hybrid.report.totalMs) / 1000)),
    hybridOverLexical: Math.round((hybridSeconds / Number(lexical.seconds)) * 10) / 10,
  };

  // 3. Answers: the same hybrid index with the model and without.
  log('model: answering on the hybrid index, with the model and without');
  const withModel = await ctx.answering(hybDir, ctx.first, ctx.questionsFile, 'await', modelEnv, 1);
  const withoutModel = await ctx.answering(hybDir, ctx.first, ctx.questionsFile, 'never', modelEnv, 1);
  const q = (x: Record<string, unknown>): { p50: number; p99: number } => x.queryMs as { p50: number; p99: number };
  results.answering = { hybrid: withModel, lexical: withoutModel, p50Ratio: Math.round((q(withModel).p50 / q(withoutModel).p50) * 100) / 100 };

  // 4. The bot's first answer while the model loads.
  log('model: the bot, first answer while the model loads');
  type BotRun = { readyMs: number; answeredMs: number; modelSettledMs?: number; answeredBeforeModel: boolean };
  const bot = await ctx.child<BotRun>('first-answer.ts', [hybDir, standin.modelDir, ctx.first], modelEnv);
  // The same bot and index with no model to load: what start-up costs without it, on the same machine.
  const noModel = await ctx.child<BotRun>('first-answer.ts', [hybDir, path.join(ctx.tmp, 'no-models'), ctx.first], modelEnv);
  results.bot = { withModel: bot, withoutModel: noModel, extraMsWithModel: bot.answeredMs - noModel.answeredMs };

  const full = !ctx.buildArticles;
  results.targets = {
    ...(full ? { newsHybridBuildMinutes: { measured: Math.round((hybridSeconds / 60) * 10) / 10, ...checkTarget(hybridSeconds / 60, 10, 'max') } } : {}),
    queryEmbeddingP50Ms: { measured: base.queryP50Ms, ...checkTarget(base.queryP50Ms, 15, 'max') },
    hybridAnswerP50OverLexical: { measured: (results.answering as { p50Ratio: number }).p50Ratio, ...checkTarget((results.answering as { p50Ratio: number }).p50Ratio, 1.5, 'max') },
    botFirstAnswerMs: { measured: bot.answeredMs, ...checkTarget(bot.answeredMs, 5000, 'max') },
  };
  return results;
}
