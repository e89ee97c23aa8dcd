/**
 * Sources from chat with two shards (`src/bot/sharded.ts`): a file added on one shard answers on
 * the other (the update is announced and every shard swaps it in), and the other shard's outlet
 * suggestions include the new outlet. Keyword search only (no model) to keep it quick.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, editOf, guildPerShard, startBot } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.sharded-sources-token-never-logged_0';
const TITLE = 'Oskarshamn bakery delivers rye bread by cargo bicycle';
const FILE = JSON.stringify({
  id: 'bakery-1',
  title: TITLE,
  text: 'A cooperative bakery in Oskarshamn started delivering rye bread by cargo bicycle to elderly residents of the old town.',
  outlet: 'Coast News',
  date: '2022-07-01',
});

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
/** A guild routed to each shard: guilds[n] → shard n. */
const guilds = guildPerShard(2);

interface Body {
  embeds?: { title?: string; description?: string }[];
}
const reply = (i: SentInteraction, pred: (b: Body) => boolean = () => true): Promise<Body> => editOf(fake, i, 60_000, pred, `the reply to ${i.id}`);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-sources-sharded-'));
  await cp(path.join(ROOT, 'corpus'), path.join(tmp, 'corpus'), { recursive: true });
  fake = await FakeDiscord.start({ token: TOKEN, guildId: guilds[0], otherGuildIds: [guilds[1]!], recommendedShards: 1 });
  const env = botEnv(fake, TOKEN, tmp, {
    CORPUS_PATHS: path.join(tmp, 'corpus'),
    INDEX_DIR: path.join(tmp, 'embeddings'),
    SEARCH_WORKERS: '1',
    SOURCES_GUILD_IDS: guilds.join(','),
    LOG_LEVEL: 'debug',
    LOG_FORMAT: 'json',
    SHARD_COUNT: '2',
  });
  bot = await startBot(env, tmp, { shards: 2, readyMs: 100_000 });
}, 120_000);

afterAll(async () => {
  await bot?.stop('SIGTERM', 20_000);
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('sources from chat, sharded', { timeout: 60_000 }, () => {
  it('a file added on shard 0 answers on shard 1, whose outlet suggestions include its outlet', async () => {
    const before = await fake.choices(fake.autocomplete('ask', undefined, { outlet: 'coast' }, 'outlet', fake.user('ada'), {}, guilds[1]));
    expect(before.choices).toEqual([]);

    const add = fake.subcommand('sources', 'add', { file1: fake.attachment('bakery.jsonl', FILE) }, fake.user('olga'), { admin: true }, guilds[0]);
    const added = await reply(add, (b) => (b.embeds?.length ?? 0) > 0);
    expect(added.embeds![0]!.title).toMatch(/^📥 Added 1 article/);
    await bot.waitForLog((l) => l.msg === 'reopened the index after a reindex on another shard' && l.shard === 1, 20_000, 'shard 1 to reopen the index');

    const ask = fake.slash('ask', { question: 'Which bakery delivers rye bread by cargo bicycle?' }, fake.user('bob'), {}, guilds[1]);
    expect((await reply(ask)).embeds![0]!.title).toBe(TITLE);
    // The outlets are refreshed right after the reopen: give it the moment that takes.
    let after: { choices: Array<{ name: string; value: string }> } = { choices: [] };
    for (let n = 0; n < 20 && after.choices.length === 0; n++) {
      after = await fake.choices(fake.autocomplete('ask', undefined, { outlet: 'coast' }, 'outlet', fake.user('ada'), {}, guilds[1]));
      if (after.choices.length === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(after.choices).toEqual([{ name: 'Coast News (1 article)', value: 'Coast News' }]);
    await bot.waitForLog((l) => l.msg === 'sources added' && l.shard === 0, 5000, 'the addition to be logged on shard 0');
  });
});
