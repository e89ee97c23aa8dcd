/**
 * Child process of the bench: opens the index, answers the first question (cold start), then
 * (with a questions file) answers every question twice — a warm-up pass and a timed one — and
 * prints one JSON line with timings and memory.
 * Usage: tsx bench/cold-start.ts INDEX_DIR "first question" [never|await] [QUESTIONS.txt]
 */
import { readFile } from 'node:fs/promises';
import { loadCoreConfig } from '../src/config.js';
import { Searcher } from '../src/search/searcher.js';

const [dir, question, model = 'await', questionsFile] = process.argv.slice(2);
const importedMs = process.uptime() * 1000;
const searcher = await Searcher.open(dir!, loadCoreConfig(), { model: model === 'never' ? 'never' : 'await' });
const openedMs = process.uptime() * 1000;
const answer = await searcher.ask(question!, { k: 5 });
const answeredMs = process.uptime() * 1000;
const first = process.memoryUsage();
const result: Record<string, unknown> = { importedMs, openedMs, answeredMs, mode: searcher.mode, results: answer.results.length, abstained: answer.abstained, top: answer.results.map((r) => r.articleId), rss: first.rss };
if (questionsFile) {
  const questions = (await readFile(questionsFile, 'utf8')).split('\n').filter((q) => q.trim());
  for (const q of questions) await searcher.ask(q, { k: 5 });
  const took: number[] = [];
  let maxRss = 0;
  for (const q of questions) {
    const a = await searcher.ask(q, { k: 5 });
    took.push(a.tookMs);
    maxRss = Math.max(maxRss, process.memoryUsage().rss);
  }
  result.took = took;
  result.answeringRss = maxRss;
}
await searcher.close();
process.stdout.write(`${JSON.stringify(result)}\n`);
