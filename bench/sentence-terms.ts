/**
 * Whether a passage's terms equal its sentences' terms in order, the shortcut the ranker's features
 * take (src/search/ranker/features.ts), and what analysing twice cost (BENCHMARKS.md, session 11):
 *   npx tsx bench/sentence-terms.ts CORPUS.jsonl [...]
 * e.g. ../shared/corpus/news-2022.jsonl and .cache/rtqa/realtimeqa-2022.jsonl (written by `npm run eval`).
 */
import { readFileSync } from 'node:fs';
import { analyze } from '../src/text/analyze.js';
import { splitSentences } from '../src/text/sentences.js';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npx tsx bench/sentence-terms.ts CORPUS.jsonl [...]');
  process.exit(2);
}
for (const file of files) {
  const texts = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { text: string }).text);
  let differ = 0;
  let whole = 0;
  let bySentence = 0;
  for (const text of texts) {
    let t = performance.now();
    const a = analyze(text);
    whole += performance.now() - t;
    t = performance.now();
    const b = splitSentences(text).flatMap((s) => analyze(s.text));
    bySentence += performance.now() - t;
    if (a.join(' ') !== b.join(' ')) differ++;
  }
  console.log(`${file}: ${texts.length} articles, ${differ} with other terms; analysing whole ${whole.toFixed(0)} ms, by sentence ${bySentence.toFixed(0)} ms`);
}
