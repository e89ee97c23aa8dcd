import { execFile } from 'node:child_process';
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from 'linkedom';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { latencyChart, qualityChart, rssChart, sizeLabel, writeCharts, type BenchResults, type EvalReport } from '../bench/chart-data.js';
import { escapeXml, niceAxis, PALETTE } from '../bench/svg.js';
import { REPO, tempDir } from './support/corpus.js';

/** A results object of the shape bench/run.ts writes (only the fields the charts read, plus noise). */
const results: BenchResults & Record<string, unknown> = {
  machine: { cpus: 2, node: 'v20.20.2' },
  sizes: { questions: 300 },
  build: {
    small: { peakRssMB: 197, report: { articles: 2501 } },
    news: { peakRssMB: 313, report: { articles: 10763 } },
    large: { peakRssMB: 674, report: { articles: 40000 } },
  },
  lexical: {
    small: { queryMs: { p50: 7.7, p99: 41.3 }, answeringRssMB: 159 },
    large: { queryMs: { p50: 54.8, p99: 285.3 }, answeringRssMB: 242 },
  },
  hybrid: {
    build: { small: { peakRssMB: 332, report: { articles: 2501 } } },
    small: { queryMs: { p50: 12.5, p99: 32.7 }, answeringRssMB: 211 },
  },
};

const report: EvalReport = {
  mode: 'lexical',
  passages: 40593,
  sets: [
    { name: 'hard/dev', summary: { answerable: 96, hitAt5: 0.5, mrrAt10: 0.25, quoteHitAt5: 1 } },
    { name: 'news<2022>', summary: { hitAt5: 0.9, mrrAt10: 0.8, quoteHitAt5: 0.7 } },
  ],
};

type Doc = ReturnType<DOMParser['parseFromString']>;
function parse(svg: string): Doc {
  return new DOMParser().parseFromString(svg, 'image/svg+xml');
}
const texts = (doc: Doc, selector: string): string[] => [...doc.querySelectorAll(selector)].map((e) => e.textContent ?? '');

describe('line charts of the bench results', () => {
  it('draws one series per mode and percentile, points at the sizes the results hold', () => {
    const doc = parse(latencyChart(results)!);
    expect(texts(doc, 'text.title')).toEqual(['Query latency against corpus size']);
    const series = [...doc.querySelectorAll('g.series')];
    expect(series.map((g) => g.getAttribute('data-name'))).toEqual(['keyword p50', 'keyword p99', 'hybrid p50', 'hybrid p99']);
    expect(series.map((g) => g.querySelectorAll('circle').length)).toEqual([2, 2, 1, 1]);
    // x ticks: every size any series has a point at (news has build figures only: no tick).
    expect(texts(doc, 'text.x-tick')).toEqual(['2.5k', '40k']);
    // Every point is labelled with its value.
    expect(texts(doc, 'text.value').sort()).toEqual(['12.5', '285.3', '32.7', '41.3', '54.8', '7.7']);
    // Labels of close points at one size are moved apart so they stay readable.
    const column = [...doc.querySelectorAll('text.value')].filter((t) => ['7.7', '12.5', '32.7', '41.3'].includes(t.textContent ?? ''));
    const ys = column.map((t) => Number(t.getAttribute('y'))).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++) expect(ys[i]! - ys[i - 1]!).toBeGreaterThanOrEqual(14);
    // One colour per mode: p50 solid, p99 dashed.
    const paths = series.map((g) => g.querySelector('path')!);
    expect(paths.map((p) => p.getAttribute('stroke'))).toEqual([PALETTE[0], PALETTE[0], PALETTE[1], PALETTE[1]]);
    expect(paths.map((p) => p.hasAttribute('stroke-dasharray'))).toEqual([false, true, false, true]);
    expect(texts(doc, 'text.subtitle')).toEqual(['npm run bench · 2 CPUs · Node v20.20.2 · 300 questions per size']);
    expect(texts(doc, 'g.legend-item text')).toEqual(['keyword p50', 'keyword p99', 'hybrid p50', 'hybrid p99']);
    // The y axis covers the largest value, and a larger value is drawn higher (smaller y).
    expect(Math.max(...texts(doc, 'text.y-tick').map(Number))).toBeGreaterThanOrEqual(285.3);
    const cy = [...series[1]!.querySelectorAll('circle')].map((c) => Number(c.getAttribute('cy')));
    expect(cy[1]).toBeLessThan(cy[0]!);
    // The larger corpus is further right.
    const cx = [...series[0]!.querySelectorAll('circle')].map((c) => Number(c.getAttribute('cx')));
    expect(cx[1]).toBeGreaterThan(cx[0]!);
  });

  it('puts memory of answering and of building on one chart, with news-2022 where only builds were measured', () => {
    const doc = parse(rssChart(results)!);
    const names = [...doc.querySelectorAll('g.series')].map((g) => g.getAttribute('data-name'));
    expect(names).toEqual(['answering, keyword', 'answering, hybrid', 'building, keyword (peak)', 'building, hybrid (peak)']);
    expect(texts(doc, 'text.x-tick')).toEqual(['2.5k', '10.8k', '40k']);
    expect(doc.querySelectorAll('path[stroke-dasharray]').length).toBe(2);
  });

  it('draws nothing for results without query or memory figures', () => {
    expect(latencyChart({ build: { small: { report: { articles: 10 } } } })).toBeUndefined();
    expect(rssChart({})).toBeUndefined();
  });
});

