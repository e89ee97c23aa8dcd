/**
 * Hand-written SVG charts (a line chart and a grouped bar chart): plain, readable pictures for
 * BENCHMARKS.md without a charting dependency. Pure functions: data in, SVG text out.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  name: string;
  points: Point[];
  /** Drawn dashed (e.g. p99 next to the solid p50 of the same mode). */
  dashed?: boolean;
  /** Default: the palette colour of the series' position. */
  color?: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A smaller line under the title: where the figures come from. */
  subtitle?: string;
  /** Labels for the x ticks, one per distinct x (default: the number). */
  xTickLabel?: (x: number) => string;
}

export interface BarChart {
  title: string;
  subtitle?: string;
  yLabel: string;
  /** One group per category (e.g. a question set), one bar per metric in each; `note` is a second tick line. */
  groups: Array<{ name: string; note?: string; values: Array<{ metric: string; value: number }> }>;
  /** Top of the y axis (default: the largest value, rounded up). */
  yMax?: number;
  /** How a bar's value is printed above it. */
  format?: (v: number) => string;
}

/** Colour-blind-safe (Okabe–Ito) colours, in series order. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'] as const;

const W = 780;
const H = 440;
const M = { left: 70, right: 220, top: 64, bottom: 60 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n1 = (v: number): string => String(Math.round(v * 10) / 10);
const color = (i: number): string => PALETTE[i % PALETTE.length]!;

/** A "nice" axis top and step: 1, 2 or 5 × 10^k, about five ticks. */
export function niceAxis(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 1, step: 0.2 };
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * mag).find((s) => s >= raw) ?? 10 * mag;
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

function frame(title: string, subtitle: string | undefined, yLabel: string, xLabel: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text class="title" x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="600">${escapeXml(title)}</text>`,
    subtitle ? `<text class="subtitle" x="${W / 2}" y="45" text-anchor="middle" fill="#555">${escapeXml(subtitle)}</text>` : '',
    `<text class="y-label" transform="translate(18 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
    xLabel ? `<text class="x-label" x="${M.left + PW / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>` : '',
    ...body,
    '</svg>',
    '',
  ]
    .filter(Boolean)
    .join('\n');
}

/** Horizontal grid lines with y tick labels, and the axes. */
function yAxis(top: number, step: number, format: (v: number) => string): string[] {
  const out: string[] = [];
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = M.top + PH - (v / top) * PH;
    out.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${n1(y)}" y2="${n1(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text class="y-tick" x="${M.left - 8}" y="${n1(y + 4)}" text-anchor="end" fill="#444">${escapeXml(format(v))}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}" stroke="#333"/>`);
  return out;
}

function legend(items: Array<{ name: string; color: string; dashed?: boolean; bar?: boolean }>): string[] {
  const x = M.left + PW + 20;
  return items.flatMap((item, i) => {
    const y = M.top + 10 + i * 22;
    const mark = item.bar
      ? `<rect x="${x}" y="${y - 6}" width="22" height="12" fill="${item.color}"/>`
      : `<line x1="${x}" x2="${x + 22}" y1="${y}" y2="${y}" stroke="${item.color}" stroke-width="2.5"${item.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    return [`<g class="legend-item">${mark}<text x="${x + 30}" y="${y + 4}">${escapeXml(item.name)}</text></g>`];
  });
}

/** Value labels beside their points, moved apart vertically where points of one x are close. */
function valueLabels(labels: Array<{ x: number; y: number; text: string; color: string; anchor: 'start' | 'end' }>): string[] {
  const byX = new Map<number, typeof labels>();
  for (const l of labels) byX.set(Math.round(l.x), [...(byX.get(Math.round(l.x)) ?? []), l]);
  const out: string[] = [];
  for (const column of byX.values()) {
    column.sort((a, b) => a.y - b.y);
    for (let i = 1; i < column.length; i++) column[i]!.y = Math.max(column[i]!.y, column[i - 1]!.y + 14);
    // Pushed below the x axis: move the whole column up instead.
    const over = column.at(-1)!.y - (M.top + PH - 2);
    if (over > 0) for (const l of column) l.y -= over;
    for (const l of column) out.push(`<text class="value" x="${n1(l.x)}" y="${n1(l.y)}" text-anchor="${l.anchor}" fill="${l.color}">${escapeXml(l.text)}</text>`);
  }
  return out;
}

/**
 * Lines over a log-scaled x axis (corpus sizes span 2.5k to 40k), ticks at the data's own x values,
 * linear y from 0. Each point is labelled with its value, so the picture reads without a table.
 */
export function lineChart(chart: LineChart): string {
  const series = chart.series.filter((s) => s.points.length > 0);
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  if (xs.length === 0) throw new Error(`chart "${chart.title}": no data points`);
  const { top, step } = niceAxis(Math.max(...series.flatMap((s) => s.points.map((p) => p.y))) * 1.08);
  const lo = Math.log(xs[0]!);
  const hi = Math.log(xs.at(-1)!);
  const px = (x: number): number => M.left + (hi === lo ? PW / 2 : 55 + ((Math.log(x) - lo) / (hi - lo)) * (PW - 110));
  const py = (y: number): number => M.top + PH - (y / top) * PH;
  const tick = chart.xTickLabel ?? ((x: number) => String(x));
  const body = yAxis(top, step, (v) => n1(v));
  for (const x of xs) {
    body.push(`<line x1="${n1(px(x))}" x2="${n1(px(x))}" y1="${M.top + PH}" y2="${M.top + PH + 5}" stroke="#333"/>`);
    body.push(`<text class="x-tick" x="${n1(px(x))}" y="${M.top + PH + 19}" text-anchor="middle" fill="#444">${escapeXml(tick(x))}</text>`);
  }
  const colors = series.map((s, i) => s.color ?? color(i));
  const labels: Parameters<typeof valueLabels>[0] = [];
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const path = pts.map((p, j) => `${j ? 'L' : 'M'}${n1(px(p.x))} ${n1(py(p.y))}`).join(' ');
    body.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    body.push(`<path d="${path}" fill="none" stroke="${colors[i]}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    for (const p of pts) {
      body.push(`<circle cx="${n1(px(p.x))}" cy="${n1(py(p.y))}" r="4" fill="${colors[i]}"/>`);
      // Left of the first size (the lines leave it to the right), right of the others.
      const first = p.x === xs[0] && xs.length > 1;
      labels.push({ x: px(p.x) + (first ? -8 : 8), y: py(p.y) + 4, text: n1(p.y), color: colors[i]!, anchor: first ? 'end' : 'start' });
    }
    body.push('</g>');
  });
  body.push(...valueLabels(labels));
  body.push(...legend(series.map((s, i) => ({ name: s.name, color: colors[i]!, dashed: s.dashed }))));
  return frame(chart.title, chart.subtitle, chart.yLabel, chart.xLabel, body);
}

