/**
 * Child process of the bench: a long-running reader (as the bot is) that opens the index, then on
 * each "refresh" line from stdin picks up the new generation while the event-loop delay is
 * monitored, and answers one JSON line: the longest stall, the refresh time, and a check question.
 * Usage: tsx bench/refresh-child.ts INDEX_DIR
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { loadCoreConfig } from '../src/config.js';
import { Searcher } from '../src/search/searcher.js';

const [dir] = process.argv.slice(2);
const searcher = await Searcher.open(dir!, loadCoreConfig(), { model: 'never' });
process.stdout.write(`${JSON.stringify({ ready: true, generation: searcher.info.generation })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, ...rest] = line.split(' ');
  if (command !== 'refresh') continue;
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  // A timer that must keep firing while the refresh runs: the loop is free if it does.
  const started = performance.now();
  const changed = await searcher.refresh();
  const refreshMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 20));
  histogram.disable();
  const question = rest.join(' ');
  const answer = question ? await searcher.ask(question, { k: 5 }) : undefined;
  process.stdout.write(
    `${JSON.stringify({ changed, generation: searcher.info.generation, refreshMs, maxStallMs: histogram.max / 1e6, top: answer?.results.map((r) => r.articleId) ?? [] })}\n`,
  );
}
await searcher.close();
