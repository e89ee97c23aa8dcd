import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { partialReason } from '../src/search/postprocess/abstain.js';
import type { Confidence } from '../src/types.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';

const run = promisify(execFile);
let dir: string;
let cleanup: () => Promise<void>;
let searcher: Searcher;
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await buildIndex({ corpus: [SEED_CORPUS], out: path.join(dir, 'index'), settings });
  searcher = await Searcher.open(path.join(dir, 'index'), settings);
});
afterAll(() => cleanup());

describe('lexical-only index of the seed corpus (no model available)', () => {
  it('records in the index why there is no dense index', async () => {
    const info = searcher.info;
    expect(info.dense.status).toBe('unavailable');
    expect(info.dense.model).toBe('no-such-org/no-such-model');
    expect(info.dense.status === 'unavailable' && info.dense.reason).toMatch(/could not be loaded.*no-such-org\/no-such-model/);
    expect(info).toMatchObject({ articles: 2, corpus: { files: 2, problems: 0 } });
    expect(searcher.status()).toMatchObject({ mode: 'lexical', articles: 2 });
  });

  it('answers a Kherson question with a quote from the right article and its metadata', async () => {
    const answer = await searcher.ask('What did Saldo urge Kherson residents to do?');
    expect(answer.abstained).toBe(false);
    expect(answer.mode).toBe('lexical');
    const top = answer.results[0]!;
    expect(top.rank).toBe(1);
    expect(top.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
    expect(top.date).toBe('2022-10');
    expect(top.source).toMatch(/000_08d637ee574c98ec\.txt$/);
    expect(top.quote).toMatch(/Saldo/);
    // The quote is exact text of the passage, and the passage exact text of the article.
    expect(top.passage).toContain(top.quote);
    const sentences = top.quoteSentences.map((s) => s.text);
    expect(sentences.length).toBeGreaterThanOrEqual(1);
    expect(sentences.length).toBeLessThanOrEqual(3);
    expect(top.quoteSentences.filter((s) => s.best)).toHaveLength(1);
  });

  it('answers a question wrapped in chat as it answers the question alone', async () => {
    const plain = await searcher.ask('What did Saldo urge Kherson residents to do?');
    for (const chat of [
      'hey bot, does anyone know what Saldo urged Kherson residents to do lol',
      'could u tell me what Saldo urged Kherson residents to do? thanks',
      'what did Saldo urge Kherson residents to do https://media.example.com/clip/funny-cat-dance-81723.gif',
    ]) {
      const wrapped = await searcher.ask(chat);
      expect(wrapped.abstained).toBe(false);
      expect(wrapped.results[0]!.chunkId).toBe(plain.results[0]!.chunkId);
      expect(wrapped.confidence!.strong).toBe(true);
    }
  });

  it('answers a question with slips as it answers the question spelled right', async () => {
    const plain = await searcher.ask('What did Saldo urge Kherson residents to do?');
    const slipped = await searcher.ask('Whaat did Saldo urge Kherson reisdents to do?');
    expect(slipped.abstained).toBe(false);
    expect(slipped.results[0]!.chunkId).toBe(plain.results[0]!.chunkId);
    expect(slipped.confidence!.strong).toBe(true);
  });

  it('answers paraphrases through WordNet alternatives (think → belief, come back → return)', async () => {
    const answer = await searcher.ask('Do Kherson residents think normal life will come back?');
    expect(answer.abstained).toBe(false);
    expect(answer.results[0]!.title).toMatch(/One year after liberation/);
    expect(answer.results[0]!.quote).toMatch(/belief that one day normal life will return/);
    const saldo = await searcher.ask('Which official told families in Kherson to take their kids and go?');
    expect(saldo.abstained).toBe(false);
    expect(saldo.results[0]!.quote).toMatch(/Saldo/);
  });

  it('matches names spelled differently in the corpus (Zelensky / Zelenskyy)', async () => {
    const answer = await searcher.ask("What did Zelensky call Russia's withdrawal from Kherson?");
    expect(answer.results[0]!.quote).toMatch(/beginning of the end of the war/);
  });

  /** Answered, and confidently, yet not a strong match: what an ask channel would not reply to unasked. */
  const confidentButPartial = async (question: string, atLeast = 0.5): Promise<Confidence> => {
    const answer = await searcher.ask(question);
    expect(answer.abstained).toBe(false);
    expect(answer.confidence!.probability).toBeGreaterThanOrEqual(atLeast);
    expect(answer.confidence!.strong).toBe(false);
    return answer.confidence!;
  };

  it('never calls a match on one word strong: every passage holding it covers the whole question', async () => {
    const lone = await confidentButPartial('Kherson?');
    expect(lone.fewWords).toBe(true);
    // Named with a second word the corpus uses, the same high confidence is a strong match.
    const two = await searcher.ask('Kherson evacuation?');
    expect(two.confidence!.probability).toBeGreaterThanOrEqual(lone.probability - 0.1);
    expect(two.confidence!.strong).toBe(true);
    expect(two.confidence!.fewWords).toBeUndefined();
  });

  it('calls a match on two everyday words partial, and two words with one of the corpus’s own strong', async () => {
    // "rest" and "study" are in the seed articles but common in everyday English: as often chat as a query.
    expect((await confidentButPartial('rest and study')).plainWords).toBe(true);
    const own = await searcher.ask('Dnipro river');
    expect(own.confidence!.strong).toBe(true);
    expect(own.confidence!.plainWords).toBeUndefined();
  });

  it('answers chat that names the corpus’s subject, but never as a strong match: an ask channel does not reply to it unasked', async () => {
    const personal = await confidentButPartial('should i take my family and leave kherson', 0.8);
    expect(personal.chat).toBe('personal');
    expect(partialReason(personal)).toMatch(/personal or everyday request/);
  });

  // The guard against a confidence model whose scale depends on the corpus: one trained on news-2022
  // once refused every answer in this two-article corpus.
  it('answers the seed corpus’s own questions, each from the right article, confidently enough to show', async () => {
    const cases: Array<[string, RegExp, RegExp]> = [
      ['What did Saldo urge Kherson residents to do?', /Ukraine can take back Kherson/, /Saldo/],
      ['When was Kherson liberated?', /./, /November|October|liberat/],
      // Two passages of the article answer it: "five more settlements" (one day) and "dozens of Kherson settlements" (since October).
      ['How many settlements did Ukraine liberate in the Kherson region?', /Ukraine can take back Kherson/, /five more settlements|dozens of Kherson settlements/],
      ['Who asked the Kremlin to evacuate civilians?', /Ukraine can take back Kherson/, /Kremlin-picked leader|Saldo/],
      ['what do municipal workers in kherson have to wear', /One year after liberation/, /bullet-proof vests/],
    ];
    for (const [q, title, quote] of cases) {
      const answer = await searcher.ask(q);
      expect(answer.abstained, q).toBe(false);
      expect(answer.confidence!.probability, q).toBeGreaterThan(0);
      expect(answer.results[0]!.title, q).toMatch(title);
      expect(answer.results[0]!.passage, q).toMatch(quote);
    }
  });

  it('abstains on questions the corpus cannot answer', async () => {
    for (const q of [
      'What is the best recipe for banana bread?',
      'Who won the 2018 football World Cup final?',
      'What is the capital of Australia?',
      'the of and',
      // On the topic, but the seed articles give no such number (news-2022 does: see README).
      'how many people were still living in kherson when zelensky visited',
    ]) {
      const answer = await searcher.ask(q);
      expect(answer.abstained, q).toBe(true);
      expect(answer.results).toEqual([]);
    }
  });

  it('filters by date and outlet', async () => {
    const q = 'Kherson liberation';
    const after = await searcher.ask(q, { after: '2023-01-01' });
    expect(after.results.map((r) => r.date)).toEqual(after.results.map(() => '2023-11'));
    const outlet = await searcher.ask(q, { outlet: 'euromaidan' });
    expect(outlet.results.length).toBeGreaterThan(0);
    expect(outlet.results.every((r) => r.outlet?.startsWith('Euromaidan Press'))).toBe(true);
    const none = await searcher.ask(q, { before: '2020-01-01' });
    expect(none.abstained).toBe(true);
  });

  it('pages results without repeating them', async () => {
    const first = await searcher.ask('Kherson', { k: 1 });
    const second = await searcher.ask('Kherson', { k: 1, offset: 1 });
    expect(first.more).toBe(true);
    expect(second.results[0]!.rank).toBe(2);
    expect(second.results[0]!.chunkId).not.toBe(first.results[0]!.chunkId);
  });

  it('lists the indexed articles', async () => {
    const all = await searcher.listArticles();
    expect(all.total).toBe(2);
    expect(all.items[0]!.date).toBe('2023-11');
    expect((await searcher.listArticles('euromaidan')).total).toBe(1);
  });
});

describe('CLI contract', () => {
  const tsx = path.join(REPO, 'node_modules/.bin/tsx');
  const env = { ...process.env, EMBEDDING_MODEL: '', ALLOW_REMOTE_MODELS: 'false', MODEL_DIR: path.join(REPO, 'no-models') };

  it('ask --batch --json prints exactly one JSON object per question line, nothing else', async () => {
    const batch = path.join(dir, 'questions.jsonl');
    await writeFile(
      batch,
      [
        { id: 'q1', question: 'What did Saldo urge Kherson residents to do?' },
        { id: 'q2', question: 'What is the best recipe for banana bread?' },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    const { stdout } = await run(tsx, ['src/cli/ask.ts', '--batch', batch, '--json', '--k', '3', '--index', path.join(dir, 'index')], { cwd: REPO, env });
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(Object.keys(a!)).toEqual(['id', 'question', 'abstained', 'confidence', 'results', 'ms']);
    expect(a!.confidence as number).toBeGreaterThan(0);
    expect(a!.confidence as number).toBeLessThanOrEqual(1);
    expect(a).toMatchObject({ id: 'q1', abstained: false });
    const results = a!.results as Array<Record<string, unknown>>;
    expect(results.length).toBeGreaterThan(0);
    expect(results.length).toBeLessThanOrEqual(3);
    expect(Object.keys(results[0]!)).toEqual(['rank', 'score', 'title', 'outlet', 'date', 'url', 'source', 'quote', 'passage']);
    expect(b).toMatchObject({ id: 'q2', abstained: true, results: [] });
  }, 60_000);

  it('index reports a missing corpus clearly and leaves the existing index alone', async () => {
    const before = await readFile(path.join(dir, 'index', 'current'), 'utf8');
    const result = await run(tsx, ['src/cli/index.ts', '--corpus', path.join(dir, 'nope'), '--out', path.join(dir, 'index')], { cwd: REPO, env }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect('code' in result && result.code).toBe(1);
    expect((result as { stderr: string }).stderr).toMatch(/No articles found in .*nope.*cannot read/);
    expect(await readFile(path.join(dir, 'index', 'current'), 'utf8')).toBe(before);
    const again = await Searcher.open(path.join(dir, 'index'), settings);
    expect((await again.ask('What did Saldo urge Kherson residents to do?')).abstained).toBe(false);
  }, 60_000);
});
