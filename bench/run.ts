/**
 * `npm run bench [-- --quick] [--skip-dense] [--out bench/results.json]`: speed and size benchmarks on
 * ../shared/corpus/news-2022.jsonl + corpus/ (the seeds). Writes a JSON report and prints a table.
 * Not part of `npm test`. All builds go to a temp folder under os.tmpdir(), removed afterwards.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Command } from 'commander';
import MiniSearch from 'minisearch';
import { loadCoreConfig, type CoreConfig } from '../src/config.js';
import { loadEmbedder } from '../src/embed/embedder.js';
import { buildIndex, type BuildReport, type BuildStage } from '../src/index/build.js';
import { loadLexical } from '../src/index/lexical.js';
import { FILES, readJsonFile, resolveBuildDir, type StoreFile } from '../src/index/store.js';
import { loadVectorIndex, searchVectors } from '../src/index/vector.js';
import { Searcher } from '../src/search/searcher.js';
import type { Answer, QueryStage } from '../src/types.js';
import { createTinyModel } from '../tests/support/tiny-model.js';
import { readQuestions } from '../eval/evaluate.js';
import { realtimeQaQuestionSentences } from '../eval/realtimeqa-data.js';
import { checkTarget, distribution, exactCosineTopK, inverseNorms, recallAtK, tieAwareRecallAtK, type Distribution } from './stats.js';

const program = new Command()
  .name('npm run bench --')
  .description('Speed and size benchmarks on the news-2022 corpus; writes bench/results.json.')
  .option('--quick', 'a small run for iteration (1,500 articles, 200 questions)')
  .option('--skip-dense', 'skip the tiny-model (hybrid) build, hybrid queries and the ANN comparison')
  .option('--news <file>', 'the news corpus', path.join('..', 'shared', 'corpus', 'news-2022.jsonl'))
  .option('--seeds <dir>', 'extra corpus folder (the seed articles)', 'corpus')
  .option('--questions <n>', 'questions for the latency runs (default all: ≥ 500)', (v) => Number(v))
  .option('--dim <n>', 'tiny model width', (v) => Number(v), 384)
  .option('--pooling <mean|cls>', 'tiny-model pooling for the hybrid build (cls: the bge path; the tiny model\'s [CLS] is the masked mean)', 'cls')
  .option('--compare-questions <n>', 'questions for the plain-MiniSearch side-by-side (it is slow: no stop words)', (v) => Number(v), 200)
  .option('--skip-compare', 'skip our BM25 vs plain MiniSearch')
  .option('--skip-cold', 'skip the cold-start runs')
  .option('--skip-incremental', 'skip the incremental reindex')
  .option('--cold-runs <n>', 'cold starts per index', (v) => Number(v), 3)
  .option('--out <file>', 'JSON report', path.join('bench', 'results.json'))
  .option('--keep', 'keep the temp folder (indexes, model) and print its path')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ quick?: boolean; skipDense?: boolean; news: string; seeds: string; questions?: number; dim: number; pooling: string; compareQuestions: number; skipCompare?: boolean; skipCold?: boolean; skipIncremental?: boolean; coldRuns: number; out: string; keep?: boolean }>();

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);
const loadavg = (): number[] => os.loadavg().map((x) => Math.round(x * 100) / 100);
const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const r1 = (x: number): number => Math.round(x * 10) / 10;

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await dirSize(p) : (await stat(p)).size;
  }
  return total;
}

/** The commit, and whether src/ had uncommitted changes (other engineers edit it in parallel). */
function gitState(): { commit: string; dirtySrc: string[] } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirtySrc = execFileSync('git', ['status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    return { commit, dirtySrc };
  } catch {
    return { commit: 'unknown', dirtySrc: [] };
  }
}

async function machine(): Promise<Record<string, unknown>> {
  const cpuinfo = await readFile('/proc/cpuinfo', 'utf8').catch(() => '');
  return {
    nproc: os.availableParallelism(),
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadavgAtStart: loadavg(),
    git: gitState(),
  };
}

const STAGES: BuildStage[] = ['load', 'chunk', 'model', 'embed', 'hnsw', 'lexical', 'write'];

