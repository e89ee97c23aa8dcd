import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import MiniSearch from 'minisearch';
import type { CoreConfig } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { runIndex } from '../src/indexer/run.js';
import { openSearcher } from '../src/open.js';
import { storeTarget } from '../src/config.js';
import { IndexDatabase } from '../src/storage/database.js';
import { MissingIndexError } from '../src/storage/errors.js';
import { resolveIndex } from '../src/storage/folder.js';
import { DEFAULT_RANKING, relevantEnough, type RankingParams } from '../src/search/searcher.js';
import type { Confidence } from '../src/types.js';
import { calibrateAbstention, judge, summarize, type EvalQuestion, type QuestionOutcome, type RankedPassage, type Summary } from './metrics.js';

/** The evaluation behind `npm run eval` and `npm run eval:realtimeqa`. */

export interface EvaluateOptions {
  questions: EvalQuestion[];
  /** Shown in the report. */
  questionsName: string;
  corpus: string[];
  /** Index folder; default a cache under .cache/eval keyed by the corpus. */
  index?: string;
  k: number;
  lexicalOnly?: boolean;
  /** Also evaluate plain MiniSearch (default options) over the same passages. */
  baseline?: boolean;
  ranking?: Partial<RankingParams>;
  /** How many missed questions to list. */
  misses: number;
  config: CoreConfig;
  log?: (line: string) => void;
}

export interface EvaluateReport {
  summary: Summary;
  baseline?: Summary;
  baselineP50Ms?: number;
  calibration: ReturnType<typeof calibrateAbstention>;
  ranking: RankingParams;
  mode: 'hybrid' | 'lexical';
  passages: number;
  buildDir: string;
  queryP50Ms: number;
  queryMaxMs: number;
  outcomes: QuestionOutcome[];
  /** The human-readable report. */
  text: string;
}

export async function readQuestions(file: string): Promise<EvalQuestion[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  return lines.map((l) => JSON.parse(l) as EvalQuestion);
}

/** A cache folder per corpus content + settings, so repeated evals skip indexing. */
export async function cacheDir(corpus: string[], lexicalOnly: boolean, model: string): Promise<string> {
  const h = createHash('sha1');
  for (const p of corpus) {
    const s = await stat(p);
    h.update(`${path.resolve(p)}:${s.size}:${s.mtimeMs}\n`);
  }
  // The index format is part of the key: a cache from an older layout is not reused.
  h.update(`${lexicalOnly}:${model}:sqlite-2`);
  return path.join('.cache', 'eval', h.digest('hex').slice(0, 12));
}

/** The command-line options both eval commands share, as `evaluate()` takes them. */
export function sharedOptions(opts: { k: number; lexicalOnly?: boolean; baseline?: boolean; set?: string[]; misses: number }, config: CoreConfig) {
  const { k, lexicalOnly, baseline, misses } = opts;
  return { k, lexicalOnly, baseline, misses, ranking: parseOverrides(opts.set), config };
}

