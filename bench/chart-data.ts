import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { barChart, lineChart, PALETTE, type Series } from './svg.js';

/**
 * From bench/results.json (bench/run.ts) and an eval report (`npm run eval -- --json FILE`) to the
 * SVG charts of BENCHMARKS.md. Only the fields the charts use are typed; all are optional, since
 * older or partial runs (--skip-hybrid, --quick) leave some out.
 */

interface Answering {
  queryMs?: { p50?: number; p99?: number };
  answeringRssMB?: number;
}
interface Built {
  peakRssMB?: number;
  report?: { articles?: number };
}
type BySize<T> = Partial<Record<string, T>>;

export interface BenchResults {
  machine?: { cpus?: number; node?: string; loadavg?: number[] };
  sizes?: { questions?: number };
  build?: BySize<Built>;
  lexical?: BySize<Answering>;
  /** Answering figures by size key, plus `build` (the hybrid builds by size key). */
  hybrid?: Record<string, unknown> & { build?: BySize<Built> };
}

/** The hybrid answering figures: every size key of `hybrid` but `build`. */
function hybridAnswering(results: BenchResults): BySize<Answering> {
  return Object.fromEntries(Object.entries(results.hybrid ?? {}).filter(([key]) => key !== 'build')) as BySize<Answering>;
}

export interface EvalReport {
  mode?: 'hybrid' | 'lexical';
  passages?: number;
  sets: Array<{ name: string; summary: { answerable?: number; hitAt5: number; mrrAt10: number; quoteHitAt5: number } }>;
}

/** One colour per search mode; the percentile or the stage (answering / building) is the dash. */
const KEYWORD = PALETTE[0];
const HYBRID = PALETTE[1];

/** Where the figures come from, under the title: the machine's load changes them a lot. */
function machineLine(results: BenchResults): string | undefined {
  const m = results.machine;
  const parts = [
    m?.cpus ? `${m.cpus} CPUs` : '',
    m?.node ? `Node ${m.node}` : '',
    m?.loadavg?.[0] !== undefined ? `load ${m.loadavg[0].toFixed(1)} at the start` : '',
    results.sizes?.questions ? `${results.sizes.questions} questions per size` : '',
  ].filter(Boolean);
  return parts.length ? `npm run bench · ${parts.join(' · ')}` : undefined;
}

/** "2.5k", "10.8k", "40k": how BENCHMARKS.md names the corpus sizes. */
export function sizeLabel(articles: number): string {
  if (articles < 1000) return String(articles);
  const k = articles / 1000;
  return `${k >= 20 ? Math.round(k) : Math.round(k * 10) / 10}k`;
}

/** The article count of each size key (small, news, large…) as the lexical build reported it. */
function sizes(results: BenchResults): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, b] of Object.entries(results.build ?? {})) if (b?.report?.articles) out.set(key, b.report.articles);
  for (const [key, b] of Object.entries(results.hybrid?.build ?? {})) if (b?.report?.articles && !out.has(key)) out.set(key, b.report.articles);
  return out;
}

function series<T>(name: string, bySize: BySize<T> | undefined, size: Map<string, number>, value: (x: T) => number | undefined, color: string, dashed = false): Series {
  const points = Object.entries(bySize ?? {}).flatMap(([key, v]) => {
    const x = size.get(key);
    const y = v ? value(v) : undefined;
    return x !== undefined && typeof y === 'number' && Number.isFinite(y) ? [{ x, y }] : [];
  });
  return { name, points, dashed, color };
}

const drawn = (list: Series[]): Series[] => list.filter((s) => s.points.length > 0);

/** Query p50/p99 against corpus size, lexical and hybrid; undefined when the results hold none. */
export function latencyChart(results: BenchResults): string | undefined {
  const size = sizes(results);
  const hybrid = hybridAnswering(results);
  const list = drawn([
    series('keyword p50', results.lexical, size, (a) => a.queryMs?.p50, KEYWORD),
    series('keyword p99', results.lexical, size, (a) => a.queryMs?.p99, KEYWORD, true),
    series('hybrid p50', hybrid, size, (a) => a.queryMs?.p50, HYBRID),
    series('hybrid p99', hybrid, size, (a) => a.queryMs?.p99, HYBRID, true),
  ]);
  if (list.length === 0) return undefined;
  return lineChart({ title: 'Query latency against corpus size', xLabel: 'articles in the index (log scale)', yLabel: 'ms per question', series: list, xTickLabel: sizeLabel, subtitle: machineLine(results) });
}

/** RSS while answering and peak RSS while building, against corpus size. */
export function rssChart(results: BenchResults): string | undefined {
  const size = sizes(results);
  const hybrid = hybridAnswering(results);
  const list = drawn([
    series('answering, keyword', results.lexical, size, (a) => a.answeringRssMB, KEYWORD),
    series('answering, hybrid', hybrid, size, (a) => a.answeringRssMB, HYBRID),
    series('building, keyword (peak)', results.build, size, (b) => b.peakRssMB, KEYWORD, true),
    series('building, hybrid (peak)', results.hybrid?.build, size, (b) => b.peakRssMB, HYBRID, true),
  ]);
  if (list.length === 0) return undefined;
  return lineChart({ title: 'Memory (RSS) against corpus size', xLabel: 'articles in the index (log scale)', yLabel: 'MB', series: list, xTickLabel: sizeLabel, subtitle: machineLine(results) });
}

/** hit@5, MRR@10 and quote@5 per question set, on a 0–1 axis. */
export function qualityChart(report: EvalReport): string {
  if (!Array.isArray(report.sets) || report.sets.length === 0) throw new Error('the eval report has no "sets": expected the JSON of `npm run eval -- --json FILE`');
  return barChart({
    title: 'Answer quality per question set',
    subtitle: [
      'npm run eval',
      report.mode ? (report.mode === 'hybrid' ? 'keyword + semantic search' : 'keyword search') : '',
      report.passages ? `${report.passages.toLocaleString('en-US')} passages` : '',
      'answerable questions only',
    ]
      .filter(Boolean)
      .join(' · '),
    yLabel: 'score (1 = every question)',
    yMax: 1,
    format: (v) => v.toFixed(2),
    groups: report.sets.map((s) => ({
      name: s.name,
      ...(s.summary.answerable !== undefined ? { note: `${s.summary.answerable} questions` } : {}),
      values: [
        { metric: 'hit@5', value: s.summary.hitAt5 },
        { metric: 'MRR@10', value: s.summary.mrrAt10 },
        { metric: 'quote@5', value: s.summary.quoteHitAt5 },
      ],
    })),
  });
}

async function readJson<T>(file: string, what: string): Promise<T> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new Error(`${what} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** Writes the charts the given files support into `outDir`; returns the files written. */
export async function writeCharts(options: { results?: string; evalReport?: string; outDir: string }): Promise<string[]> {
  const charts: Array<[string, string | undefined]> = [];
  if (options.results) {
    const results = await readJson<BenchResults>(options.results, 'bench results');
    charts.push(['latency-vs-size.svg', latencyChart(results)], ['rss-vs-size.svg', rssChart(results)]);
  }
  if (options.evalReport) charts.push(['quality.svg', qualityChart(await readJson<EvalReport>(options.evalReport, 'eval report'))]);
  await mkdir(options.outDir, { recursive: true });
  const written: string[] = [];
  for (const [name, svg] of charts) {
    if (!svg) continue;
    const file = path.join(options.outDir, name);
    await writeFile(file, svg);
    written.push(file);
  }
  return written;
}
