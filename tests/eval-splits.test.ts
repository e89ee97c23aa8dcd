import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate, readQuestions } from '../eval/evaluate.js';
import { chooseThreshold, judge, summarize, type EvalQuestion } from '../eval/metrics.js';
import { weekSplits } from '../eval/realtimeqa-data.js';
import { loadCoreConfig } from '../src/config.js';

/** The evaluation's splits and what it may show of a test split (made-up questions and articles). */

const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-eval-splits-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

const q = (id: string, question = `question ${id}`): EvalQuestion => ({ id, question, answers: ['x'] });

describe('RealtimeQA split by week (weekSplits)', () => {
  it('gives the earliest 60 % of the weeks to train, the next 20 % to dev and the last 20 % to test, whatever the order', () => {
    const weeks = Array.from({ length: 10 }, (_, i) => `202207${String(i + 10)}`);
    const questions = [...weeks].reverse().flatMap((w) => [q(`${w}_0`), q(`${w}_1`)]);
    const s = weekSplits(questions);
    const weeksOf = (xs: EvalQuestion[]): string[] => [...new Set(xs.map((x) => x.id.slice(0, 8)))].sort();
    expect(weeksOf(s.train)).toEqual(weeks.slice(0, 6));
    expect(weeksOf(s.dev)).toEqual(weeks.slice(6, 8));
    expect(weeksOf(s.test)).toEqual(weeks.slice(8));
    expect(s.train.length + s.dev.length + s.test.length).toBe(questions.length);
  });
});

describe('question files (readQuestions)', () => {
  it('reads the unanswerable schema as unanswerable questions with their category', async () => {
    const file = path.join(tmp, 'unanswerable.jsonl');
    await writeFile(
      file,
      `${JSON.stringify({ id: 'u1', question: 'can you recommend a board game', category: 'offtopic', answerable: false })}\n${JSON.stringify({ id: 'u2', question: 'when did the lighthouse on the pier collapse', category: 'false-premise', answerable: false, contradictedBy: ['pier'] })}\n`,
    );
    const [a, b] = await readQuestions(file);
    expect(a).toMatchObject({ id: 'u1', unanswerable: true, answers: [], category: 'offtopic' });
    expect(b).toMatchObject({ unanswerable: true, contradictedBy: ['pier'] });
  });

  it('names the file and line of a question without an id', async () => {
    const file = path.join(tmp, 'broken.jsonl');
    await writeFile(file, `${JSON.stringify({ id: 'a', question: 'fine' })}\n${JSON.stringify({ question: 'no id' })}\n`);
    await expect(readQuestions(file)).rejects.toThrow(`${file}:2`);
  });
});

describe('per-category refusals (summarize)', () => {
  it('reports each category, and a contradicting article among the first results as a good answer', () => {
    const refused = { probability: 0.1 } as never;
    const answered = { probability: 0.9 } as never;
    const passage = (articleId: string) => ({ articleId, passage: 'text', quote: 'text' });
    const outcomes = [
      judge({ id: 'a', question: 'hi', answers: [], unanswerable: true, category: 'offtopic' }, [passage('p')], refused),
      judge({ id: 'b', question: 'yo', answers: [], unanswerable: true, category: 'offtopic' }, [passage('p')], answered),
      judge({ id: 'c', question: 'when did the pier burn', answers: [], unanswerable: true, category: 'false-premise', contradictedBy: ['pier'] }, [passage('q'), passage('pier')], answered),
      judge({ id: 'd', question: 'who sank the ferry', answers: [], unanswerable: true, category: 'false-premise', contradictedBy: ['ferry'] }, [passage('q')], answered),
    ];
    const s = summarize(outcomes, (c) => (c as { probability: number } | undefined)!.probability < 0.5);
    expect(s.categories).toEqual({ 'false-premise': { n: 2, refused: 0, refusedOrContradicted: 0.5 }, offtopic: { n: 2, refused: 0.5 } });
  });
});