/** Grouped vertical bars, one colour per metric, the value printed above each bar. */
export function barChart(chart: BarChart): string {
  if (chart.groups.length === 0) throw new Error(`chart "${chart.title}": no groups`);
  const metrics = [...new Set(chart.groups.flatMap((g) => g.values.map((v) => v.metric)))];
  const { top, step } = chart.yMax ? { top: chart.yMax, step: chart.yMax / 5 } : niceAxis(Math.max(...chart.groups.flatMap((g) => g.values.map((v) => v.value))));
  const format = chart.format ?? n1;
  const groupW = PW / chart.groups.length;
  const barW = Math.min(40, (groupW * 0.8) / metrics.length);
  const body = yAxis(top, step, (v) => format(v));
  chart.groups.forEach((g, gi) => {
    const cx = M.left + groupW * (gi + 0.5);
    const x0 = cx - (barW * metrics.length) / 2;
    body.push(`<g class="group" data-name="${escapeXml(g.name)}">`);
    for (const v of g.values) {
      const mi = metrics.indexOf(v.metric);
      const h = (Math.min(v.value, top) / top) * PH;
      const x = x0 + mi * barW;
      body.push(`<rect class="bar" data-metric="${escapeXml(v.metric)}" x="${n1(x + 1)}" y="${n1(M.top + PH - h)}" width="${n1(barW - 2)}" height="${n1(h)}" fill="${color(mi)}"/>`);
      body.push(`<text class="value" x="${n1(x + barW / 2)}" y="${n1(M.top + PH - h - 4)}" text-anchor="middle" font-size="10">${escapeXml(format(v.value))}</text>`);
    }
    body.push(`<text class="x-tick" x="${n1(cx)}" y="${M.top + PH + 19}" text-anchor="middle" fill="#444">${escapeXml(g.name)}</text>`);
    if (g.note) body.push(`<text class="x-note" x="${n1(cx)}" y="${M.top + PH + 34}" text-anchor="middle" fill="#777" font-size="11">${escapeXml(g.note)}</text>`);
    body.push('</g>');
  });
  body.push(...legend(metrics.map((m, i) => ({ name: m, color: color(i), bar: true }))));
  return frame(chart.title, chart.subtitle, chart.yLabel, '', body);
}
