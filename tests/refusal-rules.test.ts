import { execFile } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { spanAfterCorpus, yearAfterCorpus } from '../src/search/postprocess/after-corpus.js';
import { MIN_COVERAGE, MIN_COVERAGE_ADVICE, partialReason, refusalReason, refusedByRule } from '../src/search/postprocess/abstain.js';
import { loadRanker } from '../src/search/ranker/model.js';
import { Searcher } from '../src/search/searcher.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { writeGeneratedCorpus } from './support/synthetic-corpus.js';

/**
 * The refusals a rule makes whatever the confidence model says: questions about a year after the
 * index's newest article, and advice questions below their higher coverage floor.
 */

describe('questions about a year after the corpus ends (yearAfterCorpus)', () => {
  it('finds a past-tense question about a later year', () => {
    expect(yearAfterCorpus('who became mayor of the capital in 2024', '2022-12-30')).toBe(2024);
    expect(yearAfterCorpus('did ukraine qualify for euro 2024', '2022-12')).toBe(2024);
    expect(yearAfterCorpus('how many people died when the dam was blown up in june 2023', '2022')).toBe(2023);
  });

  it('leaves years the corpus reaches, horizons and plans alone', () => {
    expect(yearAfterCorpus('which team lifted the 2022 trophy', '2022-12-30')).toBeUndefined();
    // "after 2024" is a horizon said in 2022, not an event of 2024.
    expect(yearAfterCorpus('who told putin russia was ditching the iss after 2024', '2022-12-30')).toBeUndefined();
    expect(yearAfterCorpus('what did the imf say about 2023 growth', '2022-12-30')).toBeUndefined();
    // Plans and forecasts are reported before they happen.
    expect(yearAfterCorpus('what will the 2024 budget cut', '2022-12-30')).toBeUndefined();
    expect(yearAfterCorpus('when is the 2024 election expected', '2022-12-30')).toBeUndefined();
  });

  it('finds a question about the state of things in a later year, or asking for its news', () => {
    expect(yearAfterCorpus('who runs the central bank in 2026', '2022-12-30')).toBe(2026);
    expect(yearAfterCorpus("what's the situation at the port as of march 2025", '2022-12-30')).toBe(2025);
    expect(yearAfterCorpus('any headlines from 2024 about the strike?', '2022-12-30')).toBe(2024);
    // A month before the year dates an event, even one named like a plan.
    expect(yearAfterCorpus('what did the minister unveil in the april 2023 budget statement', '2022-12-30')).toBe(2023);
  });

  it('leaves an aim named by a later year alone: announcing a 2024 bid is news of its own year', () => {
    expect(yearAfterCorpus('which senator launched a 2024 presidential campaign', '2022-12-30')).toBeUndefined();
    expect(yearAfterCorpus('who said the 2030 emission targets were too weak', '2022-12-30')).toBeUndefined();
    expect(yearAfterCorpus('how high is inflation forecast to be in 2023', '2022-12-30')).toBeUndefined();
    expect(yearAfterCorpus('the cup is in 2026, where is it held', '2027-01-01')).toBeUndefined();
  });

  it('does nothing when no article is dated', () => {
    expect(yearAfterCorpus('who became mayor of the capital in 2024', undefined)).toBeUndefined();
  });
});