function buildSummary(report: BuildReport, sizeBytes: number, loadBefore: number[]): Record<string, unknown> {
  const stages = Object.fromEntries(
    STAGES.filter((s) => report.stageMs[s] !== undefined).map((s) => {
      const ms = report.stageMs[s]!;
      const per = (n: number): number | null => (ms > 0 ? Math.round((n / ms) * 1000) : null);
      const items = s === 'embed' ? report.embedded : report.chunks;
      return [s, { ms, articlesPerS: per(report.articles), chunksPerS: per(items) }];
    }),
  );
  return {
    mode: report.mode,
    articles: report.articles,
    chunks: report.chunks,
    duplicates: report.duplicates,
    problems: report.problems.length,
    embedded: report.embedded,
    reused: report.reused,
    totalMs: report.totalMs,
    articlesPerS: Math.round((report.articles / report.totalMs) * 1000),
    chunksPerS: Math.round((report.chunks / report.totalMs) * 1000),
    stages,
    sizeBytes,
    sizeMB: mb(sizeBytes),
    loadavgBefore: loadBefore,
    loadavgAfter: loadavg(),
  };
}

async function timedBuild(name: string, corpus: string[], out: string, settings: CoreConfig, lexicalOnly: boolean): Promise<{ report: BuildReport; summary: Record<string, unknown> }> {
  const before = loadavg();
  log(`${name}: building ${corpus.join(' + ')} → ${out} (load ${before.join(' ')})`);
  let lastStage = '';
  const report = await buildIndex({
    corpus,
    out,
    settings,
    lexicalOnly,
    onProgress: (p) => {
      if (p.stage !== lastStage) log(`${name}: ${p.stage}…`);
      else if (p.stage === 'embed' && p.done % 3200 === 0 && p.done > 0) log(`${name}: embedded ${p.done}/${p.total} (load ${loadavg()[0]})`);
      lastStage = p.stage;
    },
  });
  const files = await readJsonFile<{ files: Record<string, number> }>(report.buildDir, FILES.manifest);
  const summary = { ...buildSummary(report, await dirSize(report.buildDir), before), files: files.files };
  log(`${name}: ${report.articles} articles, ${report.chunks} chunks in ${(report.totalMs / 1000).toFixed(1)} s ${JSON.stringify(report.stageMs)}`);
  return { report, summary };
}

interface QueryRun {
  questions: number;
  abstained: number;
  tookMs: Distribution;
  stages: Partial<Record<QueryStage, Distribution>>;
  loadavgBefore: number[];
  loadavgAfter: number[];
}

