/**
 * The bot's first answer while its embedding model loads: starts the real bot (as `npm start` does)
 * over the local Discord stand-in on a prebuilt hybrid index, asks one /ask the moment it is ready,
 * and prints one JSON line: ms from start to the index opened (search workers started and warm), to
 * ready (connected), to the first answer, and to "embedding model loaded" (the answer came from
 * keywords alone when it is earlier than that), and the first answer's mode.
 * Usage: tsx bench/first-answer.ts INDEX_DIR MODEL_DIR "question" [--compiled]
 * --compiled runs dist/src/bot/main.js (what `npm start` runs; `npm run build` first) instead of the
 * TypeScript through tsx.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { BotProcess, cleanEnv } from '../tests/support/bot-process.js';
import { FakeDiscord, type RecordedRequest, type SentInteraction } from '../tests/support/fake-discord.js';

const [index, modelDir, question] = process.argv.slice(2).filter((a) => !a.startsWith('--')) as [string, string, string];
const compiled = process.argv.includes('--compiled');
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GbUrSt.first-answer-bench-0123456789ab';
const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-first-answer-'));
const fake = await FakeDiscord.start({ token: TOKEN });
const env = cleanEnv({
  DISCORD_TOKEN: TOKEN,
  DISCORD_CLIENT_ID: fake.applicationId,
  DISCORD_GUILD_ID: fake.guildId,
  DISCORD_API_URL: fake.url,
  INDEX_DIR: index,
  CORPUS_PATHS: path.join(tmp, 'no-corpus'),
  MODEL_DIR: modelDir,
  ALLOW_REMOTE_MODELS: 'false',
  DATA_DIR: path.join(tmp, 'data'),
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'json',
  ...(process.env.EMBED_THREADS ? { EMBED_THREADS: process.env.EMBED_THREADS } : {}),
});
const started = Date.now();
const bot = new BotProcess(compiled ? 'dist/src/bot/main.js' : 'src/bot/main.ts', env, tmp);
const isEdit = (i: SentInteraction) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${i.token}/messages/@original`);
try {
  let modelMs: number | undefined;
  const model = bot.waitForLog((l) => l.msg === 'embedding model loaded' || l.msg === 'keyword search only', 300_000, 'the model').then((l) => {
    modelMs = Date.now() - started;
    return l;
  });
  model.catch(() => undefined);
  let openedMs: number | undefined;
  void bot.waitForLog((l) => l.msg === 'index opened', 180_000, 'the index').then(
    () => (openedMs = Date.now() - started),
    () => undefined,
  );
  await bot.waitForLog((l) => l.msg === 'ready', 180_000, 'the bot to be ready');
  const readyMs = Date.now() - started;
  const ask = fake.slash('ask', { question }, fake.user('first'));
  const edit = await fake.waitForRequest(isEdit(ask), 120_000, 'the first answer');
  const answeredMs = edit.at - started;
  const answeredBeforeModel = modelMs === undefined;
  // The reply's footer names the mode it answered in ("keyword + semantic" when the model was used).
  const semantic = JSON.stringify(edit.body ?? '').includes('keyword + semantic');
  const settled = await model;
  process.stdout.write(
    `${JSON.stringify({ compiled, openedMs, readyMs, answeredMs, modelSettledMs: modelMs, modelMessage: settled.msg, answeredBeforeModel, firstAnswerSemantic: semantic, answerChars: JSON.stringify(edit.body ?? '').length })}\n`,
  );
} finally {
  await bot.stop('SIGTERM');
  await fake.close();
  await rm(tmp, { recursive: true, force: true });
}
