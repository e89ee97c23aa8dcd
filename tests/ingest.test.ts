import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkIsoDay, parseDate } from '../src/dates.js';
import { cannotRead, truncateAtSentence } from '../src/ingest/load.js';
import { loadCorpus } from '../src/ingest/stream.js';
import { FIXTURES, tempDir } from './support/corpus.js';
import { hasShared, SHARED } from './support/shared.js';

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
      ['Second', '2022-10-14', 'Reuters', undefined],
    ]);
    expect(articles[0]!.source).toBe(`${file}:1`);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatchObject({ source: file, line: 2 });
    expect(problems[0]!.message).toMatch(/malformed JSON/);
    expect(problems[1]).toMatchObject({ source: file, line: 3 });
    expect(problems[1]!.message).toMatch(/no article text/);
  });

  it('reads CSV datasets with their own column names (Guardian shape), reporting empty rows by line', async () => {
    const { articles, problems } = await loadCorpus([path.join(FIXTURES, 'wire.csv')]);
    expect(articles.map((a) => [a.title, a.date, a.outlet])).toEqual([
      ['Harbour cranes replaced', '2022-10-20', 'The Guardian'],
      ['Rail link reopens', '2022-10-22', 'The Guardian'],
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ line: 3 });
    expect(problems[0]!.message).toMatch(/no article text/);
  });

  it('reads nested search results (RealtimeQA shape)', async () => {
    const { articles, problems } = await loadCorpus([path.join(FIXTURES, 'search-results.jsonl')]);
    expect(problems).toEqual([]);
    expect(articles.map((a) => [a.title, a.date, a.source])).toEqual([
      ['Lighthouse keeper retires', '2022-11-04', `${path.join(FIXTURES, 'search-results.jsonl')}:1`],
      ['Choir wins regional prize', '2022-11-03', `${path.join(FIXTURES, 'search-results.jsonl')}:1`],
    ]);
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
    // Named with the reason (a .tsv or .jsonl.gz left out silently looked like a lost file).
    expect(bySource['notes.xyz']).toMatch(/^not a corpus format: \.xyz /);
  });

  it('a path that cannot be read says what the code means and what to do: missing, a broken symlink, no permission', async () => {
    const folder = path.join(dir, 'unreadable');
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, 'good.txt'), `A readable title\n\n${LONG}`);
    await symlink('gone-article.txt', path.join(folder, 'link.txt'));
    const locked = path.join(folder, 'locked.txt');
    await writeFile(locked, `A locked title\n\n${LONG} The locked copy differs.`);
    await chmod(locked, 0o000);
    const { articles, problems } = await loadCorpus([folder, path.join(dir, 'no-such-folder')]);
    const bySource = Object.fromEntries(problems.map((p) => [path.basename(p.source), p.message]));
    expect(bySource['link.txt']).toBe('broken symlink: its target gone-article.txt does not exist');
    expect(bySource['no-such-folder']).toBe('cannot read: no such file or folder (ENOENT)');
    // Root reads any file: then only the message itself can be checked.
    if (process.getuid?.() === 0) expect(articles.map((a) => a.title).sort()).toEqual(['A locked title', 'A readable title']);
    else expect(bySource['locked.txt']).toBe(cannotRead(locked, 'EACCES'));
    expect(cannotRead(locked, 'EACCES')).toBe('cannot read: permission denied (EACCES); give this user read permission, or leave it out of the corpus');
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

describe.runIf(hasShared('reading the raw Guardian/NYT CSVs and RealtimeQA files', 'corpus-raw/kaggle-nyt-guardian-407', 'corpus-raw/132dow-guardian', 'corpus-raw/realtimeqa-2022'))(
  'loadCorpus on real datasets',
  () => {
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
  },
);

