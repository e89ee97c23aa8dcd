import cliProgress from 'cli-progress';
import type { BuildProgress, BuildReport, BuildStage, KeptUnread } from '../indexer/build.js';

const LABELS: Record<BuildStage, string> = {
  load: 'Reading articles ',
  chunk: 'Cutting passages ',
  model: 'Loading model    ',
  embed: 'Embedding        ',
  hnsw: 'Vector index     ',
  lexical: 'Keyword index    ',
  merge: 'Merging segments ',
  related: 'Related words    ',
  write: 'Writing          ',
};

/**
 * Renders build progress on stderr. On a terminal: a bar with count, rate and ETA per stage that
 * has a total, a counter with elapsed time otherwise. Not on a terminal: each stage's messages as
 * plain lines, nothing repeated.
 */
export function progressReporter(): { onProgress: (p: BuildProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let barStage: BuildStage | undefined;
  let started = 0;
  let startDone = 0;
  const announced = new Set<BuildStage>();
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
    barStage = undefined;
  };
  const onProgress = (p: BuildProgress): void => {
    if (p.message) {
      stop();
      process.stderr.write(`${p.message}\n`);
    } else if (!tty && !announced.has(p.stage) && (p.total === 0 || p.done < p.total)) {
      // Logs get one line as each stage starts (the bar is for terminals).
      process.stderr.write(`${LABELS[p.stage].trim()}…\n`);
    }
    announced.add(p.stage);
    if (!tty || p.stage === 'model' || p.stage === 'write') return;
    if (p.total > 0 && p.done >= p.total) {
      stop();
      return;
    }
    if (barStage !== p.stage) {
      stop();
      started = performance.now();
      const format =
        p.total > 0
          ? `${LABELS[p.stage]} {bar} {percentage}% | ETA {eta} | {rate}`
          : `${LABELS[p.stage]} {value} | {elapsed} s | {rate}`;
      bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
      bar.start(p.total > 0 ? p.total : 1, p.done, { rate: '', elapsed: '0', eta: '…' });
      barStage = p.stage;
      startDone = p.done;
    }
    const seconds = (performance.now() - started) / 1000;
    const rate = p.rate !== undefined ? `${Math.round(p.rate)} ${p.unit ?? 'per s'}` : seconds > 0 && p.total === 0 ? `${Math.round(p.done / seconds)}/s` : '';
    bar?.update(p.done, { rate, elapsed: seconds.toFixed(0), eta: formatEta(etaSeconds(seconds, p.done - startDone, p.total - p.done)) });
  };
  return { onProgress, stop };
}

/**
 * Seconds left at the stage's average rate since it started. Not a recent-window rate: in a build with
 * a model, reading between two embedding batches is fast and would promise minutes that are hours.
 */
export function etaSeconds(elapsedSeconds: number, doneSinceStart: number, remaining: number): number | undefined {
  if (doneSinceStart <= 0 || elapsedSeconds < 1) return undefined;
  return (elapsedSeconds * remaining) / doneSinceStart;
}

export function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '…';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The report line of articles an update kept from a path it could not read. */
export const keptUnreadLine = (k: KeptUnread): string =>
  `Kept ${k.articles} article${k.articles === 1 ? '' : 's'} from ${k.path}: ${k.reason}; the index keeps them until it can be read, or drop it from --corpus (or --rebuild) to remove them.`;

export function formatBuildReport(report: BuildReport): string {
  const seconds = report.totalMs / 1000;
  const lines = [
    report.kind === 'update'
      ? `Updated the index in place in ${seconds.toFixed(1)} s: ${report.added} new, ${report.changed} changed, ${report.removed} removed, ${report.unchanged} unchanged articles; ${report.articles} articles (${report.chunks} passages) from ${report.files} files.`
      : `Indexed ${report.articles} articles (${report.chunks} passages) from ${report.files} files in ${seconds.toFixed(1)} s (${Math.round(report.articles / Math.max(seconds, 0.001))} articles/s; full build: ${report.fullReason}).`,
    `Mode: ${report.mode}${report.mode === 'hybrid' ? ` (model ${report.model}: ${report.embedded} passages embedded${(report.embedProcesses ?? 1) > 1 ? ` in ${report.embedProcesses} processes` : ''}, ${report.reused} reused)` : ''}.`,
  ];
  // Articles of a path that could not be read stay indexed: say so, and how to drop them.
  for (const k of report.kept ?? []) lines.push(keptUnreadLine(k));
  if (report.duplicates) lines.push(`Skipped ${report.duplicates} duplicate articles.`);
  if (report.excluded) lines.push(`Left out ${report.excluded} removed articles (DATA_DIR/removed-articles.json).`);
  const list = (heading: string, problems: BuildReport['problems']): void => {
    if (!problems.length) return;
    lines.push(heading);
    for (const p of problems.slice(0, 20)) lines.push(`  ${p.source}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`);
    if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more`);
  };
  list(`Skipped ${report.problems.filter((p) => !p.kept).length} bad inputs:`, report.problems.filter((p) => !p.kept));
  // Undated or truncated articles are indexed, but the user should know.
  list(`Indexed ${report.problems.filter((p) => p.kept).length} articles with a problem:`, report.problems.filter((p) => p.kept));
  const stages = (Object.keys(LABELS) as BuildStage[])
    .filter((stage) => report.stageMs[stage] !== undefined)
    .map((stage) => `${stage} ${(report.stageMs[stage]! / 1000).toFixed(1)} s`)
    .join(', ');
  lines.push(`Stages: ${stages}.`);
  lines.push(`Index: ${report.indexFile}`);
  return lines.join('\n');
}
