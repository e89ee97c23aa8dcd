import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex, type BuildReport } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { hasShared, SHARED } from './support/shared.js';

/** The "done when": the full news corpus plus the seeds, keyword-only (no model here). */
const available = hasShared('the full-scale news-2022 test', 'corpus/news-2022.jsonl');
let dir: string;
let cleanup: () => Promise<void>;
let report: BuildReport;
let searcher: Searcher;

beforeAll(async () => {
  if (!available) return;
  ({ dir, cleanup } = await tempDir());
  const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
  report = await buildIndex({ corpus: [path.join(SHARED, 'corpus/news-2022.jsonl'), SEED_CORPUS], out: path.join(dir, 'index'), settings });
  searcher = await Searcher.open(path.join(dir, 'index'), settings);
}, 600_000);
afterAll(() => cleanup?.());

describe.runIf(available)('news-2022 + seeds at full scale', () => {
  it('indexes every article, reporting counts, skipped inputs and time', () => {
    expect(report.articles).toBeGreaterThan(10_700);
    expect(report.chunks).toBeGreaterThan(35_000);
    expect(report.mode).toBe('lexical');
    expect(report.problems.length).toBeLessThan(10);
    for (const p of report.problems) expect(p.source).toMatch(/news-2022\.jsonl$/);
    expect(report.totalMs).toBeGreaterThan(0);
    expect(Object.keys(report.stageMs)).toEqual(expect.arrayContaining(['load', 'chunk', 'lexical', 'write']));
  });

  it('answers Kherson questions with relevant quotes', async () => {
    const cases: Array<[string, RegExp]> = [
      ['What did Saldo urge Kherson residents to do?', /Saldo|leave|evacuat/i],
      ['When did Russia announce its troops would pull out of Kherson city?', /withdraw|pull/i],
      ['Which bridge near Kherson did Ukraine strike with HIMARS rockets?', /HIMARS/],
    ];
    for (const [question, expected] of cases) {
      const answer = await searcher.ask(question);
      expect(answer.abstained, question).toBe(false);
      expect(answer.results.length).toBe(5);
      expect(answer.results.slice(0, 3).some((r) => expected.test(r.quote)), question).toBe(true);
      expect(answer.results[0]!.url ?? answer.results[0]!.source).toBeTruthy();
      // At most three passages per article (DEFAULT_DIVERSIFY).
      const perArticle = new Map<string, number>();
      for (const r of answer.results) perArticle.set(r.articleId, (perArticle.get(r.articleId) ?? 0) + 1);
      expect(Math.max(...perArticle.values())).toBeLessThanOrEqual(3);
    }
  });

  // Keyword evidence only: questions whose key words the corpus never uses. (Off-topic questions made of
  // words the news does use are a known weakness without a model; see BENCHMARKS.md.)
  it('abstains on questions about things the corpus never mentions', async () => {
    for (const q of ['How do I keep a sourdough starter alive over winter?', 'How far is Saturn from the Sun?']) {
      expect((await searcher.ask(q)).abstained, q).toBe(true);
    }
  });
});