async function queryRun(searcher: Searcher, questions: string[]): Promise<QueryRun> {
  for (const q of questions) await searcher.ask(q, { k: 5 }); // warm-up pass
  const before = loadavg();
  const took: number[] = [];
  const stages: Partial<Record<QueryStage, number[]>> = {};
  let abstained = 0;
  for (const q of questions) {
    const a: Answer = await searcher.ask(q, { k: 5 });
    took.push(a.tookMs);
    if (a.abstained) abstained++;
    for (const [stage, ms] of Object.entries(a.timings ?? {}) as Array<[QueryStage, number]>) (stages[stage] ??= []).push(ms);
  }
  return {
    questions: questions.length,
    abstained,
    tookMs: distribution(took),
    stages: Object.fromEntries(Object.entries(stages).map(([s, xs]) => [s, distribution(xs)])),
    loadavgBefore: before,
    loadavgAfter: loadavg(),
  };
}

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Our BM25 (as Searcher runs it, and our index with one plain search) vs plain MiniSearch defaults. */
async function lexicalComparison(buildDir: string, searcher: Searcher, questions: string[]): Promise<Record<string, unknown>> {
  const store = await readJsonFile<StoreFile>(buildDir, FILES.store);
  const passages = store.chunks.map(([ai, , start, end], id) => ({ id, title: store.articles[ai]!.title, text: store.articles[ai]!.text.slice(start, end) }));
  const json = await readFile(path.join(buildDir, FILES.lexical), 'utf8');

  let h0 = heapUsed();
  const t0 = performance.now();
  let ours: ReturnType<typeof loadLexical> | undefined = loadLexical(json);
  const oursLoadMs = performance.now() - t0;
  const oursHeap = heapUsed() - h0;

  h0 = heapUsed();
  const t1 = performance.now();
  let plain: MiniSearch | undefined = new MiniSearch({ fields: ['title', 'text'] });
  plain.addAll(passages);
  const plainBuildMs = performance.now() - t1;
  const plainHeap = heapUsed() - h0;

  const time = (fn: (q: string) => unknown): Distribution => {
    for (const q of questions) fn(q);
    const xs: number[] = [];
    for (const q of questions) {
      const t = performance.now();
      fn(q);
      xs.push(performance.now() - t);
    }
    return distribution(xs);
  };
  const plainLatency = time((q) => plain!.search(q).slice(0, 100));
  const oursOnePass = time((q) => ours!.search(q).slice(0, 100));
  // The bm25 stage of Searcher.ask on the same questions (warm-up pass, then measured).
  const oursBm25 = (await queryRun(searcher, questions)).stages.bm25!;
  ours = undefined;
  plain = undefined;
  void searcher;
  return {
    passages: passages.length,
    questions: questions.length,
    oursBm25Stage: oursBm25,
    oursOnePassSearch: oursOnePass,
    plainMinisearch: plainLatency,
    ratioP50: r1(oursBm25.p50 / plainLatency.p50 * 100) / 100,
    ratioP99: r1(oursBm25.p99 / plainLatency.p99 * 100) / 100,
    oursHeapMB: mb(oursHeap),
    plainHeapMB: mb(plainHeap),
    heapRatio: Math.round((oursHeap / plainHeap) * 100) / 100,
    oursLoadFromJsonMs: Math.round(oursLoadMs),
    plainBuildMs: Math.round(plainBuildMs),
    note: 'ours = the bm25 stage of Searcher.ask (two-pass keyword search, top 100); plain = new MiniSearch({fields:["title","text"]}).search(q) top 100; heap = heapUsed delta after gc (index only, passages excluded)',
  };
}

/** hnswlib vs exact brute-force cosine over vectors.f32, on the questions' query vectors. */
async function annComparison(buildDir: string, settings: CoreConfig, dim: number, questions: string[], efSearch: number): Promise<Record<string, unknown>> {
  const loaded = await loadEmbedder(settings);
  if ('error' in loaded) throw new Error(loaded.error);
  const queries: Float32Array[] = [];
  for (const q of questions) queries.push(await loaded.embedder.embedQuery(q));
  const buf = await readFile(path.join(buildDir, FILES.vectors));
  const vectors = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const norms = inverseNorms(vectors, dim);
  const n = norms.length;
  const exactMs: number[] = [];
  const exact = queries.map((q) => {
    const t = performance.now();
    const top = exactCosineTopK(vectors, norms, dim, q, 10);
    exactMs.push(performance.now() - t);
    return top;
  });
  const index = loadVectorIndex(path.join(buildDir, FILES.hnsw), dim, efSearch);
  const efs = [...new Set([efSearch, 128, 256, 512])];
  const byEf: Record<string, unknown> = {};
  const exactDist = distribution(exactMs);
  for (const ef of efs) {
    index.setEf(ef);
    for (const q of queries.slice(0, 50)) index.searchKnn(Array.from(q), 10); // warm-up
    const ms: number[] = [];
    const recall: number[] = [];
    const tieRecall: number[] = [];
    queries.forEach((q, i) => {
      const t = performance.now();
      const { neighbors, distances } = index.searchKnn(Array.from(q), 10);
      ms.push(performance.now() - t);
      recall.push(recallAtK(neighbors, exact[i]!.ids, 10));
      tieRecall.push(tieAwareRecallAtK(distances.map((d) => 1 - d), exact[i]!.scores, 10));
    });
    const lat = distribution(ms);
    byEf[`ef${ef}`] = {
      ef,
      recallAt10: Math.round((recall.reduce((s, x) => s + x, 0) / recall.length) * 10000) / 10000,
      tieAwareRecallAt10: Math.round((tieRecall.reduce((s, x) => s + x, 0) / tieRecall.length) * 10000) / 10000,
      latency: lat,
      speedupP50: r1(exactDist.p50 / lat.p50),
    };
  }
  // As Searcher.ask uses it: 100 candidates (ef = max(64, 100)); recall of its top 10.
  const asUsed: number[] = [];
  const asUsedMs: number[] = [];
  queries.forEach((q, i) => {
    const t = performance.now();
    const hits = searchVectors(index, q, 100, efSearch);
    asUsedMs.push(performance.now() - t);
    asUsed.push(recallAtK(hits.map((h) => h.id), exact[i]!.ids, 10));
  });
  // How much the similarities stand apart: static embeddings of long passages crowd around the mean vector.
  const mean = (xs: number[]): number => Math.round((xs.reduce((s, x) => s + x, 0) / xs.length) * 10000) / 10000;
  const randomSims: number[] = [];
  queries.forEach((q, i) => {
    const j = (i * 7919) % n;
    let dot = 0;
    let qq = 0;
    for (let d = 0; d < dim; d++) {
      dot += vectors[j * dim + d]! * q[d]!;
      qq += q[d]! * q[d]!;
    }
    randomSims.push((dot * norms[j]!) / Math.sqrt(qq));
  });
  return {
    vectors: n,
    dim,
    similaritySpread: { exactTop1: mean(exact.map((e) => e.scores[0]!)), exactTop10: mean(exact.map((e) => e.scores[9]!)), randomPassage: mean(randomSims) },
    queries: queries.length,
    exactBruteForce: exactDist,
    hnsw: byEf,
    asUsedByAsk: { k: 100, ef: Math.max(efSearch, 100), recallAt10: Math.round((asUsed.reduce((s, x) => s + x, 0) / asUsed.length) * 10000) / 10000, latency: distribution(asUsedMs) },
    note: 'recall@10 = share of the exact top-10 ids found in hnswlib top-10; tie-aware counts hits with similarity ≥ the exact 10th (duplicate passages)',
  };
}