describe('questions about yesterday, today or this week over an older index (spanAfterCorpus)', () => {
  it('finds the day or week a question names when every article is older than its year', () => {
    expect(spanAfterCorpus('who scored for the home side yesterday', '2026-03-04', '2022-12-30')).toBe('yesterday');
    expect(spanAfterCorpus('What did the council decide this week?', '2026-03-04', '2022-12')).toBe('this week');
    expect(spanAfterCorpus('anything on the harbour fire last night', '2024-01-15', '2023')).toBe('last night');
    expect(spanAfterCorpus('who won the regatta this year', '2026-03-04', '2022-12-30')).toBe('this year');
    expect(spanAfterCorpus('any news on the port strike this month', '2026-03-04', '2022-12-30')).toBe('this month');
  });

  it('leaves the question alone when the index may reach those days, or the words mean its newest articles', () => {
    // The newest article's year reaches to its end (a month-only date may be any day of it).
    expect(spanAfterCorpus('who scored for the home side yesterday', '2022-12-31', '2022-12-30')).toBeUndefined();
    expect(spanAfterCorpus('who scored for the home side yesterday', '2023-01-01', '2022-06')).toBeUndefined();
    // An index with articles of this year may hold the answer.
    expect(spanAfterCorpus('who won the regatta this year', '2026-03-04', '2026-02-27')).toBeUndefined();
    expect(spanAfterCorpus('who won the regatta this year', '2027-01-01', '2026-12-30')).toBeUndefined();
    // "The latest" over an archive fairly means its newest articles.
    expect(spanAfterCorpus('what is the latest on the port strike', '2026-03-04', '2022-12-30')).toBeUndefined();
    expect(spanAfterCorpus('what did the council decide last month', '2026-03-04', '2022-12-30')).toBeUndefined();
    expect(spanAfterCorpus('what did the council decide', '2026-03-04', '2022-12-30')).toBeUndefined();
    expect(spanAfterCorpus('who scored yesterday', undefined, '2022-12-30')).toBeUndefined();
    expect(spanAfterCorpus('who scored yesterday', '2026-03-04', undefined)).toBeUndefined();
  });

  it('refuses such a question and says which day the asker meant and how old the index is', () => {
    const afterCorpus = { phrase: 'yesterday', newestDate: '2022-12-30' };
    expect(refusedByRule({ coverage: 1, afterCorpus })).toBe(true);
    expect(refusalReason({ coverage: 1, afterCorpus })).toBe('The newest article in the index is dated 2022-12-30, so none can report what happened yesterday.');
  });
});

describe('the rules behind a refusal (refusedByRule, refusalReason)', () => {
  it('holds advice questions to the higher coverage floor', () => {
    const between = (MIN_COVERAGE + MIN_COVERAGE_ADVICE) / 2;
    expect(refusedByRule({ coverage: between })).toBe(false);
    expect(refusedByRule({ coverage: between, advice: true })).toBe(true);
    expect(refusedByRule({ coverage: MIN_COVERAGE_ADVICE + 0.05, advice: true })).toBe(false);
    expect(refusedByRule({ coverage: MIN_COVERAGE - 0.05 })).toBe(true);
    expect(refusedByRule(undefined)).toBe(true);
    expect(refusalReason({ coverage: between, advice: true })).toMatch(/advice or a how-to/);
    // Below the general floor the coverage rule refused it, and says so.
    expect(refusalReason({ coverage: 0.25, advice: true })).toBe("The closest passage holds only 25 % of what this question's words weigh.");
    // Answered passages that the model alone refused have no rule to explain.
    expect(refusalReason({ coverage: MIN_COVERAGE_ADVICE + 0.05, advice: true })).toBeUndefined();
  });

  it('refuses a question about a year after the corpus however well it matches, and says why', () => {
    const afterCorpus = { year: 2025, newestDate: '2023-11' };
    expect(refusedByRule({ coverage: 1, afterCorpus })).toBe(true);
    expect(refusalReason({ coverage: 1, afterCorpus })).toBe('The newest article in the index is dated 2023-11, so none can report what happened in 2025.');
  });
});

