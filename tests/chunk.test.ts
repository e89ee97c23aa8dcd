import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkArticle } from '../src/chunk.js';
import { loadCorpus } from '../src/ingest/stream.js';
import { SEGMENT_WINDOW, splitSentences } from '../src/text/sentences.js';
import type { Article, Chunk } from '../src/types.js';
import { FIXTURES, tempDir } from './support/corpus.js';
import { hasShared, SHARED } from './support/shared.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

function sentencesOf(text: string): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  const re = /[^\n]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(...splitSentences(m[0], m.index));
  return out;
}

/** Chunks start and end on sentence boundaries, hold exact text, move forward and cover the article. */
function expectWellFormed(article: Pick<Article, 'id' | 'text'>, chunks: Chunk[]): void {
  const sentences = sentencesOf(article.text);
  const starts = new Set(sentences.map((s) => s.start));
  const ends = new Set(sentences.map((s) => s.end));
  expect(chunks.length).toBeGreaterThan(0);
  chunks.forEach((c, i) => {
    expect(c.articleId).toBe(article.id);
    expect(c.position).toBe(i);
    expect(article.text.slice(c.start, c.end)).toBe(c.text);
    expect(starts.has(c.start)).toBe(true);
    expect(ends.has(c.end)).toBe(true);
    if (i > 0) expect(c.start).toBeGreaterThan(chunks[i - 1]!.start);
  });
  expect(chunks[0]!.start).toBe(sentences[0]!.start);
  expect(chunks.at(-1)!.end).toBe(sentences.at(-1)!.end);
}

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

  it('splits one long paragraph (read in windows) exactly as it splits its paragraphs one by one', async () => {
    const { articles } = await loadCorpus([path.join(FIXTURES, 'long-article.md')]);
    const paragraphs = articles[0]!.text.split('\n\n');
    // Every paragraph is shorter than a window, so each is segmented in one piece: the reference.
    expect(Math.max(...paragraphs.map((p) => p.length))).toBeLessThan(SEGMENT_WINDOW);
    const joined = [...paragraphs, ...paragraphs, ...paragraphs].join(' ');
    expect(joined.length).toBeGreaterThan(SEGMENT_WINDOW * 3);
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) for (const p of paragraphs) expected.push(...splitSentences(p).map((s) => s.text));
    const got = splitSentences(joined, 7);
    expect(got.map((s) => s.text)).toEqual(expected);
    for (const s of got) expect(joined.slice(s.start - 7, s.end - 7)).toBe(s.text);
  });

  it('does not join abbreviation breaks into a sentence longer than a window', () => {
    const text = Array.from({ length: 2000 }, () => 'Gen. Smith met Gov.').join(' ');
    const sentences = splitSentences(text);
    expect(sentences.length).toBeGreaterThan(1);
    for (const s of sentences) expect(s.text.length).toBeLessThanOrEqual(SEGMENT_WINDOW + 20);
  });

  it('cuts text with no spaces at all into window-sized pieces', () => {
    const text = 'x'.repeat(2_000_000);
    const sentences = splitSentences(text);
    expect(sentences).toHaveLength(2_000_000 / SEGMENT_WINDOW);
    expect(sentences.map((s) => s.text).join('')).toBe(text);
  });

  it('cuts a run with no sentence end at all at spaces, into window-sized pieces', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ');
    const sentences = splitSentences(text);
    expect(sentences.length).toBeGreaterThan(text.length / SEGMENT_WINDOW);
    expect(sentences.map((s) => s.text).join(' ')).toBe(text);
    for (const s of sentences) expect(s.text.length).toBeLessThanOrEqual(SEGMENT_WINDOW);
  });
});

describe('chunkArticle', () => {
  it('cuts the same chunks of normal text as before the linear rewrite', async () => {
    const { articles } = await loadCorpus([path.join(FIXTURES, 'long-article.md')]);
    const article = articles[0]!;
    let id = 0;
    const chunks = chunkArticle(article, () => id++);
    // Offsets produced by the previous (quadratic) implementation on this fixture.
    expect(chunks.map((c) => [c.start, c.end])).toEqual([[0, 1027], [951, 2059], [1930, 2902], [2803, 3855], [3856, 4993], [4862, 5589]]);
    expectWellFormed(article, chunks);
    for (const c of chunks) expect(c.text.split(/\s+/).length).toBeLessThanOrEqual(250);
  });

  it('loads and chunks a 5 MB article with no paragraph breaks (linear, not minutes)', async () => {
    const { articles } = await loadCorpus([path.join(FIXTURES, 'long-article.md')]);
    const sentences = splitSentences(articles[0]!.text.replace(/\n+/g, ' ')).map((s) => s.text);
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 5_000_000; i++) {
      const s = sentences[i % sentences.length]!;
      parts.push(s);
      size += s.length + 1;
    }
    const file = path.join(dir, 'huge.jsonl');
    await writeFile(file, `${JSON.stringify({ id: 'huge', title: 'One endless paragraph', text: parts.join(' ') })}\n`);
    const loaded = await loadCorpus([file], { maxArticleChars: 6_000_000 });
    expect(loaded.problems).toEqual([]);
    const article = loaded.articles[0]!;
    expect(article.text.length).toBeGreaterThan(5_000_000);
    let id = 0;
    const chunks = chunkArticle(article, () => id++);
    expect(chunks.length).toBeGreaterThan(3000);
    expect(chunks.at(-1)!.end).toBe(article.text.length);
    for (const c of chunks) expect(article.text.slice(c.start, c.end)).toBe(c.text);
  }, 120_000);
});

describe.runIf(hasShared('chunking 200 real news articles', 'corpus/news-2022.jsonl'))('chunkArticle on real articles', () => {
  it('cuts whole sentences of about 150–250 words with exact offsets', async () => {
    const lines = (await readFile(path.join(SHARED, 'corpus/news-2022.jsonl'), 'utf8')).split('\n').slice(0, 200).join('\n');
    const tmp = path.join(dir, 'sample.jsonl');
    await writeFile(tmp, lines);
    const { articles } = await loadCorpus([tmp]);
    expect(articles.length).toBeGreaterThan(190);
    let id = 0;
    const sizes: number[] = [];
    for (const article of articles) {
      const chunks = chunkArticle(article, () => id++);
      expectWellFormed(article, chunks);
      for (const c of chunks) sizes.push(c.text.split(/\s+/).length);
    }
    sizes.sort((a, b) => a - b);
    const median = sizes[Math.floor(sizes.length / 2)]!;
    expect(median).toBeGreaterThanOrEqual(120);
    expect(median).toBeLessThanOrEqual(250);
    // Only single over-long sentences may exceed the maximum.
    expect(sizes.filter((n) => n > 260).length).toBeLessThan(sizes.length * 0.01);
  });
});
