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
import { SCHEMA_VERSION } from '../src/storage/schema.js';
import { MissingIndexError } from '../src/storage/errors.js';
import { resolveIndex } from '../src/storage/folder.js';
import { refusedByRule } from '../src/search/postprocess/abstain.js';
import { loadRanker } from '../src/search/ranker/model.js';
import { DEFAULT_RANKING, type RankingParams } from '../src/search/searcher.js';
import type { Confidence } from '../src/types.js';
import { calibrateThreshold, judge, summarize, type Calibration, type EvalQuestion, type QuestionOutcome, type RankedPassage, type Summary } from './metrics.js';

/** The evaluation behind `npm run eval` and `npm run eval:realtimeqa`. */

/** A named question set (a split, or the old regression set), reported on its own line. */
export interface QuestionSet {
  name: string;
  questions: EvalQuestion[];
  /** A test split: aggregate figures only, never its misses nor the threshold it alone would choose. */
  test?: boolean;
  /** Also evaluate plain MiniSearch on this set (as `baseline` does for every set). */
  baseline?: boolean;
}

export interface EvaluateOptions {
  sets: QuestionSet[];
  corpus: string[];
  /** Index folder; default a cache under .cache/eval keyed by the corpus. */
  index?: string;
  k: number;
  lexicalOnly?: boolean;
  /** Also evaluate plain MiniSearch (default options) over the same passages. */
  baseline?: boolean;
  ranking?: Partial<RankingParams>;
  /** Ranker weights file (default: the committed one). */
  weights?: string;
  /** How many missed questions to list per set (never for a test split). */
  misses: number;
  config: CoreConfig;
  log?: (line: string) => void;
}

export interface SetReport {
  name: string;
  test?: boolean;
  summary: Summary;
  baseline?: Summary;
  /** The threshold this set alone would choose (reported, never applied). */
  calibration: Calibration;
  outcomes: QuestionOutcome[];
}

export interface EvaluateReport {
  sets: SetReport[];
  baselineP50Ms?: number;
  /** The confidence threshold applied. */
  threshold: number;
  ranking: RankingParams;
  mode: 'hybrid' | 'lexical';
  passages: number;
  buildDir: string;
  queryP50Ms: number;
  queryMaxMs: number;
  /** The human-readable report. */
  text: string;
}

/**
 * A question file: JSONL of EvalQuestion, or of the unanswerable sets' shape
 * ({"id","question","category","answerable":false,"contradictedBy"?}: see eval/questions/README.md).
 */
export async function readQuestions(file: string): Promise<EvalQuestion[]> {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim());
  return lines.map((l, i) => {
    const raw = JSON.parse(l) as EvalQuestion & { answerable?: boolean };
    if (typeof raw.id !== 'string' || typeof raw.question !== 'string') throw new Error(`${file}:${i + 1}: a question needs "id" and "question" strings`);
    const { answerable, ...q } = raw;
    return { ...q, answers: q.answers ?? [], unanswerable: q.unanswerable ?? answerable === false };
  });
}