/**
 * Passage-embedding throughput of the tiny model with mean vs CLS pooling, on the same 256 passages
 * (batches of EMBED_BATCH_SIZE): Transformers.js 2.x pools 'mean' in JS through its Tensor proxy.
 */
async function embedThroughput(store: StoreFile, env: NodeJS.ProcessEnv): Promise<Record<string, unknown>> {
  const texts = store.chunks.slice(0, 256).map(([ai, , start, end]) => `${store.articles[ai]!.title}\n${store.articles[ai]!.text.slice(start, end)}`);
  const out: Record<string, unknown> = { passages: texts.length };
  for (const pooling of ['mean', 'cls'] as const) {
    const settings = loadCoreConfig({ ...env, EMBEDDING_POOLING: pooling });
    const loaded = await loadEmbedder(settings);
    if ('error' in loaded) throw new Error(loaded.error);
    await loaded.embedder.embedPassages(texts.slice(0, settings.EMBED_BATCH_SIZE));
    const before = loadavg()[0];
    const t = performance.now();
    for (let b = 0; b < texts.length; b += settings.EMBED_BATCH_SIZE) await loaded.embedder.embedPassages(texts.slice(b, b + settings.EMBED_BATCH_SIZE));
    const ms = performance.now() - t;
    out[pooling] = { msPerPassage: Math.round((ms / texts.length) * 100) / 100, passagesPerS: Math.round((texts.length / ms) * 1000), loadavg: before };
    log(`embed throughput (${pooling} pooling): ${(ms / texts.length).toFixed(1)} ms/passage`);
  }
  return out;
}

