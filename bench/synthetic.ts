/**
 * Deterministic synthetic corpus for scale benchmarks, from the news-2022 sentence stream:
 * article i = a contiguous window of 18–40 sentences at a random start plus 3 random sentences,
 * titled after the window's first article + ` (i)`, url `https://example.org/s/i` (seeded RNG).
 * Usage: tsx bench/synthetic.ts NEWS.jsonl OUT.jsonl [COUNT=40000] [SEED=2022]
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { articleSentences } from '../src/text/sentences.js';
import { newStreamStats, streamCorpus } from '../src/ingest/stream.js';
import { seededRandom } from '../tests/support/random.js';


export async function generateSynthetic(news: string, out: string, count = 40_000, seed = 2022): Promise<{ articles: number; sentences: number }> {
  const sentences: string[] = [];
  const owner: number[] = [];
  const meta: Array<{ title: string; date?: string; outlet?: string }> = [];
  for await (const item of streamCorpus([news], newStreamStats())) {
    if (item.kind !== 'article') continue;
    const a = item.article;
    const i = meta.length;
    meta.push({ title: a.title, date: a.date, outlet: a.outlet });
    for (const s of articleSentences(a.text)) {
      sentences.push(s.text);
      owner.push(i);
    }
  }
  const random = seededRandom(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const stream = createWriteStream(out);
  for (let i = 0; i < count; i++) {
    const length = 18 + pick(23);
    const start = pick(sentences.length - length);
    const window = sentences.slice(start, start + length);
    for (let j = 0; j < 3; j++) window.push(sentences[pick(sentences.length)]!);
    const first = meta[owner[start]!]!;
    // Paragraphs of five sentences, as news text has.
    const paragraphs: string[] = [];
    for (let p = 0; p < window.length; p += 5) paragraphs.push(window.slice(p, p + 5).join(' '));
    const line = JSON.stringify({ id: `s${i}`, title: `${first.title} (${i})`, url: `https://example.org/s/${i}`, date: first.date, outlet: first.outlet, text: paragraphs.join('\n\n') });
    if (!stream.write(`${line}\n`)) await once(stream, 'drain');
  }
  stream.end();
  await once(stream, 'finish');
  return { articles: count, sentences: sentences.length };
}

if (process.argv[1]?.endsWith('synthetic.ts')) {
  const [news, out, count, seed] = process.argv.slice(2);
  if (!news || !out) {
    process.stderr.write('usage: tsx bench/synthetic.ts NEWS.jsonl OUT.jsonl [COUNT] [SEED]\n');
    process.exit(2);
  }
  const r = await generateSynthetic(news, out, count ? Number(count) : undefined, seed ? Number(seed) : undefined);
  process.stderr.write(`wrote ${r.articles} articles from ${r.sentences} sentences to ${out}\n`);
}
