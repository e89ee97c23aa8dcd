/**
 * A smaller corpus with the answers in it (BENCHMARKS.md, session 15): the first N articles of a JSONL
 * corpus plus every article a question file names as gold (`articleIds`), written as JSONL.
 *   npx tsx bench/corpus-subset.ts ../shared/corpus/news-2022.jsonl 2500 OUT.jsonl QUESTIONS.jsonl...
 */
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [corpus, first, out, ...questionFiles] = process.argv.slice(2);
if (!corpus || !first || !out || questionFiles.length === 0) {
  console.error('usage: npx tsx bench/corpus-subset.ts CORPUS.jsonl N OUT.jsonl QUESTIONS.jsonl...');
  process.exit(2);
}
const gold = new Set<string>();
for (const file of questionFiles)
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) for (const id of (JSON.parse(line) as { articleIds?: string[] }).articleIds ?? []) gold.add(id);
const kept: string[] = [];
let n = 0;
for await (const line of createInterface({ input: createReadStream(corpus) })) {
  if (!line.trim()) continue;
  if (n++ < Number(first) || gold.has((JSON.parse(line) as { id: string }).id)) kept.push(line);
}
writeFileSync(out, `${kept.join('\n')}\n`);
console.log(`${kept.length} articles (${gold.size} gold ids) → ${out}`);
