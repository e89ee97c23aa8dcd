import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { loadCorpus } from '../src/ingest/stream.js';
import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { tempDir, testSettings } from './support/corpus.js';

/** Corpus files an operator meets after months of feeds: binary files, huge records, dates as strings. */
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-ingest-op-'));
});
afterAll(() => cleanup());

const SENTENCE = 'The night ferry left the harbour on time and reached the island before the fog rolled in.';
const line = (id: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ id, title: `Ferry log ${id}`, text: `${SENTENCE} Log entry ${id}.`, ...extra });

describe('a binary file named .jsonl', () => {
  it('is named once as binary and skipped, not reported line by line; an update keeps what it indexed from it', async () => {
    const good = path.join(dir, 'good.jsonl');
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(good, `${line('g1')}\n`);
    // Random bytes hold newlines every ~256 bytes: hundreds of "lines".
    const noise = randomBytes(100_000);
    noise[10] = 0;
    await writeFile(bad, noise);
    const { articles, problems } = await loadCorpus([good, bad]);
    expect(articles.map((a) => a.id)).toEqual(['g1']);
    expect(problems).toEqual([{ source: bad, message: expect.stringMatching(/^looks like a binary file \(contains NUL bytes/) }]);

    // Indexed while it was sound, then overwritten with binary: its article is kept, not dropped.
    const out = path.join(dir, 'binary-index');
    await writeFile(bad, `${line('b1')}\n`);
    const settings = testSettings();
    await buildIndex({ corpus: [good, bad], out, settings, lexicalOnly: true });
    await writeFile(bad, noise);
    const report = await buildIndex({ corpus: [good, bad], out, settings, lexicalOnly: true });
    expect([report.removed, report.kept]).toEqual([0, [{ path: bad, reason: expect.stringMatching(/^looks like a binary file/), articles: 1 }]]);
    const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
    expect([...db.articleHashes().keys()].sort()).toEqual(['b1', 'g1']);
    db.close();
  }, 60_000);
});

describe('a huge single record', () => {
  it('a 64 MB line is read, and only the head the limit can keep is cleaned, as the report says', async () => {
    const file = path.join(dir, 'huge.jsonl');
    const text = Array.from({ length: Math.ceil(64 * 2 ** 20 / (SENTENCE.length + 1)) }, () => SENTENCE).join(' ');
    await writeFile(file, `${line('small')}\n${JSON.stringify({ id: 'huge', title: 'Endless log', text })}\n${line('after')}\n`);
    const { articles, problems } = await loadCorpus([file], { maxArticleChars: 1_000_000 });
    expect(articles.map((a) => a.id)).toEqual(['small', 'huge', 'after']);
    const huge = articles[1]!.text;
    expect(huge.length).toBeLessThanOrEqual(1_000_000);
    expect(huge.length).toBeGreaterThan(1_000_000 - SENTENCE.length - 1);
    expect(huge.endsWith('fog rolled in.')).toBe(true);
    expect(problems).toEqual([
      {
        source: file,
        line: 2,
        kept: true,
        message: `article text is ${text.length.toLocaleString('en')} characters before cleaning, over MAX_ARTICLE_CHARS (1,000,000): indexed its first ${huge.length.toLocaleString('en')} (raise MAX_ARTICLE_CHARS to keep more)`,
      },
    ]);
    // "before cleaning": the text was cut before cleaning (before: all 64 MB cleaned, ~10 s and 1.5 GB;
    // the line joined chunk by chunk, quadratic). Times belong in a bench, not in a test.
  }, 120_000);

  it('a cleaned head shorter than the limit is still cut at a sentence end and reported', async () => {
    const file = path.join(dir, 'boilerplate.jsonl');
    // Lines cleaning drops (donation appeals) make most of the text: the head cleaned is under the limit.
    const appeal = 'Please consider a donation to support our journalism.';
    const body = Array.from({ length: 40_000 }, (_, i) => (i % 10 === 0 ? SENTENCE : appeal)).join('\n');
    await writeFile(file, `${JSON.stringify({ id: 'mostly-appeals', title: 'Appeals', text: body })}\n`);
    const { articles, problems } = await loadCorpus([file], { maxArticleChars: 200_000 });
    const text = articles[0]!.text;
    expect(text.endsWith('fog rolled in.')).toBe(true);
    expect(problems).toEqual([expect.objectContaining({ line: 1, kept: true, message: expect.stringMatching(/characters before cleaning, over MAX_ARTICLE_CHARS \(200,000\)/) })]);
  });
});

describe('Unix timestamps written as strings', () => {
  it('are read as timestamps in JSON Lines and CSV (10 digits: seconds, 13: milliseconds); 8 digits stay a compact date', async () => {
    const jsonl = path.join(dir, 'stamps.jsonl');
    await writeFile(jsonl, `${[line('s', { date: '1667210400' }), line('ms', { date: '1667210400000' }), line('compact', { date: '20221031' }), line('number', { date: 1667210400 })].join('\n')}\n`);
    const csv = path.join(dir, 'stamps.csv');
    await writeFile(csv, `id,title,date,text\ncsv1,Ferry log csv1,1667210400,"${SENTENCE} From a table."\n`);
    const { articles, problems } = await loadCorpus([jsonl, csv]);
    expect(problems).toEqual([]);
    expect(articles.map((a) => [a.id, a.date])).toEqual([
      ['s', '2022-10-31'],
      ['ms', '2022-10-31'],
      ['compact', '2022-10-31'],
      ['number', '2022-10-31'],
      ['csv1', '2022-10-31'],
    ]);
  });
});
