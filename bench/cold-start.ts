/**
 * Child process of the cold-start benchmark: opens the index, answers one question, and prints one
 * JSON line with its own timings and memory. Usage: tsx bench/cold-start.ts INDEX_DIR "question" [never|await]
 */
import { loadCoreConfig } from '../src/config.js';
import { Searcher } from '../src/search/searcher.js';

const [dir, question, model = 'await'] = process.argv.slice(2);
const importedMs = process.uptime() * 1000;
const searcher = await Searcher.open(dir!, loadCoreConfig(), { model: model === 'never' ? 'never' : 'await' });
const openedMs = process.uptime() * 1000;
const answer = await searcher.ask(question!, { k: 5 });
const answeredMs = process.uptime() * 1000;
const mem = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({ importedMs, openedMs, answeredMs, mode: searcher.mode, results: answer.results.length, abstained: answer.abstained, rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers })}\n`,
);
