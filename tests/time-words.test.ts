/**
 * Time words in a question ("this week", "yesterday", "recently") count back from the asker's day:
 * such a question is answered from those dates first, and from every date when they hold nothing
 * confident. Made-up articles in a real index.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { impliedDates, spanAfterIndex } from '../src/search/time-words.js';
import { tempDir, testSettings } from './support/corpus.js';

describe('impliedDates', () => {
  it('turns plain time words into dates ending on the asker’s day', () => {
    expect(impliedDates('what did the council decide this week', '2024-05-10')).toEqual({ after: '2024-05-02', before: '2024-05-11', phrase: 'this week' });
    expect(impliedDates('Who scored YESTERDAY?', '2024-03-01')).toEqual({ after: '2024-02-28', before: '2024-03-02', phrase: 'YESTERDAY' });
    expect(impliedDates('what did the mayor say on Tuesday', '2024-05-10')?.after).toBe('2024-05-02');
    expect(impliedDates('which ferry line closed last month', '2024-05-10')?.after).toBe('2024-03-08');
    expect(impliedDates('who was recently named coach', '2024-05-10')?.after).toBe('2024-04-09');
    // "This year" is the calendar year so far (with a day of slack), whatever day of it the asker is on.
    expect(impliedDates('who won the regatta this year', '2024-05-10')).toEqual({ after: '2023-12-31', before: '2024-05-11', phrase: 'this year' });
    expect(impliedDates('how many ferries sank so far this year', '2025-01-02')?.after).toBe('2024-12-31');
  });

  it('leaves questions without time words, and a bad day, alone', () => {
    expect(impliedDates('what did the council decide about the bridge', '2024-05-10')).toBeUndefined();
    expect(impliedDates('what happened in the weekly market report', '2024-05-10')).toBeUndefined();
    expect(impliedDates('what did the council decide this week', 'not a date')).toBeUndefined();
  });
});

describe('spanAfterIndex', () => {
  it('is true only when no article of the index can fall in the span, month- and year-only dates included', () => {
    expect(spanAfterIndex({ after: '2026-11-26' }, '2024-05-09')).toBe(true);
    expect(spanAfterIndex({ after: '2024-05-02' }, '2024-05-09')).toBe(false);
    // A month- or year-only article reaches to the end of its month or year.
    expect(spanAfterIndex({ after: '2024-12-20' }, '2024-12')).toBe(false);
    expect(spanAfterIndex({ after: '2024-12-20' }, '2024')).toBe(false);
    expect(spanAfterIndex({ after: '2025-01-02' }, '2024')).toBe(true);
    expect(spanAfterIndex({ after: '2025-01-02' }, undefined)).toBe(false);
  });
});

describe('Searcher: time words', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let searcher: Searcher;
  const article = (id: string, date: string, text: string) => JSON.stringify({ id, title: `Harbour council ${id}`, date, url: `https://example.org/${id}`, text });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('archivist-time-words-'));
    const corpus = path.join(dir, 'corpus.jsonl');
    const filler = Array.from({ length: 8 }, (_, i) => article(`other-${i}`, `2024-0${(i % 4) + 1}-1${i}`, `The orchestra toured ${i + 3} towns and sold tickets for concerts by the lake in spring.`));
    await writeFile(
      corpus,
      `${[
        // The older article matches the question's words best; the newer one is of the asker's week.
        article('old', '2024-01-15', 'The harbour council voted to close the old ferry pier. The harbour council vote on the ferry pier was unanimous, and the ferry pier closes in March.'),
        article('new', '2024-05-08', 'The harbour council voted again on the ferry pier, this time to reopen it for summer boats.'),
        ...filler,
      ].join('\n')}\n`,
    );
    await buildIndex({ corpus: [corpus], out: path.join(dir, 'index'), settings: testSettings() });
    searcher = await Searcher.open(path.join(dir, 'index'), testSettings());
  });
  afterAll(async () => {
    await searcher?.close();
    await cleanup();
  });

  const top = async (question: string, asOf?: string) => {
    const answer = await searcher.ask(question, { k: 3, evenIfUnsure: true, asOf });
    return { id: answer.results[0]?.articleId, dates: answer.dates };
  };

  it('answers from the implied dates first', async () => {
    expect(await top('how did the harbour council vote on the ferry pier this week', '2024-05-10')).toEqual({
      id: 'new',
      dates: { after: '2024-05-02', before: '2024-05-11', phrase: 'this week', held: true },
    });
  });

  it('ranks every date alike without time words', async () => {
    expect(await top('how did the harbour council vote on the ferry pier', '2024-05-10')).toEqual({ id: 'old', dates: undefined });
  });

  it('answers from every date when the implied ones hold nothing (an index older than the asker’s week)', async () => {
    expect(await top('how did the harbour council vote on the ferry pier this week', '2026-12-04')).toEqual({
      id: 'old',
      dates: { after: '2026-11-26', before: '2026-12-05', phrase: 'this week', held: false },
    });
  });

  it('keeps dates the asker gave over the ones time words imply', async () => {
    const answer = await searcher.ask('how did the harbour council vote on the ferry pier this week', { k: 3, evenIfUnsure: true, asOf: '2024-05-10', before: '2024-02-01' });
    expect(answer.results[0]?.articleId).toBe('old');
    expect(answer.dates).toBeUndefined();
  });
});