describe('on a real index of the seed corpus (newest article: 2023-11)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let index: string;
  let searcher: Searcher;
  const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    index = path.join(dir, 'index');
    await buildIndex({ corpus: [SEED_CORPUS], out: index, settings });
    searcher = await Searcher.open(index, settings);
  });
  afterAll(async () => {
    await searcher?.close();
    await cleanup();
  });

  it('knows its newest article', () => {
    expect(searcher.info.newestDate).toBe('2023-11');
  });

  it('refuses what happened after it, though the topic matches, and can still show the closest passages', async () => {
    const question = 'Who did Kherson residents elect as mayor in 2025?';
    const refused = await searcher.ask(question);
    expect(refused.abstained).toBe(true);
    expect(refused.confidence?.afterCorpus).toEqual({ year: 2025, newestDate: '2023-11' });
    const anyway = await searcher.ask(question, { evenIfUnsure: true });
    expect(anyway.lowConfidence).toBe(true);
    expect(anyway.results[0]!.title).toMatch(/Kherson/);
    // The same question about a year the corpus covers is judged on its passages as usual.
    const covered = await searcher.ask('What did Saldo urge Kherson residents to do in 2022?');
    expect(covered.confidence?.afterCorpus).toBeUndefined();
    expect(covered.abstained).toBe(false);
  });

  it('refuses a question about yesterday years after its newest article, counting from the asker\'s today', async () => {
    const question = 'What did Saldo urge Kherson residents to do yesterday?';
    const refused = await searcher.ask(question, { asOf: '2026-05-02' });
    expect(refused.abstained).toBe(true);
    expect(refused.confidence?.afterCorpus).toEqual({ phrase: 'yesterday', newestDate: '2023-11' });
    // Asked when the index was current, the same words are judged on its passages.
    const then = await searcher.ask(question, { asOf: '2023-11-20' });
    expect(then.confidence?.afterCorpus).toBeUndefined();
    expect(then.results[0]?.title ?? '').toMatch(/Kherson/);
  });

  it('npm run ask says why in text and in --json', async () => {
    const run = promisify(execFile);
    const tsx = path.join(REPO, 'node_modules/.bin/tsx');
    const question = 'Who did Kherson residents elect as mayor in 2025?';
    // No model anywhere: the index is keyword-only.
    const options = { cwd: REPO, env: { ...process.env, ALLOW_REMOTE_MODELS: 'false', MODEL_DIR: path.join(dir, 'no-models'), EMBEDDING_MODEL: '' } };
    const text = await run(tsx, ['src/cli/ask.ts', '--index', index, question], options);
    expect(text.stdout).toMatch(/No source in the corpus answers this\.\nThe newest article in the index is dated 2023-11, so none can report what happened in 2025\./);
    const json = JSON.parse((await run(tsx, ['src/cli/ask.ts', '--index', index, '--json', question], options)).stdout) as { abstained: boolean; reason?: string };
    expect(json).toMatchObject({ abstained: true, reason: expect.stringMatching(/dated 2023-11.*2025/) });
  });
});

describe('a match on words that meet in some passage by chance (chanceMatches, STRONG_MAX_CHANCE)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let searcher: Searcher;
  const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // 1,200 short generated reports, each drawing a third of a few dozen news words, and one report with words of its own.
    const corpus = path.join(dir, 'reports.jsonl');
    await writeGeneratedCorpus(corpus, 1200, 20);
    const own = {
      id: 'dam',
      title: 'Shelling at the Varnavka dam',
      url: 'https://example.org/dam',
      date: '2022-06-01',
      text: 'Engineers said 412 shells struck the Varnavka dam sluice gates overnight, flooding the lower embankment.',
    };
    await appendFile(corpus, `${JSON.stringify(own)}\n`);
    const index = path.join(dir, 'index');
    await buildIndex({ corpus: [corpus], out: index, settings, lexicalOnly: true });
    searcher = await Searcher.open(index, settings);
  }, 120_000);
  afterAll(async () => {
    await searcher?.close();
    await cleanup();
  });

  it('shows a full match on words every other passage holds, but never as a strong match', async () => {
    const answer = await searcher.ask('drone shelling of the convoy at the ferry port?');
    expect(answer.abstained).toBe(false);
    expect(answer.confidence!.coverage).toBe(1);
    expect(answer.confidence!.probability).toBeGreaterThanOrEqual(loadRanker().strong);
    expect(answer.confidence!.commonWords).toBe(true);
    expect(answer.confidence!.strong).toBe(false);
    expect(partialReason(answer.confidence)).toMatch(/common enough to meet in some passage by chance/);
  });

  it('calls a match on the words only one passage holds strong', async () => {
    const answer = await searcher.ask('how many shells struck the varnavka dam');
    expect(answer.results[0]!.articleId).toBe('dam');
    expect(answer.confidence!.commonWords).toBeUndefined();
    expect(answer.confidence!.strong).toBe(true);
  });
});
