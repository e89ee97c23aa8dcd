/**
 * End to end, sharded: `src/bot/sharded.ts` (discord.js's ShardingManager) runs two real bot
 * processes against the local Discord stand-in, which routes each guild's interactions to shard
 * (guild >> 22) % 2. Keyword search only (no model) to keep it quick.
 */
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireLock } from '../../src/storage/lock.js';
import { botEnv, editOf, guildPerShard, startBot } from '../support/bot-harness.js';
import { BotProcess, cleanEnv } from '../support/bot-process.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';
import { NEW_ARTICLE, NEW_ARTICLE_TITLE } from '../support/corpus.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.sharded-test-token-never-logged_01234';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';

interface MessageBody {
  content?: string;
  embeds?: { title?: string }[];
}

let tmp = '';
let corpus = '';
let indexDir = '';
let fake: FakeDiscord;
let bot: BotProcess;
/** A guild routed to each shard: guilds[n] → shard n. */
const guilds = guildPerShard(2);

const edit = (i: SentInteraction, pred: (b: MessageBody) => boolean = () => true, timeoutMs = 15_000): Promise<MessageBody> => editOf(fake, i, timeoutMs, pred);
/** The shards that logged handling an interaction from `guild`. */
const shardsFor = (guild: string | undefined): unknown[] => [...new Set(bot.logs.filter((l) => l.msg === 'interaction handled' && l.guild === guild).map((l) => l.shard))];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-sharded-'));
  corpus = path.join(tmp, 'corpus');
  indexDir = path.join(tmp, 'embeddings');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  fake = await FakeDiscord.start({ token: TOKEN, guildId: guilds[0], otherGuildIds: [guilds[1]!], recommendedShards: 1 });
  const env = botEnv(fake, TOKEN, tmp, {
    ADMIN_ROLE_IDS: fake.adminRoleId,
    CORPUS_PATHS: corpus,
    INDEX_DIR: indexDir,
    SEARCH_WORKERS: '1',
    RATE_LIMIT_MAX: '100',
    RATE_LIMIT_CEILING_MAX: '100',
    USER_RATE_LIMIT_MAX: '1000',
    SOURCES_GUILD_IDS: guilds.join(','),
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    SHARD_COUNT: '2',
  });
  // No index yet: shard 0 builds it before shard 1 is started (the manager spawns them in turn).
  bot = await startBot(env, tmp, { shards: 2, readyMs: 100_000 });
}, 120_000);

afterAll(async () => {
  await bot?.stop('SIGTERM', 20_000);
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('the sharded bot against a local Discord', { timeout: 60_000 }, () => {
  it('identifies two shards, each with [id, 2], and logs which shard each line is from', () => {
    const identifies = fake.gatewayReceived.filter((p) => p.op === 2).map((p) => (p.d as { shard?: unknown }).shard);
    expect(identifies).toEqual(expect.arrayContaining([[0, 2], [1, 2]]));
    expect(fake.identifiedShards).toEqual([0, 1]);
    const readyShards = bot.logs.filter((l) => l.msg === 'ready').map((l) => l.shard);
    expect(readyShards.sort()).toEqual([0, 1]);
  });

  it('answers /ask in guilds routed to different shards, each on its own shard', async () => {
    for (const shard of [0, 1]) {
      const i = fake.slash('ask', { question: SALDO }, fake.user(`asker${shard}`), {}, guilds[shard]);
      const body = await edit(i);
      expect(body.embeds![0]!.title).toBe(SEED_TITLE);
      const line = await bot.waitForLog((l) => l.msg === 'interaction handled' && l.guild === guilds[shard], 10_000, `shard ${shard} to log the /ask`);
      expect(line.shard).toBe(shard);
    }
  });

  it("refuses a /reindex while another process holds the index's lock, saying a reindex is already running", async () => {
    // Stands in for a reindex running on the other shard: the same lock, held by a live process.
    const release = await acquireLock(indexDir);
    try {
      const i = fake.slash('reindex', {}, fake.user('admin1'), { admin: true }, guilds[1]);
      const body = await edit(i, (b) => /already running/.test(b.content ?? ''));
      expect(body.content).toMatch(/another shard/);
      expect(bot.logs.some((l) => l.msg === 'reindex failed')).toBe(false);
    } finally {
      await release();
    }
  });

  it('a /reindex on shard 0 is seen by shard 1: an /ask routed there finds the new article', async () => {
    await writeFile(path.join(corpus, 'zz_new.md'), NEW_ARTICLE);
    const question = 'What did inspectors say about the Zaporizhzhia cooling ponds?';
    const before = await edit(fake.slash('ask', { question }, fake.user('early'), {}, guilds[1]));
    expect(before.embeds?.[0]?.title).not.toBe(NEW_ARTICLE_TITLE);

    const reindex = fake.slash('reindex', {}, fake.user('admin0'), { admin: true }, guilds[0]);
    await edit(reindex, (b) => b.embeds?.[0]?.title === '✅ Reindex complete', 40_000);
    expect((await bot.waitForLog((l) => l.msg === 'reindex done', 5000, 'the reindex to be logged')).shard).toBe(0);
    const reopened = await bot.waitForLog((l) => l.msg === 'reopened the index after a reindex on another shard', 15_000, 'shard 1 to reopen the index');
    expect(reopened.shard).toBe(1);
    expect(reopened.articles).toBe(3);

    const late = fake.user('late');
    const after = await edit(fake.slash('ask', { question }, late, {}, guilds[1]));
    expect(after.embeds![0]!.title).toBe(NEW_ARTICLE_TITLE);
    // Logged once the reply is out (and written asynchronously): wait for the last one before counting.
    await bot.waitForLog((l) => l.msg === 'interaction handled' && l.user === late.id, 5000, "the last interaction's log line");
    // Everything from guild 1 went to shard 1 and everything from guild 0 to shard 0.
    expect(shardsFor(guilds[1])).toEqual([1]);
    expect(shardsFor(guilds[0])).toEqual([0]);
  });
});

describe('npm run start:sharded refuses to start', { timeout: 30_000 }, () => {
  const run = async (vars: Record<string, string>): Promise<{ code: number | null; output: string }> => {
    const p = new BotProcess('src/bot/sharded.ts', cleanEnv({ DISCORD_TOKEN: TOKEN, DISCORD_CLIENT_ID: fake.applicationId, DISCORD_API_URL: fake.url, LOG_FORMAT: 'json', ...vars }), tmp);
    const code = await p.wait();
    return { code, output: p.output };
  };

  it('with a bad SHARD_COUNT, naming it', async () => {
    const { code, output } = await run({ SHARD_COUNT: 'many' });
    expect(code).toBe(1);
    expect(output).toMatch(/SHARD_COUNT: must be auto or a whole number of shards/);
  });

  it("with SHARD_COUNT=auto and a token Discord refuses, without starting a shard", async () => {
    const { code, output } = await run({ SHARD_COUNT: 'auto', DISCORD_TOKEN: 'MTAx.wrong.token' });
    expect(code).toBe(1);
    expect(output).toMatch(/Discord refused DISCORD_TOKEN \(401\)/);
    expect(output).not.toMatch(/shard started/);
  });
});