export function parseOverrides(pairs: string[] = []): Partial<RankingParams> {
  const out: Partial<RankingParams> = {};
  for (const pair of pairs) {
    const [key, value] = pair.split('=');
    if (!key || value === undefined || !(key in DEFAULT_RANKING)) {
      throw new Error(`--set ${pair}: expected one of ${Object.keys(DEFAULT_RANKING).join(', ')} = a value`);
    }
    const current = DEFAULT_RANKING[key as keyof RankingParams];
    if (typeof current === 'number') {
      if (Number.isNaN(Number(value))) throw new Error(`--set ${pair}: ${key} takes a number`);
      (out as Record<string, unknown>)[key] = Number(value);
    } else {
      (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

export function formatSummary(name: string, s: Summary): string {
  const cells = [
    name.padEnd(22),
    `hit@1 ${s.hitAt1.toFixed(3)}`,
    `hit@5 ${s.hitAt5.toFixed(3)}`,
    `hit@10 ${s.hitAt10.toFixed(3)}`,
    `MRR@10 ${s.mrrAt10.toFixed(3)}`,
    `quote@1 ${s.quoteHitAt1.toFixed(3)}`,
  ];
  if (s.articleHitAt10 !== undefined) cells.push(`article@10 ${s.articleHitAt10.toFixed(3)}`);
  if (s.abstentionAccuracy !== undefined) {
    cells.push(`abstain: right ${s.correctAbstain!.toFixed(3)} wrong ${s.falseAbstain!.toFixed(3)} acc ${s.abstentionAccuracy.toFixed(3)}`);
  }
  return cells.join('  ');
}

/** Plain MiniSearch with its defaults over the same passages: the baseline our analysis must beat. */
export async function baselineOutcomes(indexFile: string, questions: EvalQuestion[], k: number): Promise<{ outcomes: QuestionOutcome[]; p50: number }> {
  const db = IndexDatabase.open(indexFile, { readonly: true });
  const passages = new Map([...db.allPassages()].map((p) => [p.id, { id: p.id, title: p.article.title, text: p.text, articleId: p.article.id }]));
  db.close();
  const ms = new MiniSearch<{ id: number; title: string; text: string }>({ fields: ['title', 'text'] });
  ms.addAll([...passages.values()]);
  const times: number[] = [];
  const outcomes = questions.map((q) => {
    const t = performance.now();
    const hits = ms.search(q.question).slice(0, k);
    times.push(performance.now() - t);
    const ranked: RankedPassage[] = hits.map((h) => {
      const p = passages.get(h.id as number)!;
      return { articleId: p.articleId, passage: p.text, quote: p.text };
    });
    return judge(q, ranked);
  });
  times.sort((a, b) => a - b);
  return { outcomes, p50: times[Math.floor(times.length / 2)] ?? 0 };
}

/**
 * Builds (or reuses) an index of the corpus, asks every question, and reports hit@1/5/10, MRR@10,
 * quote hits, abstention accuracy, the calibrated abstention threshold, and the questions it missed.
 */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateReport> {
  const { config, questions } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = opts.index ?? (await cacheDir(opts.corpus, opts.lexicalOnly === true, config.EMBEDDING_MODEL));
  const target = storeTarget(config, dir);
  if (target.kind === 'postgres') {
    // The database is brought to exactly this corpus (an in-place update: cheap when it already is).
    log(`Indexing ${opts.corpus.join(', ')} into PostgreSQL…`);
    const report = await runIndex(target, { corpus: opts.corpus, settings: config, lexicalOnly: opts.lexicalOnly });
    log(`Indexed ${report.articles} articles, ${report.chunks} passages (${report.mode}, ${report.kind}) in ${(report.totalMs / 1000).toFixed(1)} s`);
  } else try {
    await resolveIndex(dir);
  } catch (err) {
    if (!(err instanceof MissingIndexError)) throw err;
    log(`Indexing ${opts.corpus.join(', ')} into ${dir}…`);
    const report = await buildIndex({ corpus: opts.corpus, out: dir, settings: config, lexicalOnly: opts.lexicalOnly });
    log(`Indexed ${report.articles} articles, ${report.chunks} passages (${report.mode}) in ${(report.totalMs / 1000).toFixed(1)} s`);
  }
  const ranking: RankingParams = { ...DEFAULT_RANKING, ...opts.ranking };
  // Retrieve without abstaining, then apply the abstention rule offline so it can be calibrated.
  const searcher = await openSearcher(config, dir, { model: opts.lexicalOnly ? 'never' : 'await' }, { ...ranking, minCoverage: 0, minQuoteCoverage: 0, minSimilarity: Infinity });
  const outcomes: QuestionOutcome[] = [];
  const times: number[] = [];
  for (const q of questions) {
    const answer = await searcher.ask(q.question, { k: opts.k });
    times.push(answer.tookMs);
    outcomes.push(judge(q, answer.results.map((r) => ({ articleId: r.articleId, passage: r.passage, quote: r.quote })), answer.confidence));
  }
  times.sort((a, b) => a - b);
  const abstains = (c: Confidence | undefined): boolean => !c || !relevantEnough(c, ranking);
  const summary = summarize(outcomes, abstains);
  const calibration = calibrateAbstention(outcomes, searcher.mode === 'hybrid' ? ranking.minSimilarity : Infinity);

  const lines = [
    `Questions: ${opts.questionsName} (${summary.answerable} answerable, ${summary.unanswerable} unanswerable); index ${searcher.info.location} (${searcher.mode}, ${searcher.info.passages} passages)`,
    formatSummary(`archivist (${searcher.mode})`, summary),
  ];
  let baselineSummary: Summary | undefined;
  let baselineP50Ms: number | undefined;
  if (opts.baseline) {
    const b = await baselineOutcomes(searcher.info.location, questions, opts.k);
    baselineSummary = summarize(b.outcomes);
    baselineP50Ms = b.p50;
    lines.push(formatSummary('minisearch defaults', baselineSummary) + `  (p50 ${b.p50.toFixed(1)} ms)`);
  }
  const queryP50Ms = times[Math.floor(times.length / 2)] ?? 0;
  const queryMaxMs = times.at(-1) ?? 0;
  const queryP99Ms = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? 0;
  lines.push(`Query time p50 ${queryP50Ms.toFixed(1)} ms, p99 ${queryP99Ms.toFixed(1)} ms, max ${queryMaxMs.toFixed(1)} ms`);
  lines.push(
    `Abstention: minCoverage ${ranking.minCoverage}, minQuoteCoverage ${ranking.minQuoteCoverage}; best on this set ${calibration.minCoverage} / ${calibration.minQuoteCoverage} (balanced accuracy ${calibration.accuracy.toFixed(3)}: abstains on ${calibration.correctAbstain} of unanswerable, ${calibration.falseAbstain} of answerable)`,
  );
  const misses = outcomes.filter((o) => (o.unanswerable ? !abstains(o.confidence) : o.hitRank === undefined || abstains(o.confidence)));
  lines.push(`Misses (${misses.length}):`);
  for (const o of misses.slice(0, opts.misses)) {
    const why = o.unanswerable ? 'answered an unanswerable question' : o.hitRank === undefined ? `no hit in top ${opts.k}` : `abstained (hit at ${o.hitRank})`;
    lines.push(`  ${o.id} [${why}; coverage ${o.confidence?.coverage ?? '-'}] ${o.question}\n      top: ${o.top ?? '-'}`);
  }
  const { mode, info } = { mode: searcher.mode, info: searcher.info };
  // Frees the model and database handles (a PostgreSQL pool would keep the process alive).
  await searcher.close();
  return {
    summary,
    baseline: baselineSummary,
    baselineP50Ms,
    calibration,
    ranking,
    mode,
    passages: info.passages,
    buildDir: info.location,
    queryP50Ms,
    queryMaxMs,
    outcomes,
    text: lines.join('\n'),
  };
}