describe('dates in ingest', () => {
  it('reads ISO, RFC 2822, month names, US and European numeric dates; reports bad ones by line and keeps the article', async () => {
    const file = path.join(FIXTURES, 'dates.jsonl');
    const { articles, problems } = await loadCorpus([file]);
    expect(Object.fromEntries(articles.map((a) => [a.id, a.date ?? null]))).toEqual({
      iso: '2022-10-31',
      rfc: '2022-11-01',
      'month-day': '2022-11-02',
      'day-month': '2022-11-03',
      'us-numeric': '2022-11-04',
      dotted: '2022-10-31',
      'unambiguous-dmy': '2022-10-14',
      'month-only': '2022-10',
      impossible: null,
      garbled: null,
      undated: null,
    });
    // Every article is indexed; the two bad dates are reported with file and line, and nothing else is.
    expect(problems.map((p) => [p.source, p.line, p.kept])).toEqual([
      [file, 9, true],
      [file, 10, true],
    ]);
    expect(problems[0]!.message).toBe('date "2022-02-30": not a calendar date (February 2022 has 28 days); indexed without a date');
    expect(problems[1]!.message).toMatch(/^date "sometime last week": not a date format Archivist reads \(YYYY-MM-DD/);
  });

  it('reads an ambiguous 03/04/2022 as DATE_ORDER says', async () => {
    const file = path.join(dir, 'ambiguous.jsonl');
    await writeFile(file, `${JSON.stringify({ title: 'Ambiguous', date: '03/04/2022', text: LONG })}\n`);
    expect((await loadCorpus([file])).articles[0]!.date).toBe('2022-03-04');
    expect((await loadCorpus([file], { dateOrder: 'mdy' })).articles[0]!.date).toBe('2022-03-04');
    expect((await loadCorpus([file], { dateOrder: 'dmy' })).articles[0]!.date).toBe('2022-04-03');
  });

  it('validates against the calendar', () => {
    expect(parseDate('2024-02-29')).toEqual({ date: '2024-02-29' });
    expect(parseDate('2023-02-29')).toEqual({ error: 'not a calendar date (February 2023 has 28 days)' });
    expect(parseDate('2022-13-01')).toEqual({ error: 'there is no month 13' });
    expect(parseDate('31/31/2022')).toEqual({ error: 'neither 31 nor 31 can be a month' });
    expect(parseDate('April 31, 2022')).toEqual({ error: 'not a calendar date (April 2022 has 30 days)' });
    expect(parseDate('31.04.2022')).toEqual({ error: 'not a calendar date (April 2022 has 30 days)' });
    expect(parseDate('')).toBeUndefined();
    expect(parseDate(null)).toBeUndefined();
    expect(checkIsoDay('2022-02-30')).toBe('not a calendar date (February 2022 has 28 days)');
    expect(checkIsoDay('2022-13-45')).toBe('there is no month 13');
    expect(checkIsoDay('2022-3-1')).toBe('expected a date as YYYY-MM-DD');
    expect(checkIsoDay('2022-03-01')).toBeUndefined();
  });

  it('understands the date shapes of real datasets', () => {
    const date = (v: unknown, order?: 'mdy' | 'dmy'): string | undefined => {
      const r = parseDate(v, order);
      return r && 'date' in r ? r.date : undefined;
    };
    expect(date('2022-02-24T06:24:27Z')).toBe('2022-02-24');
    expect(date('2022/05/10')).toBe('2022-05-10');
    expect(date('Wednesday, 23 February 2022')).toBe('2022-02-23');
    expect(date('Wed, 23 Feb 2022 06:00:00 GMT')).toBe('2022-02-23');
    expect(date('February 23, 2022')).toBe('2022-02-23');
    expect(date('Feb. 23rd, 2022 at 10:00')).toBe('2022-02-23');
    expect(date('Sept 5 2022')).toBe('2022-09-05');
    expect(date('10/31/2022 09:15')).toBe('2022-10-31');
    expect(date('31-10-2022')).toBe('2022-10-31');
    expect(date('20220125T090000Z')).toBe('2022-01-25');
    expect(date(1666000000)).toBe('2022-10-17');
    expect(date('2023-11')).toBe('2023-11');
    expect(date('November 2022')).toBe('2022-11');
    expect(date('yesterday')).toBeUndefined();
    expect(date('Marching 5, 2022')).toBeUndefined();
  });
});

describe('limits', () => {
  it('truncates an article longer than MAX_ARTICLE_CHARS at a sentence end and reports it', async () => {
    const sentence = 'The ferry crossed the river at dawn and returned before noon with forty passengers aboard.';
    const text = Array.from({ length: 400 }, () => sentence).join(' ');
    const file = path.join(dir, 'long.jsonl');
    await writeFile(file, `${JSON.stringify({ title: 'Long', text })}\n${JSON.stringify({ title: 'Short', text: LONG })}\n`);
    const { articles, problems } = await loadCorpus([file], { maxArticleChars: 10_000 });
    expect(articles.map((a) => a.title)).toEqual(['Long', 'Short']);
    const long = articles[0]!.text;
    expect(long.length).toBeLessThanOrEqual(10_000);
    expect(long.length).toBeGreaterThan(10_000 - sentence.length - 1);
    expect(long.endsWith('aboard.')).toBe(true);
    expect(problems).toEqual([
      {
        source: file,
        line: 1,
        kept: true,
        message: `article text is ${text.length.toLocaleString('en')} characters, over MAX_ARTICLE_CHARS (10,000): indexed its first ${long.length.toLocaleString('en')} (raise MAX_ARTICLE_CHARS to keep more)`,
      },
    ]);
  });

  it('truncateAtSentence keeps whole sentences, or whole words when there are none', () => {
    expect(truncateAtSentence('One two. Three four five.', 12)).toBe('One two.');
    expect(truncateAtSentence('One two. Three four five.', 8)).toBe('One two.');
    expect(truncateAtSentence('alpha bravo charlie delta', 14)).toBe('alpha bravo');
    expect(truncateAtSentence('short', 100)).toBe('short');
  });

  it('reads each real file once through symlinks, and reports a symlink loop once', async () => {
    const root = path.join(dir, 'links');
    await mkdir(path.join(root, 'a', 'b'), { recursive: true });
    await writeFile(path.join(root, 'a', 'b', 'story.txt'), `A story\n\n${LONG}`);
    // b/up → a: a loop; alias → a/b: the same folder again; copy.txt → story.txt: the same file again.
    await symlink(path.join(root, 'a'), path.join(root, 'a', 'b', 'up'));
    await symlink(path.join(root, 'a', 'b'), path.join(root, 'alias'));
    await symlink(path.join(root, 'a', 'b', 'story.txt'), path.join(root, 'copy.txt'));
    await symlink('self', path.join(root, 'self'));
    const { articles, problems, files, duplicates } = await loadCorpus([root]);
    expect(files).toBe(1);
    expect(duplicates).toBe(0);
    expect(articles.map((a) => a.title)).toEqual(['A story']);
    expect(problems).toHaveLength(2);
    expect(problems.map((p) => path.relative(root, p.source)).sort()).toEqual(['a/b/up', 'self']);
    for (const p of problems) expect(p.message).toMatch(/symlink loop/);
  });
});
