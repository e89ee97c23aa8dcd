import cliProgress from 'cli-progress';
import type { BuildProgress, BuildReport, BuildStage } from '../index/build.js';

const LABELS: Record<BuildStage, string> = {
  load: 'Loading articles ',
  chunk: 'Cutting passages ',
  model: 'Loading model    ',
  embed: 'Embedding        ',
  hnsw: 'Vector index     ',
  lexical: 'Keyword index    ',
  write: 'Writing          ',
};

/** Renders build progress on stderr: a bar per long stage on a terminal, plain lines otherwise. */
export function progressReporter(): { onProgress: (p: BuildProgress) => void; stop: () => void } {
  const tty = process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let barStage: BuildStage | undefined;
  const stop = (): void => {
    bar?.stop();
    bar = undefined;
    barStage = undefined;
  };
  const onProgress = (p: BuildProgress): void => {
    if (p.message) {
      stop();
      process.stderr.write(`${p.message}\n`);
    }
    if (!tty || p.total < 50 || p.stage === 'model' || p.stage === 'write') return;
    if (barStage !== p.stage) {
      stop();
      bar = new cliProgress.SingleBar(
        { format: `${LABELS[p.stage]} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(p.total, p.done);
      barStage = p.stage;
    } else {
      bar?.update(p.done);
    }
    if (p.done >= p.total) stop();
  };
  return { onProgress, stop };
}

export function formatBuildReport(report: BuildReport): string {
  const lines = [
    `Indexed ${report.articles} articles (${report.chunks} passages) from ${report.files} files in ${(report.totalMs / 1000).toFixed(1)} s.`,
    `Mode: ${report.mode}${report.mode === 'hybrid' ? ` (model ${report.model}: ${report.embedded} passages embedded, ${report.reused} reused)` : ''}.`,
  ];
  if (report.duplicates) lines.push(`Skipped ${report.duplicates} duplicate articles.`);
  const list = (heading: string, problems: BuildReport['problems']): void => {
    if (!problems.length) return;
    lines.push(heading);
    for (const p of problems.slice(0, 20)) lines.push(`  ${p.source}${p.line !== undefined ? `:${p.line}` : ''}: ${p.message}`);
    if (problems.length > 20) lines.push(`  … and ${problems.length - 20} more`);
  };
  list(`Skipped ${report.problems.filter((p) => !p.kept).length} bad inputs:`, report.problems.filter((p) => !p.kept));
  // Undated or truncated articles are indexed, but the user should know.
  list(`Indexed ${report.problems.filter((p) => p.kept).length} articles with a problem:`, report.problems.filter((p) => p.kept));
  const stages = Object.entries(report.stageMs)
    .map(([stage, ms]) => `${stage} ${(ms / 1000).toFixed(1)} s`)
    .join(', ');
  lines.push(`Stages: ${stages}.`);
  lines.push(`Index: ${report.buildDir}`);
  return lines.join('\n');
}