describe('what an ask channel would reply to (summarize)', () => {
  it('counts strong matches among answerable and unanswerable questions apart', () => {
    const c = (probability: number, strong: boolean) => ({ probability, strong }) as never;
    const passage = { articleId: 'p', passage: 'the pier reopened in may', quote: 'the pier reopened in may' };
    const outcomes = [
      judge({ id: 'a', question: 'when did the pier reopen', answers: ['may'] }, [passage], c(0.9, true)),
      judge({ id: 'b', question: 'when did the pier open again', answers: ['may'] }, [passage], c(0.6, false)),
      judge({ id: 'c', question: 'pier hours?', answers: [], unanswerable: true }, [passage], c(0.9, true)),
      judge({ id: 'd', question: 'hi', answers: [], unanswerable: true }, [passage], c(0.1, false)),
      judge({ id: 'e', question: 'yo', answers: [], unanswerable: true }, [passage], c(0.1, false)),
      judge({ id: 'f', question: 'sup', answers: [], unanswerable: true }, [passage], c(0.1, false)),
    ];
    const s = summarize(outcomes, (x) => (x as { probability: number } | undefined)!.probability < 0.5);
    expect(s.strongAnswerable).toBe(0.5);
    expect(s.strongUnanswerable).toBe(0.25);
  });
});

describe('the confidence threshold (chooseThreshold) with several answerable sets', () => {
  it('keeps every set within the false-refusal budget, not only all of them together', () => {
    const items = [
      ...Array.from({ length: 10 }, (_, i) => ({ unanswerable: false, probability: 0.5 + i * 0.05, floored: false, group: 'ours' })),
      ...Array.from({ length: 10 }, (_, i) => ({ unanswerable: false, probability: 0.2 + i * 0.05, floored: false, group: 'theirs' })),
      ...Array.from({ length: 10 }, (_, i) => ({ unanswerable: true, probability: 0.1 + i * 0.05, floored: false, group: 'ours' })),
    ];
    // Refusing one question in twenty overall would allow 0.25; it refuses one of ten of "theirs" (10 %).
    expect(chooseThreshold(items.map(({ group: _, ...x }) => x), 0.05).threshold).toBeCloseTo(0.25);
    expect(chooseThreshold(items, 0.1).threshold).toBeCloseTo(0.25);
    expect(chooseThreshold(items, 0.05).threshold).toBeCloseTo(0.2);
  });
});

describe('npm run eval never shows a test split’s misses', () => {
  it('lists the misses of a dev set and only the aggregate of a test set', async () => {
    const corpus = path.join(tmp, 'corpus.jsonl');
    const articles = [
      { id: 'harbour', title: 'Harbour festival draws crowds', date: '2022-05-02', text: 'The harbour festival in Port Elwyn drew 12,000 visitors on Saturday. Organisers said the boat parade was the longest yet.' },
      { id: 'library', title: 'Town library reopens', date: '2022-06-10', text: 'The town library in Port Elwyn reopened after a two-year refurbishment costing £3m. The mayor cut the ribbon.' },
    ];
    await writeFile(corpus, `${articles.map((a) => JSON.stringify(a)).join('\n')}\n`);
    const devMiss = 'which band headlined the harbour festival in port elwyn';
    const testMiss = 'which choir sang when the port elwyn library reopened';
    const report = await evaluate({
      sets: [
        { name: 'mine/dev', questions: [{ id: 'd1', question: devMiss, answers: ['The Gulls'] }] },
        { name: 'mine/test', questions: [{ id: 't1', question: testMiss, answers: ['St Ives Singers'] }], test: true },
      ],
      corpus: [corpus],
      index: path.join(tmp, 'index'),
      k: 5,
      lexicalOnly: true,
      misses: 10,
      config: loadCoreConfig({}),
      log: () => {},
    });
    expect(report.text).toMatch(/mine\/test\s+n 1\+0/);
    expect(report.text).toContain(devMiss);
    expect(report.text).not.toContain(testMiss);
    expect(report.text).not.toContain('Misses in mine/test');
  }, 60_000);
});
