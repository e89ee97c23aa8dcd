/**
 * `npx tsx bench/keyword.ts [--questions N] [--news FILE]`: micro-benchmark of the keyword index
 * (src/storage/keyword) on ../shared/corpus/news-2022.jsonl cut naively into ~180-word passages, and
 * on a 4× synthetic corpus (passages resampled with new ids). Reports analysis and build time,
 * encoded size, decode (load) time, merge time, query latency p50/p95/p99 for MaxScore and for the
 * exhaustive scorer (k = 10 and 300), docs evaluated, and RSS. Checks both scorers agree.
 * "decode" is a whole encoded segment into memory (`Segment.decode`, every page verified and copied); an
 * index folder opens only the segments' heads (`Segment.open`) and reads postings on demand.
 * Not part of `npm test`; run it on a quiet machine (`nice -n 10`).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { readQuestions } from '../eval/evaluate.js';
import { realtimeQaQuestionSentences } from '../eval/realtimeqa-data.js';
import { analyze } from '../src/text/analyze.js';
import { KeywordIndex, mergeSegments, Segment, SegmentBuilder, type KeywordQueryTerm, type KeywordSearchStats, type SegmentDoc } from '../src/storage/keyword/index.js';
import { distribution } from './stats.js';
import { seededRandom } from '../tests/support/random.js';

const opts = new Command()
  .option('--news <file>', 'the news corpus', path.join('..', 'shared', 'corpus', 'news-2022.jsonl'))
  .option('--questions <n>', 'questions per run', (v) => Number(v), 300)
  .option('--words <n>', 'words per passage', (v) => Number(v), 180)
  .option('--articles <n>', 'use only the first N articles (a quick check)', (v) => Number(v), Number.POSITIVE_INFINITY)
  .parse()
  .opts<{ news: string; questions: number; words: number; articles: number }>();

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
const rss = (): number => mb(process.memoryUsage().rss);
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** Wall time and this process's CPU time (user + system): on a shared machine the CPU time is the steadier figure. */
function time<T>(fn: () => T): { value: T; ms: number; cpuMs: number } {
  const t = performance.now();
  const c = process.cpuUsage();
  const value = fn();
  const used = process.cpuUsage(c);
  return { value, ms: Math.round((performance.now() - t) * 10) / 10, cpuMs: Math.round((used.user + used.system) / 100) / 10 };
}


async function passages(file: string, words: number, articles: number): Promise<SegmentDoc[]> {
  const out: SegmentDoc[] = [];
  let seen = 0;
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    if (!line.trim()) continue;
    if (++seen > articles) break;
    let row: { title?: unknown; text?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      continue;
    }
    if (typeof row.text !== 'string') continue;
    const title = analyze(typeof row.title === 'string' ? row.title : '');
    const w = row.text.split(/\s+/).filter(Boolean);
    for (let i = 0; i < w.length; i += words) out.push({ id: out.length, title, text: analyze(w.slice(i, i + words).join(' ')) });
  }
  return out;
}

async function questions(n: number): Promise<KeywordQueryTerm[][]> {
  const own = (await readQuestions(path.join('eval', 'questions', 'news2022-questions.jsonl'))).map((q) => q.question);
  let rtqa: string[] = [];
  try {
    rtqa = await realtimeQaQuestionSentences();
  } catch {
    log('RealtimeQA questions not found; using the news-2022 questions only');
  }
  // Half from each set when both are there.
  const pick = (list: string[], m: number): string[] => (list.length <= m ? list : Array.from({ length: m }, (_, i) => list[Math.floor((i * list.length) / m)]!));
  const half = rtqa.length ? Math.floor(n / 2) : n;
  const texts = [...pick(own, half), ...pick(rtqa, n - Math.min(half, own.length))].slice(0, n);
  return texts.map((t) => [...new Set(analyze(t))].map((term) => ({ term, boost: 1 }))).filter((q) => q.length > 0);
}

interface QueryRow {
  corpus: string;
  k: number;
  scorer: string;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  docsEvaluated: number;
  postingsScored: number;
  boundScan: number;
}

/**
 * Latency of both scorers over the questions. Each scorer gets a fresh index over the same
 * segments (the JIT is warmed on a throwaway one), so MaxScore's per-term bound scans, done on a
 * term's first use, are in its figures.
 */