describe('the quality bar chart', () => {
  it('has one group per question set and a bar per metric, heights in proportion on a 0–1 axis', () => {
    const doc = parse(qualityChart(report));
    expect(doc.querySelectorAll('g.group').length).toBe(2);
    expect(texts(doc, 'text.x-tick')).toEqual(['hard/dev', 'news<2022>']);
    const bars = [...doc.querySelectorAll('rect.bar')];
    expect(bars.map((b) => b.getAttribute('data-metric'))).toEqual(['hit@5', 'MRR@10', 'quote@5', 'hit@5', 'MRR@10', 'quote@5']);
    const h = bars.map((b) => Number(b.getAttribute('height')));
    expect(h[0]! / h[2]!).toBeCloseTo(0.5, 2);
    expect(h[1]! / h[2]!).toBeCloseTo(0.25, 2);
    expect(texts(doc, 'g.group text.value').slice(0, 3)).toEqual(['0.50', '0.25', '1.00']);
    expect(texts(doc, 'text.y-tick').at(-1)).toBe('1.00');
    expect(texts(doc, 'g.legend-item text')).toEqual(['hit@5', 'MRR@10', 'quote@5']);
    expect(texts(doc, 'text.x-note')).toEqual(['96 questions']);
    expect(texts(doc, 'text.subtitle')).toEqual(['npm run eval · keyword search · 40,593 passages · answerable questions only']);
  });

  it('rejects a file that is not an eval report', () => {
    expect(() => qualityChart({} as EvalReport)).toThrow(/npm run eval -- --json/);
  });
});

describe('helpers', () => {
  it('names sizes as BENCHMARKS.md does', () => {
    expect([2501, 10763, 40000, 500].map(sizeLabel)).toEqual(['2.5k', '10.8k', '40k', '500']);
  });
  it('picks round axis tops', () => {
    expect(niceAxis(285.3 * 1.08)).toEqual({ top: 400, step: 100 });
    expect(niceAxis(7)).toEqual({ top: 8, step: 2 });
  });
  it('escapes text for XML', () => {
    expect(escapeXml('a<b & "c">')).toBe('a&lt;b &amp; &quot;c&quot;&gt;');
  });
});

describe('writing the files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it('writes the three SVG files from a results file and an eval report', async () => {
    await writeFile(path.join(dir, 'results.json'), JSON.stringify(results));
    await writeFile(path.join(dir, 'eval.json'), JSON.stringify(report));
    const out = path.join(dir, 'docs');
    const written = await writeCharts({ results: path.join(dir, 'results.json'), evalReport: path.join(dir, 'eval.json'), outDir: out });
    expect(written.map((f) => path.basename(f))).toEqual(['latency-vs-size.svg', 'rss-vs-size.svg', 'quality.svg']);
    expect((await readdir(out)).sort()).toEqual(['latency-vs-size.svg', 'quality.svg', 'rss-vs-size.svg']);
    expect(await readFile(path.join(out, 'quality.svg'), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  });

  it('names the file that is missing or not JSON', async () => {
    await expect(writeCharts({ results: path.join(dir, 'nope.json'), outDir: dir })).rejects.toThrow(/cannot read bench results .*nope\.json: ENOENT/);
    await writeFile(path.join(dir, 'bad.json'), '{');
    await expect(writeCharts({ evalReport: path.join(dir, 'bad.json'), outDir: dir })).rejects.toThrow(/eval report .*bad\.json is not valid JSON/);
  });

  it('npm run charts writes the files it is given and says so; with nothing to chart it exits 2', async () => {
    const tsx = path.join(REPO, 'node_modules/.bin/tsx');
    await writeFile(path.join(dir, 'eval.json'), JSON.stringify(report));
    const run = promisify(execFile);
    const { stdout } = await run(tsx, [path.join(REPO, 'bench/charts.ts'), '--eval', 'eval.json', '--out', 'pics'], { cwd: dir });
    expect(stdout).toBe(`wrote ${path.join('pics', 'quality.svg')}\n`);
    const failed = await run(tsx, [path.join(REPO, 'bench/charts.ts')], { cwd: dir }).catch((err: { code: number; stderr: string }) => err);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('Nothing to chart') });
  });
});
