/**
 * A burst of 60 distinct users sending /ask at once to the real bot process (local Discord
 * stand-in), on an index large enough that searching, not talking to Discord, is the work: a
 * synthetic corpus of made-up words (seeded, so the same every run). Every user is acknowledged and
 * answered; the answers stream out while the burst is worked through (the median well before the
 * last), earliest askers first — with searches on the event loop they would all come at the end.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/indexer/build.js';
import { botEnv, isCallback, isEdit, startBot } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { tempDir, testSettings } from '../support/corpus.js';
import { FakeDiscord } from '../support/fake-discord.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GbUrSt.burst-test-token-never-logged_24680';
const USERS = 60;
let dir: string;
let cleanup: () => Promise<void>;
let fake: FakeDiscord;
let bot: BotProcess;

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'tu', 've', 'son', 'dar', 'pel', 'qui', 'zo', 'ben', 'cor', 'fi', 'gan', 'hol'];
const random = rng(42);
const VOCABULARY = Array.from({ length: 1500 }, () => Array.from({ length: 2 + Math.floor(random() * 2) }, () => SYLLABLES[Math.floor(random() * SYLLABLES.length)]).join(''));
/** Skewed towards the first words, so some words are in many passages (long postings, many candidates). */
const word = (): string => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 2.5)]!;
const sentence = (n: number): string => {
  const words = Array.from({ length: n }, word);
  return `${words[0]![0]!.toUpperCase()}${words.join(' ').slice(1)}.`;
};

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-burst-'));
  const corpus = path.join(dir, 'corpus');
  await mkdir(corpus);
  const lines = Array.from({ length: 1200 }, (_, n) =>
    JSON.stringify({ id: `s${n}`, title: sentence(6).slice(0, -1), date: `2022-${String((n % 12) + 1).padStart(2, '0')}-15`, outlet: 'Synthetic Wire', text: Array.from({ length: 16 }, () => sentence(14)).join(' ') }),
  );
  await writeFile(path.join(corpus, 'synthetic.jsonl'), `${lines.join('\n')}\n`);
  await buildIndex({ corpus: [corpus], out: path.join(dir, 'index'), settings: testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' }) });
  fake = await FakeDiscord.start({ token: TOKEN });
  fake.setMaxListeners(0);
  const env = botEnv(fake, TOKEN, dir, { CORPUS_PATHS: corpus, INDEX_DIR: path.join(dir, 'index'), SEARCH_WORKERS: '2', LOG_LEVEL: 'info' });
  bot = await startBot(env, dir, { readyMs: 60_000, ready: (l) => l.msg === 'ready' || l.level >= 50 });
}, 180_000);

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await fake?.close();
  await cleanup?.();
});


describe('a burst of distinct users', () => {
  it('acknowledges and answers every one, streaming answers in arrival order', async () => {
    // Questions of several frequent words: each search ranks many candidates and quotes ten results.
    const questions = Array.from({ length: USERS }, () => Array.from({ length: 7 }, () => VOCABULARY[Math.floor(random() * 40)]).join(' '));
    const start = Date.now();
    const sent = questions.map((question, n) => fake.slash('ask', { question, k: 10 }, fake.user(`burst${n}`)));
    const acks = await Promise.all(sent.map((i) => fake.waitForRequest(isCallback(i), 30_000, `the ack of ${i.id}`)));
    for (const a of acks) expect((a.body as { type: number }).type).toBe(5);
    const answers = await Promise.all(sent.map((i) => fake.waitForRequest((r) => isEdit(i)(r) && r.status === 200, 120_000, `the answer to ${i.id}`)));
    for (const a of answers) expect((a.body as { embeds: unknown[] }).embeds.length).toBeGreaterThan(0);

    const times = answers.map((r) => r.at - start);
    const sorted = [...times].sort((a, b) => a - b);
    const median = sorted[USERS / 2]!;
    const last = sorted.at(-1)!;
    process.stderr.write(`burst of ${USERS}: last ack ${Math.max(...acks.map((a) => a.at - start))} ms, first answer ${sorted[0]} ms, median ${median} ms, last ${last} ms\n`);
    // Measured here: about 0.7 with the pool; 0.97 with searches on the event loop (main before the pool).
    expect(median).toBeLessThan(0.8 * last);
    // The first ten askers were all answered before any of the last ten.
    expect(Math.max(...times.slice(0, 10))).toBeLessThanOrEqual(Math.min(...times.slice(-10)));
  }, 150_000);
});
