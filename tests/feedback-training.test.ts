/**
 * Feedback that counts: votes stored in a real bot state file (as the bot stores them, on answers
 * from a real index) → `npm run export-feedback` (a real child process) → labelled pairs with the
 * passages' text from the index → `npm run train-ranker -- --feedback` writes weights that load.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedbackPairSchema, labelVotes, type FeedbackPair } from '../eval/feedback.js';
import { BotState, type ShownPassage } from '../src/bot/state/store.js';
import { buildIndex } from '../src/indexer/build.js';
import { parseWeights } from '../src/search/ranker/model.js';
import { Searcher } from '../src/search/searcher.js';
import type { Answer } from '../src/types.js';
import { BotProcess, cleanEnv } from './support/bot-process.js';
import { REPO, copySeeds, tempDir, testSettings } from './support/corpus.js';

const GUILD = '222222222222222222';
const OTHER = '333333333333333333';
const DAM = 'What happened to the Nova Kakhovka dam?';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const LIBERATION = 'How did Kherson residents feel one year after liberation?';
const REFUSED = 'best recipe for banana bread with walnuts';
const BASE = path.join(REPO, 'src/search/ranker/weights.json');

let dir: string;
let cleanup: () => Promise<void>;
let index: string;
let dataDir: string;
let searcher: Searcher;
const answers = new Map<string, Answer>();

const shown = (a: Answer): ShownPassage[] => a.results.map((r) => ({ rank: r.rank, articleId: r.articleId, chunkId: r.chunkId, title: r.title }));
const run = (script: string, args: string[]): BotProcess => new BotProcess(script, cleanEnv({ INDEX_DIR: index, DATA_DIR: dataDir, MODEL_DIR: path.join(dir, 'models'), ALLOW_REMOTE_MODELS: 'false' }), dir, { args });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-feedback-'));
  const corpus = await copySeeds(dir);
  await writeFile(
    path.join(corpus, 'dam.md'),
    [
      '---',
      'title: "Nova Kakhovka dam destroyed, flooding Kherson region"',
      'outlet: Test Wire',
      'date: 2023-06-06',
      '---',
      'The Nova Kakhovka dam on the Dnipro river was destroyed early on Tuesday, releasing a flood downstream.',
      'Officials evacuated villages in the Kherson region as the water rose through the day.',
      '',
    ].join('\n'),
  );
  index = path.join(dir, 'index');
  dataDir = path.join(dir, 'data');
  await buildIndex({ corpus: [corpus], out: index, settings: testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' }) });
  searcher = await Searcher.open(index, testSettings(), { model: 'never' });
  for (const q of [DAM, SALDO, LIBERATION, REFUSED]) answers.set(q, await searcher.ask(q, { k: 3 }));

  // What the bot stores for these answers and votes (src/bot/feedback.ts does the same calls).
  const state = BotState.open(dataDir, { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
  const log = (question: string, guildId = GUILD): number => {
    const a = answers.get(question)!;
    const top = a.results[0];
    return state.logQuestion({ guildId, channelId: null, kind: 'ask', question, filters: {}, answered: !a.abstained, confidence: a.confidence?.probability, top: top && { ...top } });
  };
  const vote = (id: number, question: string, userId: string, v: 'up' | 'down'): void => void state.recordVote({ questionId: id, offset: 0, userId, vote: v, results: shown(answers.get(question)!) });
  const dam = log(DAM);
  vote(dam, DAM, '100000000000000001', 'up');
  const saldo = log(SALDO);
  vote(saldo, SALDO, '100000000000000001', 'down');
  vote(saldo, SALDO, '100000000000000002', 'down');
  // A tie on the first passage (left out); the 👎 alone labels the page's other passages.
  const lib = log(LIBERATION);
  vote(lib, LIBERATION, '100000000000000001', 'up');
  vote(lib, LIBERATION, '100000000000000002', 'down');
  vote(log(REFUSED), REFUSED, '100000000000000003', 'down');
  // Another server's vote, for --guild.
  vote(log(DAM, OTHER), DAM, '100000000000000004', 'down');
  state.close();
}, 120_000);

afterAll(async () => {
  await searcher?.close();
  await cleanup?.();
});

describe('votes → export-feedback → train-ranker', { timeout: 120_000 }, () => {
  it('the answers used are real: the dam question is answered from its article, the recipe refused', () => {
    expect(answers.get(DAM)!.results[0]!.title).toBe('Nova Kakhovka dam destroyed, flooding Kherson region');
    expect(answers.get(SALDO)!.results.length).toBeGreaterThan(1);
    expect(answers.get(LIBERATION)!.results.length).toBeGreaterThan(1);
    expect(answers.get(REFUSED)!.abstained).toBe(true);
  });

  it('labels votes: 👍 → the first passage relevant, 👎 → every shown passage not, ties and refusals left out', () => {
    const state = BotState.open(dataDir, { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
    const summary = labelVotes(state.votes({ guildId: GUILD }));
    state.close();
    expect(summary).toMatchObject({ votes: 6, onRefusals: 1, ties: 1 });
    const of = (q: string) => summary.labels.filter((l) => l.question === q);
    expect(of(DAM)).toEqual([{ question: DAM, filters: {}, articleId: answers.get(DAM)!.results[0]!.articleId, chunkId: answers.get(DAM)!.results[0]!.chunkId, relevant: 1, up: 1, down: 0 }]);
    const byChunk = (a: number[], b: number[]): number => a[0]! - b[0]!;
    expect(of(SALDO).map((l) => [l.chunkId, l.relevant, l.down]).sort(byChunk)).toEqual(answers.get(SALDO)!.results.map((r) => [r.chunkId, 0, 2]).sort(byChunk));
    expect(of(LIBERATION)).toHaveLength(answers.get(LIBERATION)!.results.length - 1);
  });

  it('npm run export-feedback writes the pairs with the passage text from the index', async () => {
    const out = path.join(dir, 'pairs.jsonl');
    const exp = run('eval/export-feedback.ts', ['--out', out, '--data-dir', dataDir, '--index', index, '--guild', GUILD]);
    expect(await exp.wait()).toBe(0);
    const pairs: FeedbackPair[] = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => feedbackPairSchema.parse(JSON.parse(l)));
    const expected = 1 + answers.get(SALDO)!.results.length + answers.get(LIBERATION)!.results.length - 1;
    expect(pairs).toHaveLength(expected);
    expect(exp.output).toContain(`Wrote ${expected} pairs (1 relevant, ${expected - 1} not) on 3 questions from 6 votes in server ${GUILD}`);
    expect(exp.output).toContain('Left out: 1 votes on refusals (no passage shown); 1 pairs with as many 👍 as 👎.');
    const dam = pairs.find((p) => p.relevant === 1)!;
    expect(dam.question).toBe(DAM);
    expect(dam.passage).toBe(answers.get(DAM)!.results[0]!.passage);

    // Without --guild: the other server's 👎 on the dam answer ties its 👍, so that pair is left out.
    const all = run('eval/export-feedback.ts', ['--out', path.join(dir, 'all.jsonl'), '--data-dir', dataDir, '--index', index]);
    expect(await all.wait()).toBe(0);
    expect(all.output).toMatch(/from 7 votes to .*all\.jsonl\. Left out: 1 votes on refusals \(no passage shown\); 2 pairs with as many 👍 as 👎\./);
  });

  it('says what is wrong with a missing state file or a bad --guild', async () => {
    const missing = run('eval/export-feedback.ts', ['--out', path.join(dir, 'x.jsonl'), '--data-dir', path.join(dir, 'nowhere')]);
    expect(await missing.wait()).toBe(1);
    expect(missing.output.trim()).toBe(`No bot state file in ${path.join(dir, 'nowhere')} (state.db): the bot writes it once someone asks with FEEDBACK=on. Point --data-dir at the bot's DATA_DIR.`);
    const bad = run('eval/export-feedback.ts', ['--out', path.join(dir, 'x.jsonl'), '--guild', 'my-server']);
    expect(await bad.wait()).toBe(2);
    expect(bad.output).toMatch(/--guild must be a Discord server ID/);
  });

  it('npm run train-ranker learns the passage ranker from the export alone, keeping the other models', async () => {
    const out = path.join(dir, 'weights-feedback.json');
    const train = run('eval/train-ranker.ts', ['--feedback', path.join(dir, 'pairs.jsonl'), '--feedback-only', '--index', index, '--base', BASE, '--out', out]);
    expect(await train.wait()).toBe(0);
    expect(train.output).toMatch(/feedback: \d+ pairs on 3 questions; 3 questions have a voted passage among their candidates/);
    const weights = parseWeights(JSON.parse(await readFile(out, 'utf8')), out);
    const base = parseWeights(JSON.parse(await readFile(BASE, 'utf8')), BASE);
    expect(weights.passage.weights.some((w) => w !== 0)).toBe(true);
    expect(weights.passage.weights).not.toEqual(base.passage.weights);
    expect(weights.sentence).toEqual(base.sentence);
    expect(weights.confidence).toEqual(base.confidence);
    expect(weights.trainedOn).toMatchObject({ feedback: [path.join(dir, 'pairs.jsonl')], questions: { feedback: 3 } });
  });

  it('npm run train-ranker combines the export with question sets', async () => {
    const questions = path.join(dir, 'questions.jsonl');
    await writeFile(
      questions,
      [
        { id: 'q1', question: DAM, answers: ['destroyed early on Tuesday'] },
        { id: 'q2', question: SALDO, answers: ['residents of the Kherson region'] },
        { id: 'q3', question: REFUSED, answers: [], unanswerable: true },
      ]
        .map((q) => JSON.stringify(q))
        .join('\n'),
    );
    const out = path.join(dir, 'weights-both.json');
    const train = run('eval/train-ranker.ts', ['--train', questions, '--dev', questions, '--feedback', path.join(dir, 'pairs.jsonl'), '--index', index, '--out', out]);
    expect(await train.wait(), train.output.slice(-1500)).toBe(0);
    const weights = parseWeights(JSON.parse(await readFile(out, 'utf8')), out);
    expect(weights.trainedOn).toMatchObject({ files: { train: [questions], feedback: [path.join(dir, 'pairs.jsonl')] }, questions: { own: { train: 3, dev: 3 }, feedback: 3 } });
    // The user's own questions alone: RealtimeQA joins only when asked for (--rtqa-source).
    expect(weights.trainedOn).not.toHaveProperty('realtimeqaWeeks');
  });

  it('a file that is not an export is an error naming the line', async () => {
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify({ question: DAM })}\n`);
    const train = run('eval/train-ranker.ts', ['--feedback', bad, '--feedback-only', '--index', index, '--base', BASE, '--out', path.join(dir, 'never.json')]);
    expect(await train.wait()).toBe(1);
    expect(train.output).toContain(`${bad}:1 is not a feedback pair (articleId: Required): write it with npm run export-feedback.`);
  });
});