function runQueries(label: string, segs: Segment[], qs: KeywordQueryTerm[][], k: number): QueryRow[] {
  const rows: QueryRow[] = [];
  let mismatches = 0;
  const results: string[] = [];
  for (const name of ['exhaustive', 'MaxScore'] as const) {
    const run = (index: KeywordIndex, q: KeywordQueryTerm[], stats?: KeywordSearchStats) => (name === 'MaxScore' ? index.search(q, k, undefined, stats) : index.searchExhaustive(q, k, undefined, stats));
    const warm = new KeywordIndex(segs);
    for (const q of qs.slice(0, 20)) run(warm, q);
    const index = new KeywordIndex(segs);
    const stats: KeywordSearchStats = { docsEvaluated: 0, postingsScored: 0, postingsScannedForBounds: 0 };
    const ms: number[] = [];
    qs.forEach((q, i) => {
      const t = performance.now();
      const hits = run(index, q, stats);
      ms.push(performance.now() - t);
      const key = hits.map((h) => `${h.id}:${h.score}`).join();
      if (name === 'exhaustive') results[i] = key;
      else if (key !== results[i]) mismatches++;
    });
    const d = distribution(ms);
    const per = (x: number): number => Math.round(x / qs.length);
    rows.push({ corpus: label, k, scorer: name, p50: d.p50, p95: d.p95, p99: d.p99, mean: d.mean, docsEvaluated: per(stats.docsEvaluated), postingsScored: per(stats.postingsScored), boundScan: per(stats.postingsScannedForBounds) });
  }
  if (mismatches) log(`!! ${label} k=${k}: MaxScore differs from exhaustive on ${mismatches} queries`);
  else log(`${label} k=${k}: MaxScore = exhaustive (ids and scores) on all ${qs.length} questions`);
  return rows;
}

async function main(): Promise<void> {
  const loadAtStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
  log(`rss at start ${rss()} MB`);
  const t0 = performance.now();
  const docs = await passages(opts.news, opts.words, opts.articles);
  const analyseMs = Math.round(performance.now() - t0);
  const words = docs.reduce((n, d) => n + d.text.length, 0);
  log(`${docs.length} passages, ${words} analysed text terms; read + cut + analyze(): ${analyseMs} ms`);
  const qs = await questions(opts.questions);
  log(`${qs.length} questions`);

  const sizes: Array<Record<string, unknown>> = [];
  const queryRows: QueryRow[] = [];

  const measure = (label: string, corpus: SegmentDoc[], segmentCount: number): void => {
    global.gc?.();
    const before = rss();
    const per = Math.ceil(corpus.length / segmentCount);
    const built = time(() => {
      const segs: Segment[] = [];
      for (let s = 0; s < segmentCount; s++) {
        const b = new SegmentBuilder();
        for (const d of corpus.slice(s * per, (s + 1) * per)) b.add(d);
        segs.push(b.finish());
      }
      return segs;
    });
    const encoded = built.value.map((s) => s.encode().slice());
    const bytes = encoded.reduce((n, e) => n + e.byteLength, 0);
    const decodeMs: number[] = [];
    let segs: Segment[] = [];
    for (let r = 0; r < 5; r++) {
      const t = performance.now();
      segs = encoded.map((e) => Segment.decode(e));
      decodeMs.push(performance.now() - t);
    }
    const openMs = time(() => new KeywordIndex(segs)).ms;
    const postings = segs.reduce((n, s) => n + s.postingCount, 0);
    const terms = segs.reduce((n, s) => n + s.termCount, 0);
    let mergeMs = '-';
    if (segmentCount > 1) {
      const m = time(() => mergeSegments(segs, () => false));
      mergeMs = `${m.ms} (cpu ${m.cpuMs})`;
    }
    for (const k of [10, 300]) queryRows.push(...runQueries(label, segs, qs, k));
    sizes.push({
      corpus: label,
      passages: corpus.length,
      segments: segmentCount,
      terms,
      postings,
      'build ms': built.ms,
      'build cpu ms': built.cpuMs,
      'passages/s (cpu)': Math.round(corpus.length / (built.cpuMs / 1000)),
      'encoded MB': mb(bytes),
      'bytes/posting': Math.round((bytes / postings) * 100) / 100,
      'decode ms (median of 5)': Math.round(distribution(decodeMs).p50 * 10) / 10,
      'open ms': openMs,
      'merge ms': mergeMs,
      'rss before MB': before,
      'rss after queries MB': rss(),
    });
  };

  measure('news-2022 1×', docs, 1);
  const random = seededRandom(42);
  const four: SegmentDoc[] = Array.from({ length: docs.length * 4 }, (_, id) => {
    const src = docs[Math.floor(random() * docs.length)]!;
    return { id, title: src.title, text: src.text };
  });
  measure('synthetic 4×', four, 1);
  measure('synthetic 4×, 4 segments', four, 4);

  console.log(`load average at start ${loadAtStart}, at end ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (${os.cpus().length} cores)`);
  console.log(`\nKeyword index micro-benchmark — ${docs.length} passages (read + cut + analyze ${analyseMs} ms) of ≤ ${opts.words} words from ${opts.news}, ${qs.length} questions, node ${process.version}\n`);
  console.table(sizes);
  console.table(queryRows);
}

await main();