/** Process start → first answer, in a fresh node process (node --import tsx, as npm run ask does via tsx). */
async function coldStart(dir: string, question: string, model: 'never' | 'await', env: NodeJS.ProcessEnv, runs: number): Promise<Record<string, unknown>> {
  log(`cold start (${model === 'never' ? 'lexical' : 'hybrid'})`);
  const samples: Array<Record<string, number> & { wallMs: number }> = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join('bench', 'cold-start.ts'), dir, question, model], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`cold-start child exited ${code}: ${stderr.slice(0, 500)}`))));
    });
    const wallMs = performance.now() - started;
    const line = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>;
    samples.push({ ...line, wallMs });
  }
  const med = (k: string): number => {
    const xs = samples.map((s) => s[k]!).sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  return {
    runs,
    wallToExitMs: Math.round(med('wallMs')),
    toFirstAnswerMs: Math.round(med('answeredMs')),
    importsDoneMs: Math.round(med('importedMs')),
    openedMs: Math.round(med('openedMs')),
    rssMB: mb(med('rss')),
    heapUsedMB: mb(med('heapUsed')),
    mode: samples[0]!.mode,
    samples: samples.map((s) => ({ wallMs: Math.round(s.wallMs), answeredMs: Math.round(s.answeredMs!), rssMB: mb(s.rss!) })),
    note: 'medians; toFirstAnswerMs = child process.uptime() when the first answer is ready (includes node start, tsx, imports, Searcher.open, one ask); wallToExitMs also includes process exit',
  };
}

/** Modifies one article's text (line `line` of a JSONL copy). */
async function changeOneArticle(src: string, dest: string, line: number): Promise<string> {
  const lines = (await readFile(src, 'utf8')).split('\n');
  const i = Math.min(line, lines.length - 2);
  const row = JSON.parse(lines[i]!) as Record<string, unknown>;
  const key = ['text', 'body', 'content', 'article'].find((k) => typeof row[k] === 'string') ?? 'text';
  row[key] = `${String(row[key])}\n\nThis sentence was added by the incremental-reindex benchmark at ${new Date().toISOString()}.`;
  lines[i] = JSON.stringify(row);
  await writeFile(dest, lines.join('\n'));
  return String(row.id ?? row.title ?? i);
}

async function questionSet(limit: number | undefined): Promise<string[]> {
  const rtqa = await realtimeQaQuestionSentences();
  const own = (await readQuestions(path.join('eval', 'questions', 'news2022-questions.jsonl'))).map((q) => q.question);
  const all = [...new Set([...rtqa, ...own].map((q) => q.trim()).filter(Boolean))];
  return limit ? all.slice(0, limit) : all;
}