/** A cache folder per corpus content + settings, so repeated evals skip indexing. */
export async function cacheDir(corpus: string[], lexicalOnly: boolean, model: string, relatedWords = false, corpusModel = 'auto'): Promise<string> {
  const h = createHash('sha1');
  for (const p of corpus) {
    const s = await stat(p);
    h.update(`${path.resolve(p)}:${s.size}:${s.mtimeMs}\n`);
  }
  // The index format is part of the key: a cache from an older layout (or with / without related words) is not reused.
  // Without a loadable model a build trains one on the corpus (src/indexer/corpus-model.ts) unless CORPUS_MODEL=off.
  h.update(`${lexicalOnly}:${model}:sqlite-${SCHEMA_VERSION}${relatedWords ? ':related' : ''}${lexicalOnly ? '' : `:corpus-model-${corpusModel}`}`);
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
    if (key === 'minConfidence' && value !== undefined && !Number.isNaN(Number(value))) {
      out.minConfidence = Number(value);
      continue;
    }
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
    `n ${s.answerable}+${s.unanswerable}`,
    `hit@1 ${s.hitAt1.toFixed(3)}`,
    `hit@5 ${s.hitAt5.toFixed(3)}`,
    `hit@10 ${s.hitAt10.toFixed(3)}`,
    `MRR@10 ${s.mrrAt10.toFixed(3)}`,
    `quote@1 ${s.quoteHitAt1.toFixed(3)}`,
    `quote@5 ${s.quoteHitAt5.toFixed(3)}`,
  ];
  if (s.articleHitAt10 !== undefined) cells.push(`article@10 ${s.articleHitAt10.toFixed(3)}`);
  if (s.abstentionAccuracy !== undefined) {
    cells.push(`false refusals ${s.falseAbstain!.toFixed(3)}  refused unanswerable ${s.unanswerable ? s.correctAbstain!.toFixed(3) : '-'}`);
    // What an ask channel would reply to unasked: strong matches only.
    const strong = (n: number, v: number | undefined): string => (n ? v!.toFixed(3) : '-');
    cells.push(`strong ${strong(s.answerable, s.strongAnswerable)}/${strong(s.unanswerable, s.strongUnanswerable)}`);
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

/** The index folder to evaluate on: the given one, or a cache keyed by the corpus, built when missing. */
export async function ensureIndex(
  opts: { index?: string; corpus: string[]; lexicalOnly?: boolean; config: CoreConfig },
  log: (line: string) => void,
): Promise<string> {
  const dir = opts.index ?? (await cacheDir(opts.corpus, opts.lexicalOnly === true, opts.config.EMBEDDING_MODEL, opts.config.RELATED_WORDS, opts.config.CORPUS_MODEL));
  const target = storeTarget(opts.config, dir);
  if (target.kind === 'postgres') {
    // The database is brought to exactly this corpus (an in-place update: cheap when it already is).
    log(`Indexing ${opts.corpus.join(', ')} into PostgreSQL…`);
    const report = await runIndex(target, { corpus: opts.corpus, settings: opts.config, lexicalOnly: opts.lexicalOnly });
    log(`Indexed ${report.articles} articles, ${report.chunks} passages (${report.mode}, ${report.kind}) in ${(report.totalMs / 1000).toFixed(1)} s`);
    return dir;
  }
  try {
    await resolveIndex(dir);
  } catch (err) {
    if (!(err instanceof MissingIndexError)) throw err;
    log(`Indexing ${opts.corpus.join(', ')} into ${dir}…`);
    const report = await buildIndex({ corpus: opts.corpus, out: dir, settings: opts.config, lexicalOnly: opts.lexicalOnly });
    log(`Indexed ${report.articles} articles, ${report.chunks} passages (${report.mode}) in ${(report.totalMs / 1000).toFixed(1)} s`);
  }
  return dir;
}

/**
 * Builds (or reuses) an index of the corpus, asks every question, and reports hit@1/5/10, MRR@10,
 * quote hits, abstention accuracy, the calibrated abstention threshold, and the questions it missed.
 */
export async function evaluate(opts: EvaluateOptions): Promise<EvaluateReport> {
  const { config } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = await ensureIndex(opts, log);
  const ranking: RankingParams = { ...DEFAULT_RANKING, ...opts.ranking };
  const ranker = loadRanker(opts.weights);
  const threshold = ranking.minConfidence ?? ranker.threshold;
  // Retrieve without abstaining, then apply the confidence threshold offline so it can be calibrated.
  const searcher = await openSearcher(config, dir, { model: opts.lexicalOnly ? 'never' : 'await', ranker }, { ...ranking, minConfidence: 0 });
  const times: number[] = [];
  const abstains = (c: Confidence | undefined): boolean => refusedByRule(c) || c!.probability < threshold;
  const lines = [`Index ${searcher.info.location} (${searcher.mode}, ${searcher.info.passages} passages); confidence threshold ${threshold}`];
  const sets: SetReport[] = [];
  let baselineP50Ms: number | undefined;
  for (const set of opts.sets) {
    const outcomes: QuestionOutcome[] = [];
    for (const q of set.questions) {
      // Retrieve as if never abstaining; the refusal rule is applied offline below.
      const answer = await searcher.ask(q.question, { k: opts.k, evenIfUnsure: true, asOf: q.asOf });
      times.push(answer.tookMs);
      outcomes.push(judge(q, answer.results.map((r) => ({ articleId: r.articleId, passage: r.passage, quote: r.quote })), answer.confidence));
    }
    const summary = summarize(outcomes, abstains);
    const calibration = calibrateThreshold(outcomes);
    lines.push(formatSummary(set.name, summary));
    for (const [name, c] of Object.entries(summary.categories ?? {})) {
      const contradicted = c.refusedOrContradicted === undefined ? '' : `  refused or contradicted ${c.refusedOrContradicted.toFixed(3)}`;
      lines.push(`  ${name.padEnd(20)}  n ${c.n}  refused ${c.refused.toFixed(3)}${contradicted}`);
    }
    let baseline: Summary | undefined;
    if (opts.baseline || set.baseline) {
      const b = await baselineOutcomes(searcher.info.location, set.questions, opts.k);
      baseline = summarize(b.outcomes);
      baselineP50Ms = b.p50;
      lines.push(`${formatSummary(`  minisearch defaults`, baseline)}  (p50 ${b.p50.toFixed(1)} ms)`);
    }
    sets.push({ name: set.name, test: set.test, summary, baseline, calibration, outcomes });
  }
  times.sort((a, b) => a - b);
  const queryP50Ms = times[Math.floor(times.length / 2)] ?? 0;
  const queryMaxMs = times.at(-1) ?? 0;
  const queryP99Ms = times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] ?? 0;
  lines.push(`Query time p50 ${queryP50Ms.toFixed(1)} ms, p99 ${queryP99Ms.toFixed(1)} ms, max ${queryMaxMs.toFixed(1)} ms`);
  // A test split's own threshold and its misses are never shown: reading them is tuning to it.
  for (const r of sets) {
    if (r.summary.unanswerable === 0 || r.test) continue;
    lines.push(`${r.name}: this set alone would choose threshold ${r.calibration.threshold} (false refusals ${r.calibration.falseRefusal}, refused unanswerable ${r.calibration.refusal})`);
  }
  for (const r of opts.misses > 0 ? sets.filter((s) => !s.test) : []) {
    const misses = r.outcomes.filter((o) => (o.unanswerable ? !abstains(o.confidence) : o.hitRank === undefined || abstains(o.confidence)));
    lines.push(`Misses in ${r.name} (${misses.length}):`);
    for (const o of misses.slice(0, opts.misses)) {
      const why = o.unanswerable ? 'answered an unanswerable question' : o.hitRank === undefined ? `no hit in top ${opts.k}` : `refused (hit at ${o.hitRank})`;
      lines.push(`  ${o.id} [${why}; confidence ${o.confidence?.probability ?? '-'}] ${o.question}\n      top: ${o.top ?? '-'}`);
    }
  }
  const { mode, info } = { mode: searcher.mode, info: searcher.info };
  // Frees the model and database handles (a PostgreSQL pool would keep the process alive).
  await searcher.close();
  return {
    sets,
    baselineP50Ms,
    threshold,
    ranking,
    mode,
    passages: info.passages,
    buildDir: info.location,
    queryP50Ms,
    queryMaxMs,
    text: lines.join('\n'),
  };
}
