/**
 * How long the quotes of the top results are, and how many have a detached sentence ("…"): the cost
 * side of quote-hit (BENCHMARKS.md, session 8).
 *   tsx bench/quote-length.ts INDEX_DIR QUESTIONS.jsonl [k=5]
 * INDEX_DIR: e.g. the eval's cached index of news-2022 + seeds (.cache/eval/<key>, printed by `npm run eval`).
 */
import { readFileSync } from 'node:fs';
import { loadCoreConfig } from '../src/config.js';
import { Searcher } from '../src/search/searcher.js';

const [dir, file, k = '5'] = process.argv.slice(2) as [string, string, string?];
if (!dir || !file) {
  console.error('usage: tsx bench/quote-length.ts INDEX_DIR QUESTIONS.jsonl [k]');
  process.exit(2);
}
const searcher = await Searcher.open(dir, loadCoreConfig(process.env), { model: 'never' });
const questions = readFileSync(file, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { question: string }).question);
const lengths: number[] = [];
let withGap = 0;
for (const question of questions) {
  const answer = await searcher.ask(question, { k: Number(k), evenIfUnsure: true });
  for (const r of answer.results) {
    lengths.push(r.quote.length);
    if (r.quoteSentences.some((s) => s.gap)) withGap++;
  }
}
await searcher.close();
lengths.sort((a, b) => a - b);
const mean = Math.round(lengths.reduce((a, b) => a + b, 0) / Math.max(1, lengths.length));
console.log(JSON.stringify({ quotes: lengths.length, meanChars: mean, p50: lengths[lengths.length >> 1], p90: lengths[Math.floor(lengths.length * 0.9)], withGap }));