function vocabulary(texts: Iterable<string>, size: number): string[] {
  const counts = new Map<string, number>();
  for (const t of texts) for (const w of t.toLowerCase().match(/[a-z][a-z'-]{1,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, size).map(([w]) => w);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  const results: Record<string, unknown> = { machine: await machine(), options: opts };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-bench-'));
  log(`temp folder ${tmp}`);
  try {
    // Corpus: the full news file, or (quick) its first 1,500 lines.
    let news = opts.news;
    if (opts.quick) {
      news = path.join(tmp, 'news-sample.jsonl');
      const lines = (await readFile(opts.news, 'utf8')).split('\n').slice(0, 1500);
      await writeFile(news, lines.join('\n') + '\n');
    }
    const corpus = [news, opts.seeds];
    const questions = await questionSet(opts.questions ?? (opts.quick ? 200 : undefined));
    results.corpus = { paths: corpus, questions: questions.length };
    const baseEnv = { ...process.env, ALLOW_REMOTE_MODELS: 'false' };

    // 1. Lexical-only build.
    const lexDir = path.join(tmp, 'lexical');
    const lexSettings = loadCoreConfig(baseEnv);
    const lex = await timedBuild('lexical build', corpus, lexDir, lexSettings, true);
    results.indexLexical = lex.summary;

    // 2. Lexical queries, and our BM25 vs plain MiniSearch.
    log(`lexical queries: ${questions.length} questions, warm-up pass + measured pass`);
    let searcher: Searcher | undefined = await Searcher.open(lexDir, lexSettings, { model: 'never' });
    const lexRun = await queryRun(searcher, questions);
    results.queryLexical = lexRun;
    log(`lexical queries: p50 ${lexRun.tookMs.p50} ms, p95 ${lexRun.tookMs.p95} ms, p99 ${lexRun.tookMs.p99} ms`);
    if (!opts.skipCompare) log('our BM25 vs plain MiniSearch');
    if (!opts.skipCompare) results.bm25VsMinisearch = await lexicalComparison(lex.report.buildDir, searcher, questions.slice(0, opts.compareQuestions));
    searcher = undefined;
    gc();

    const coldQuestion = 'What did Saldo urge Kherson residents to do?';
    if (!opts.skipCold) results.coldStartLexical = await coldStart(lexDir, coldQuestion, 'never', baseEnv, opts.coldRuns);

    let incrementalOut = lexDir;
    let incrementalSettings = lexSettings;
    if (!opts.skipDense) {
      // 3. Hybrid build with the generated tiny model (real ONNX + tokenizer through Transformers.js).
      const modelDir = path.join(tmp, 'models');
      const t = performance.now();
      const store = await readJsonFile<StoreFile>(lex.report.buildDir, FILES.store);
      const words = vocabulary(
        (function* () {
          for (const a of store.articles) yield `${a.title}\n${a.text}`;
        })(),
        20000,
      );
      const model = await createTinyModel(modelDir, { dim: opts.dim, words, modelId: 'archivist-bench/tiny-static-embed' });
      results.tinyModel = { modelId: model.modelId, dim: model.dim, vocabWords: words.length, createMs: Math.round(performance.now() - t) };
      const denseEnv = { ...baseEnv, MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId, EMBEDDING_POOLING: opts.pooling };
      const hybSettings = loadCoreConfig(denseEnv);
      results.embedThroughput = await embedThroughput(store, denseEnv);
      const hybDir = path.join(tmp, 'hybrid');
      const hyb = await timedBuild('hybrid build', corpus, hybDir, hybSettings, false);
      if (hyb.report.mode !== 'hybrid') throw new Error(`hybrid build fell back to lexical: ${hyb.report.modelError}`);
      results.indexHybrid = { ...hyb.summary, hnswParams: { M: hybSettings.HNSW_M, efConstruction: hybSettings.HNSW_EF_CONSTRUCTION, efSearch: hybSettings.HNSW_EF_SEARCH } };

      log(`hybrid queries: ${questions.length} questions, warm-up pass + measured pass`);
      searcher = await Searcher.open(hybDir, hybSettings, { model: 'await' });
      if (searcher.mode !== 'hybrid') throw new Error(`hybrid searcher is ${searcher.mode}: ${searcher.status().modelError}`);
      const hybRun = await queryRun(searcher, questions);
      results.queryHybrid = hybRun;
      log(`hybrid queries: p50 ${hybRun.tookMs.p50} ms, p95 ${hybRun.tookMs.p95} ms, p99 ${hybRun.tookMs.p99} ms`);
      searcher = undefined;
      gc();

      log('hnswlib vs exact cosine');
      results.annVsExact = await annComparison(hyb.report.buildDir, hybSettings, model.dim, opts.quick ? questions : questions.slice(0, 500), hybSettings.HNSW_EF_SEARCH);
      gc();

      if (!opts.skipCold) results.coldStartHybrid = await coldStart(hybDir, coldQuestion, 'await', denseEnv, opts.coldRuns);
      incrementalOut = hybDir;
      incrementalSettings = hybSettings;
    }

    // 4. Incremental reindex after changing one article, into the same out dir.
    if (!opts.skipIncremental) await incremental(news, incrementalOut, incrementalSettings, incrementalOut === lexDir, tmp, results);

    results.targets = targets(results);
    results.benchMs = Math.round(performance.now() - startedAt);
    results.machine = { ...(results.machine as object), loadavgAtEnd: loadavg() };
    await mkdir(path.dirname(opts.out), { recursive: true });
    await writeFile(opts.out, JSON.stringify(results, null, 2) + '\n');
    process.stdout.write(table(results));
    log(`wrote ${opts.out} in ${((performance.now() - startedAt) / 1000).toFixed(0)} s`);
  } finally {
    if (opts.keep) log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  }
}

async function incremental(news: string, out: string, settings: CoreConfig, lexicalOnly: boolean, tmp: string, results: Record<string, unknown>): Promise<void> {
  const incDir = path.join(tmp, 'incremental');
  await mkdir(incDir, { recursive: true });
  const changedCopy = path.join(incDir, path.basename(news));
  // An unchanged copy first, so the previous build's corpus paths match the changed one's.
  await copyFile(news, changedCopy);
  const settle = await timedBuild('reindex (unchanged copy)', [changedCopy, opts.seeds], out, settings, lexicalOnly);
  const changedId = await changeOneArticle(news, changedCopy, 500);
  const inc = await timedBuild('incremental reindex (1 article changed)', [changedCopy, opts.seeds], out, settings, lexicalOnly);
  results.incremental = { changedArticle: changedId, unchangedReindex: settle.summary, oneArticleChanged: inc.summary };
}

type Target = { name: string; target: string; measured: string; status: string };

function targets(r: Record<string, any>): Target[] {
  const out: Target[] = [];
  const add = (name: string, value: number | undefined, limit: number, kind: 'max' | 'min', unit: string, fmt = (x: number) => `${x}`): void => {
    const v = value ?? Number.NaN;
    out.push({ name, target: `${kind === 'max' ? '≤' : '≥'} ${fmt(limit)} ${unit}`.trim(), measured: Number.isFinite(v) ? `${fmt(v)} ${unit}`.trim() : 'not measured', status: checkTarget(v, limit, kind).gap });
  };
  add('query p50, lexical', r.queryLexical?.tookMs.p50, 25, 'max', 'ms');
  add('query p99, lexical', r.queryLexical?.tookMs.p99, 100, 'max', 'ms');
  add('query p50, hybrid', r.queryHybrid?.tookMs.p50, 25, 'max', 'ms');
  add('query p99, hybrid', r.queryHybrid?.tookMs.p99, 100, 'max', 'ms');
  add('lexical-only full index', r.indexLexical ? r.indexLexical.totalMs / 1000 : undefined, 60, 'max', 's', (x) => `${r1(x)}`);
  add('incremental 1-article reindex', r.incremental ? r.incremental.oneArticleChanged.totalMs / 1000 : undefined, 5, 'max', 's', (x) => `${r1(x)}`);
  add('cold start, lexical', r.coldStartLexical ? r.coldStartLexical.toFirstAnswerMs / 1000 : undefined, 3, 'max', 's', (x) => `${Math.round(x * 100) / 100}`);
  add('cold start, hybrid', r.coldStartHybrid ? r.coldStartHybrid.toFirstAnswerMs / 1000 : undefined, 3, 'max', 's', (x) => `${Math.round(x * 100) / 100}`);
  add('RSS after loading, lexical', r.coldStartLexical?.rssMB, 1024, 'max', 'MB');
  add('RSS after loading, hybrid', r.coldStartHybrid?.rssMB, 1024, 'max', 'MB');
  add(`hnswlib recall@10 vs exact (ef ${r.indexHybrid?.hnswParams?.efSearch ?? 64})`, r.annVsExact ? (Object.values(r.annVsExact.hnsw)[0] as any).recallAt10 : undefined, 0.98, 'min', '');
  return out;
}

function table(r: Record<string, any>): string {
  const rows: string[] = [];
  const m = r.machine;
  rows.push(`Machine: ${m.nproc} × ${m.cpu}, ${m.ramGiB} GiB, node ${m.node}, load ${m.loadavgAtStart.join(' ')} → ${m.loadavgAtEnd.join(' ')}`);
  rows.push(`Code: ${m.git.commit}${m.git.dirtySrc.length ? ` + uncommitted src changes (${m.git.dirtySrc.length} files)` : ''}`);
  rows.push(`Corpus: ${r.corpus.paths.join(' + ')}; ${r.corpus.questions} questions`);
  const build = (name: string, b: any): void => {
    if (!b) return;
    rows.push(`\n${name}: ${b.articles} articles, ${b.chunks} chunks, ${(b.totalMs / 1000).toFixed(1)} s (${b.articlesPerS} articles/s, ${b.chunksPerS} chunks/s), ${b.sizeMB} MB on disk; embedded ${b.embedded}, reused ${b.reused}`);
    for (const [s, v] of Object.entries<any>(b.stages)) rows.push(`  ${s.padEnd(8)} ${String(v.ms).padStart(8)} ms  ${String(v.articlesPerS ?? '-').padStart(9)} articles/s  ${String(v.chunksPerS ?? '-').padStart(9)} chunks/s`);
  };
  build('Index, lexical-only', r.indexLexical);
  build('Index, hybrid (tiny model)', r.indexHybrid);
  if (r.embedThroughput) rows.push(`  tiny-model embedding, ${r.embedThroughput.passages} passages: mean pooling ${r.embedThroughput.mean.msPerPassage} ms/passage, cls pooling ${r.embedThroughput.cls.msPerPassage} ms/passage`);
  build('Incremental reindex, 1 article changed', r.incremental?.oneArticleChanged);
  const q = (name: string, run: QueryRun | undefined): void => {
    if (!run) return;
    rows.push(`\nQuery latency, ${name} (${run.questions} questions, ${run.abstained} abstained; load ${run.loadavgBefore[0]}):`);
    rows.push(`  ${'stage'.padEnd(8)} ${'p50'.padStart(8)} ${'p95'.padStart(8)} ${'p99'.padStart(8)} ${'max'.padStart(8)}  ms`);
    for (const [s, d] of [['total', run.tookMs] as const, ...Object.entries(run.stages)]) rows.push(`  ${s.padEnd(8)} ${String(d!.p50).padStart(8)} ${String(d!.p95).padStart(8)} ${String(d!.p99).padStart(8)} ${String(d!.max).padStart(8)}`);
  };
  q('lexical', r.queryLexical);
  q('hybrid', r.queryHybrid);
  const b = r.bm25VsMinisearch;
  if (b) {
    rows.push(`\nOur BM25 vs plain MiniSearch (${b.passages} passages, ${b.questions} questions):`);
    rows.push(`  ours (bm25 stage)     p50 ${b.oursBm25Stage.p50} ms  p99 ${b.oursBm25Stage.p99} ms  heap ${b.oursHeapMB} MB`);
    rows.push(`  ours (one plain pass) p50 ${b.oursOnePassSearch.p50} ms  p99 ${b.oursOnePassSearch.p99} ms`);
    rows.push(`  plain minisearch      p50 ${b.plainMinisearch.p50} ms  p99 ${b.plainMinisearch.p99} ms  heap ${b.plainHeapMB} MB`);
    rows.push(`  ratio ours/plain      p50 ${b.ratioP50}×  p99 ${b.ratioP99}×  heap ${b.heapRatio}×`);
  }
  const a = r.annVsExact;
  if (a) {
    rows.push(`\nhnswlib vs exact cosine (${a.vectors} × ${a.dim}, ${a.queries} queries): exact p50 ${a.exactBruteForce.p50} ms, p99 ${a.exactBruteForce.p99} ms`);
    for (const v of Object.values<any>(a.hnsw)) rows.push(`  ef ${String(v.ef).padEnd(4)} recall@10 ${v.recallAt10.toFixed(4)} (tie-aware ${v.tieAwareRecallAt10.toFixed(4)})  p50 ${v.latency.p50} ms  p99 ${v.latency.p99} ms  speed-up ×${v.speedupP50}`);
    rows.push(`  cosine of the exact 1st / 10th neighbour / a random passage (means): ${a.similaritySpread.exactTop1} / ${a.similaritySpread.exactTop10} / ${a.similaritySpread.randomPassage}`);
    rows.push(`  as ask() uses it (k 100, ef ${a.asUsedByAsk.ef}): recall@10 ${a.asUsedByAsk.recallAt10.toFixed(4)}  p50 ${a.asUsedByAsk.latency.p50} ms`);
  }
  const c = (name: string, v: any): void => {
    if (v) rows.push(`Cold start, ${name}: first answer at ${v.toFirstAnswerMs} ms (imports ${v.importsDoneMs} ms, open done ${v.openedMs} ms), exit ${v.wallToExitMs} ms; RSS ${v.rssMB} MB, heap ${v.heapUsedMB} MB (median of ${v.runs})`);
  };
  rows.push('');
  c('lexical', r.coldStartLexical);
  c('hybrid', r.coldStartHybrid);
  rows.push('\nTargets:');
  for (const t of r.targets as Target[]) rows.push(`  ${t.name.padEnd(36)} ${t.target.padEnd(10)} ${t.measured.padEnd(12)} ${t.status}`);
  return `${rows.join('\n')}\n`;
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
