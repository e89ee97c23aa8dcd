/**
 * `npm run charts [-- --results bench/results.json] [--eval FILE] [--out docs]`: the SVG charts of
 * BENCHMARKS.md — query latency and RSS against corpus size (from `npm run bench`'s results) and
 * answer quality per question set (from `npm run eval -- --json FILE`). `npm run bench` calls this
 * for its own results at the end.
 */
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { writeCharts } from './chart-data.js';

const program = new Command()
  .name('npm run charts --')
  .description('Write SVG charts of the benchmark and eval results into docs/.')
  .option('--results <file>', 'bench results (npm run bench); default bench/results.json when it exists')
  .option('--eval <file>', 'an eval report (npm run eval -- --json FILE)')
  .option('--out <dir>', 'where to write the SVG files', 'docs')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ results?: string; eval?: string; out: string }>();

async function main(): Promise<void> {
  const results = opts.results ?? (existsSync('bench/results.json') ? 'bench/results.json' : undefined);
  if (!results && !opts.eval) {
    process.stderr.write('Nothing to chart: no bench/results.json (run `npm run bench`) and no --eval FILE (run `npm run eval -- --json FILE`).\n');
    process.exitCode = 2;
    return;
  }
  const written = await writeCharts({ results, evalReport: opts.eval, outDir: opts.out });
  for (const file of written) process.stdout.write(`wrote ${file}\n`);
  if (written.length === 0) process.stderr.write(`${results} holds no query or memory figures to chart.\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`charts failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
