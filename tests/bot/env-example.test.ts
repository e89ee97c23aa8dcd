/**
 * `.env.example` is a file that works when copied: every key it sets is one the bot reads and parses
 * as written (empty means the default), and `npm start` from a folder whose .env is that file, with
 * only the token and ids filled in, connects to the Discord stand-in and answers.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import dotenv from 'dotenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropOperatorShardCount } from '../../src/bot/client.js';
import { botConfigSchema, healthFilePath, loadBotConfig } from '../../src/bot/config.js';
import { buildIndex } from '../../src/indexer/build.js';
import { editOf } from '../support/bot-harness.js';
import { BotProcess, cleanEnv } from '../support/bot-process.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from '../support/corpus.js';
import { FakeDiscord } from '../support/fake-discord.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.EnvEx.env-example-test-token_0123456789';
/** What an operator fills in; everything else stays as .env.example has it. */
const FILLED = { DISCORD_TOKEN: TOKEN, DISCORD_CLIENT_ID: '123456789012345678' };

async function example(): Promise<{ text: string; values: Record<string, string> }> {
  const text = await readFile(path.join(REPO, '.env.example'), 'utf8');
  return { text, values: dotenv.parse(text) };
}

describe('.env.example', () => {
  it('sets only settings the bot knows, and every value parses as written', async () => {
    const { values } = await example();
    const known = new Set(Object.keys(botConfigSchema.shape));
    const unknown = Object.keys(values).filter((k) => !known.has(k));
    expect(unknown).toEqual([]);
    const config = loadBotConfig({ ...values, ...FILLED });
    expect(config.SHARD_COUNT).toBe('auto');
    // Empty lines mean the default, HEALTH_FILE included.
    expect(values.HEALTH_FILE).toBe('');
    expect(healthFilePath(config)).toBe(path.join('data', 'health.json'));
  });

  it('SHARD_COUNT from .env never reaches the Discord client outside the shard manager', () => {
    const plain: NodeJS.ProcessEnv = { SHARD_COUNT: 'auto', DISCORD_TOKEN: TOKEN };
    dropOperatorShardCount(plain);
    expect(plain).toEqual({ DISCORD_TOKEN: TOKEN });
    // A ShardingManager child: discord.js takes its shard from the manager's numbers.
    const child: NodeJS.ProcessEnv = { SHARDING_MANAGER: 'true', SHARDS: '2', SHARD_COUNT: '4' };
    dropOperatorShardCount(child);
    expect(child).toEqual({ SHARDING_MANAGER: 'true', SHARDS: '2', SHARD_COUNT: '4' });
  });
});

describe('npm start with .env copied from .env.example', { timeout: 90_000 }, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let fake: FakeDiscord;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('archivist-env-example-'));
    fake = await FakeDiscord.start({ token: TOKEN });
    // The operator's folder: the default corpus and an index already built in the default places
    // (CORPUS_PATHS=corpus, INDEX_DIR=embeddings), so the start does not wait for a build.
    await cp(SEED_CORPUS, path.join(dir, 'corpus'), { recursive: true });
    await buildIndex({ corpus: [path.join(dir, 'corpus')], out: path.join(dir, 'embeddings'), settings: testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' }) });
  });
  afterAll(async () => {
    await fake?.close();
    await cleanup?.();
  });

  it('connects, answers /ask and writes the heartbeat the health check reads', async () => {
    const { text } = await example();
    const filled = text
      .replace(/^DISCORD_TOKEN=.*$/m, `DISCORD_TOKEN=${TOKEN}`)
      .replace(/^DISCORD_CLIENT_ID=.*$/m, `DISCORD_CLIENT_ID=${fake.applicationId}`)
      .replace(/^DISCORD_API_URL=.*$/m, `DISCORD_API_URL=${fake.url}`)
      // No hub to download from here: fail fast to keyword search instead of waiting for DNS.
      .replace(/^ALLOW_REMOTE_MODELS=.*$/m, 'ALLOW_REMOTE_MODELS=false')
      .replace(/^LOG_FORMAT=.*$/m, 'LOG_FORMAT=json');
    await writeFile(path.join(dir, '.env'), filled);
    // Only .env speaks: no bot setting comes from the test's own environment.
    const bot = new BotProcess('src/bot/main.ts', cleanEnv({}), dir);
    try {
      await bot.waitForLog((l) => l.msg === 'ready', 60_000, 'the bot to be ready');
      const i = fake.slash('ask', { question: 'What did Saldo urge Kherson residents to do?' }, fake.user('operator'));
      const body = await editOf<{ embeds: { title: string }[] }>(fake, i, 20_000, undefined, 'the answer');
      expect(body.embeds[0]!.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
      await bot.waitForLog((l) => l.msg === 'ready', 1000, 'ready');
      const check = new BotProcess('src/bot/healthcheck.ts', cleanEnv({}), dir);
      expect(await check.wait()).toBe(0);
      expect(check.output.trim()).toBe('healthy');
    } finally {
      expect(await bot.stop('SIGTERM'), bot.output.slice(-2000)).toBe(0);
    }
    expect(bot.output).not.toMatch(/shardCount/);
  });
});
