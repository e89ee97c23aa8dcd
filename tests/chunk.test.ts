import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chunkArticle } from '../src/chunk.js';
import { splitSentences } from '../src/text/sentences.js';
import { loadCorpus } from '../src/ingest/load.js';
import { SHARED, tempDir } from './support/corpus.js';

describe('splitSentences', () => {
  it('does not break after abbreviations or initials and keeps exact offsets', () => {
    const text = 'The U.S. Secretary spoke to Gen. Mark Milley on Monday. J. R. Smith agreed. Prices rose 3.5% in Jan. and fell later.';
    const sentences = splitSentences(text);
    expect(sentences.map((s) => s.text)).toEqual([
      'The U.S. Secretary spoke to Gen. Mark Milley on Monday.',
      'J. R. Smith agreed.',
      'Prices rose 3.5% in Jan. and fell later.',
    ]);
    for (const s of sentences) expect(text.slice(s.start, s.end)).toBe(s.text);
  });
});

describe('chunkArticle on real articles', () => {
  let cleanup = async (): Promise<void> => {};
  afterAll(() => cleanup());

  it('cuts whole sentences of about 150–250 words with exact offsets', async () => {
    // 200 real articles from the shared news corpus.
    const lines = (await readFile(path.join(SHARED, 'corpus/news-2022.jsonl'), 'utf8')).split('\n').slice(0, 200).join('\n');
    const temp = await tempDir();
    cleanup = temp.cleanup;
    const tmp = path.join(temp.dir, 'sample.jsonl');
    await writeFile(tmp, lines);
    const { articles } = await loadCorpus([tmp]);
    expect(articles.length).toBeGreaterThan(190);
    let id = 0;
    const sizes: number[] = [];
    for (const article of articles) {
      const chunks = chunkArticle(article, () => id++);
      expect(chunks.length).toBeGreaterThan(0);
      const sentenceEnds = new Set(splitSentencesOf(article.text).map((s) => s.end));
      const sentenceStarts = new Set(splitSentencesOf(article.text).map((s) => s.start));
      chunks.forEach((c, i) => {
        expect(c.articleId).toBe(article.id);
        expect(c.position).toBe(i);
        expect(article.text.slice(c.start, c.end)).toBe(c.text);
        // Never splits a sentence: a chunk starts and ends on sentence boundaries.
        expect(sentenceStarts.has(c.start)).toBe(true);
        expect(sentenceEnds.has(c.end)).toBe(true);
        if (i > 0) expect(c.start).toBeGreaterThan(chunks[i - 1]!.start);
        sizes.push(c.text.split(/\s+/).length);
      });
      // Consecutive chunks cover the whole article.
      expect(chunks[0]!.start).toBe(splitSentencesOf(article.text)[0]!.start);
      expect(chunks.at(-1)!.end).toBe(splitSentencesOf(article.text).at(-1)!.end);
    }
    sizes.sort((a, b) => a - b);
    const median = sizes[Math.floor(sizes.length / 2)]!;
    expect(median).toBeGreaterThanOrEqual(120);
    expect(median).toBeLessThanOrEqual(250);
    // Only single over-long sentences may exceed the maximum.
    expect(sizes.filter((n) => n > 260).length).toBeLessThan(sizes.length * 0.01);
  });
});

function splitSentencesOf(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const re = /[^\n]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(...splitSentences(m[0], m.index));
  return out;
}
