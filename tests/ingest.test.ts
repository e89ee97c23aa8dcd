import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeDate } from '../src/ingest/fields.js';
import { loadCorpus } from '../src/ingest/load.js';
import { SHARED, tempDir } from './support/corpus.js';

const LONG = 'Ukrainian forces advanced toward the city on Tuesday, officials said, as shelling continued in the region.';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterAll(() => cleanup());

describe('loadCorpus', () => {
  it('maps synonym fields in JSONL, reports malformed lines by file and line, and keeps going', async () => {
    const file = path.join(dir, 'mixed.jsonl');
    await writeFile(
      file,
      [
        JSON.stringify({ Headline: 'First', Body: LONG, Published: '2022-10-14T08:00:00Z', Link: 'https://www.cnn.com/a' }),
        '{"headline": "broken", "body": ',
        JSON.stringify({ title: 'No text here', url: 'https://x.test/b' }),
        JSON.stringify({ title: 'Second', content: `${LONG} Again.`, date: '14/10/2022', outlet: 'Reuters' }),
        '',
      ].join('\n'),
    );
    const { articles, problems } = await loadCorpus([file]);
    expect(articles.map((a) => [a.title, a.date, a.outlet, a.url])).toEqual([
      ['First', '2022-10-14', 'CNN', 'https://www.cnn.com/a'],
      ['Second', undefined, 'Reuters', undefined],
    ]);
    expect(articles[0]!.source).toBe(`${file}:1`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ source: file, line: 2 });
    expect(problems[0]!.message).toMatch(/malformed JSON/);
    expect(problems[1]).toMatchObject({ source: file, line: 3 });
    expect(problems[1]!.message).toMatch(/no article text/);
  });

  it('reads real CSV datasets with their own column names (Guardian and NYT/Kaggle shapes)', async () => {
    const raw = path.join(SHARED, 'corpus-raw');
    const { articles, problems } = await loadCorpus([
      path.join(raw, 'kaggle-nyt-guardian-407/Guardians_Russia_Ukraine.csv'),
      path.join(raw, '132dow-guardian/data/raw/guardian/guard-articles-nato.csv'),
    ]);
    expect(articles.length).toBeGreaterThan(300);
    const guardian = articles.find((a) => a.url?.includes('theguardian.com'));
    expect(guardian?.outlet).toBe('The Guardian');
    expect(guardian?.date).toMatch(/^2022-\d\d-\d\d$/);
    expect(guardian?.title.length).toBeGreaterThan(10);
    // Rows with an empty text cell are reported with their line, not silently dropped.
    for (const p of problems) expect(p.line).toBeGreaterThan(1);
  });

  it('reads a JSON file of nested search results (RealtimeQA shape)', async () => {
    const file = path.join(SHARED, 'corpus-raw/realtimeqa-2022/past/2022/20220617_gold.jsonl');
    const { articles } = await loadCorpus([file]);
    expect(articles.length).toBeGreaterThan(5);
    expect(articles.every((a) => a.text.length > 40)).toBe(true);
  });

  it('extracts the main text and metadata of an HTML page', async () => {
    const file = path.join(dir, 'page.html');
    const paragraphs = Array.from({ length: 6 }, (_, i) => `<p>${LONG} Paragraph ${i + 1} adds detail about the front line and the river crossing.</p>`).join('');
    await writeFile(
      file,
      `<!doctype html><html><head><title>Page title | Site</title>
        <meta property="og:site_name" content="Kyiv Post"><link rel="canonical" href="https://www.kyivpost.com/post/1">
        <meta property="article:published_time" content="2022-11-11T10:00:00Z"></head>
        <body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
        <article><h1>Kherson liberated</h1>${paragraphs}</article>
        <footer>Copyright © 2022 Kyiv Post. All rights reserved.</footer></body></html>`,
    );
    const { articles, problems } = await loadCorpus([file]);
    expect(problems).toEqual([]);
    expect(articles).toHaveLength(1);
    const [a] = articles;
    expect(a!.outlet).toBe('Kyiv Post');
    expect(a!.url).toBe('https://www.kyivpost.com/post/1');
    expect(a!.date).toBe('2022-11-11');
    expect(a!.text).toContain('Paragraph 6 adds detail');
    expect(a!.text).not.toMatch(/Home|Copyright/);
  });

  it('skips files with a bad encoding or no text, by name, and indexes the rest of a folder', async () => {
    const folder = path.join(dir, 'folder');
    await mkdir(path.join(folder, 'nested'), { recursive: true });
    await writeFile(path.join(folder, 'good.txt'), `A good title\n\n${LONG}`);
    await writeFile(path.join(folder, 'nested', 'also-good.md'), `---\ntitle: Nested\ndate: 2022-03-01\n---\n${LONG} Nested.`);
    await writeFile(path.join(folder, 'latin1.txt'), Buffer.from([0x54, 0x69, 0x74, 0x6c, 0x65, 0x0a, 0xe9, 0xe8, 0x20, 0x61]));
    await writeFile(path.join(folder, 'empty.json'), '[]');
    await writeFile(path.join(folder, 'notes.xyz'), 'ignored');
    const { articles, problems } = await loadCorpus([folder, path.join(dir, 'missing-file.jsonl')]);
    expect(articles.map((a) => a.title).sort()).toEqual(['A good title', 'Nested']);
    const bySource = Object.fromEntries(problems.map((p) => [path.basename(p.source), p.message]));
    expect(bySource['latin1.txt']).toMatch(/UTF-8/);
    expect(bySource['empty.json']).toMatch(/no article records/);
    expect(bySource['missing-file.jsonl']).toMatch(/cannot read/);
    expect(bySource['notes.xyz']).toBeUndefined();
  });

  it('indexes duplicate articles once (same URL, or same text)', async () => {
    const file = path.join(dir, 'dupes.jsonl');
    await writeFile(
      file,
      [
        { title: 'A', text: LONG, url: 'https://www.bbc.com/news/1?utm_source=x' },
        { title: 'A again', text: `${LONG} Updated.`, url: 'http://bbc.com/news/1/' },
        { title: 'Wire copy', text: LONG.toUpperCase(), url: 'https://other.test/2' },
        { title: 'Different', text: `${LONG} Something else entirely happened later.`, url: 'https://other.test/3' },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const result = await loadCorpus([file]);
    expect(result.articles.map((a) => a.title)).toEqual(['A', 'Different']);
    expect(result.duplicates).toBe(2);
  });
});

describe('normalizeDate', () => {
  it('understands the date shapes of real datasets', () => {
    expect(normalizeDate('2022-02-24T06:24:27Z')).toBe('2022-02-24');
    expect(normalizeDate('2022/05/10')).toBe('2022-05-10');
    expect(normalizeDate('Wednesday, 23 February 2022')).toBe('2022-02-23');
    expect(normalizeDate('February 23, 2022')).toBe('2022-02-23');
    expect(normalizeDate('20220125T090000Z')).toBe('2022-01-25');
    expect(normalizeDate('2023-11')).toBe('2023-11');
    expect(normalizeDate('yesterday')).toBeUndefined();
  });
});
