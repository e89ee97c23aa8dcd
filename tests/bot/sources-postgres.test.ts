/**
 * Sources from chat on the PostgreSQL backend: the real bot process against the local Discord
 * stand-in, with the index in a throwaway database. `/sources add` and `/sources remove` run the
 * database's update in place; outlet autocomplete reads the database's outlets.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, editOf, startBot } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';
import { testDatabase } from '../support/postgres.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.pg-sources-token-never-logged_012345';
const TITLE = 'Volunteers replant the Lindholm orchard';
const FILE = `---\ntitle: ${TITLE}\noutlet: Valley Post\ndate: 2023-04-02\nurl: https://example.org/orchard\n---\nVolunteers replanted four hundred apple trees in the Lindholm orchard after the winter storm, the parish council said.\n`;

const db = await testDatabase();

describe.skipIf(!db)('sources from chat on PostgreSQL', { timeout: 90_000 }, () => {
  let tmp = '';
  let fake: FakeDiscord;
  let bot: BotProcess;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-sources-pg-'));
    await cp(path.join(ROOT, 'corpus'), path.join(tmp, 'corpus'), { recursive: true });
    fake = await FakeDiscord.start({ token: TOKEN });
    const env = botEnv(fake, TOKEN, tmp, {
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: path.join(tmp, 'corpus'),
      MODEL_DIR: path.join(tmp, 'no-models'),
      SEARCH_WORKERS: '1',
      SOURCES_GUILD_IDS: fake.guildId,
      LOG_LEVEL: 'debug',
      SEARCH_BACKEND: 'postgres',
      DATABASE_URL: db!.url,
    });
    bot = await startBot(env, tmp, { readyMs: 90_000 });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await fake?.close();
    await db?.drop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  type Reply = { content?: string; embeds?: Array<{ title?: string; description?: string }> };
  const reply = (i: SentInteraction, pred: (b: { embeds?: unknown[] }) => boolean = () => true): Promise<Reply> => editOf<Reply>(fake, i, 60_000, pred, `the reply to ${i.id}`);
  const withEmbed = (b: { embeds?: unknown[] }): boolean => (b.embeds?.length ?? 0) > 0;
  const admin = { admin: true };

  it('adds an attached file by an update of the database, answerable right after, and suggests its outlet', async () => {
    const added = await reply(fake.subcommand('sources', 'add', { file1: fake.attachment('orchard.md', FILE) }, fake.user('olga'), admin), withEmbed);
    expect(added.embeds![0]!.title).toMatch(/^📥 Added 1 article/);
    expect(added.embeds![0]!.description).toMatch(/✅ \*\*orchard\.md\*\*: 1 article/);
    const answer = await reply(fake.slash('ask', { question: 'How many apple trees were replanted in the Lindholm orchard?' }, fake.user('alice')));
    expect(answer.embeds![0]!.title).toBe(TITLE);
    const choices = await fake.choices(fake.autocomplete('ask', undefined, { outlet: 'valley' }, 'outlet', fake.user('alice')));
    expect(choices.choices).toEqual([{ name: 'Valley Post (1 article)', value: 'Valley Post' }]);
  });

  it('removes it again, for good', async () => {
    const list = await reply(fake.subcommand('sources', 'list', { query: 'lindholm' }, fake.user('alice'), admin), withEmbed);
    expect(list.embeds![0]!.description).toContain(TITLE);
    const [id] = (await fake.choices(fake.autocomplete('sources', 'remove', { article: 'lindholm' }, 'article', fake.user('olga'), admin))).choices.map((c) => c.value);
    expect(id).toBeDefined();
    const removed = await reply(fake.subcommand('sources', 'remove', { article: id! }, fake.user('olga'), admin), withEmbed);
    expect(removed.embeds![0]!.title).toBe('🗑️ Article removed');
    const after = await reply(fake.subcommand('sources', 'list', { query: 'lindholm' }, fake.user('alice'), admin), withEmbed);
    expect(after.embeds![0]!.description).toBe('No indexed article matches.');
    expect((await fake.choices(fake.autocomplete('ask', undefined, { outlet: 'valley' }, 'outlet', fake.user('alice')))).choices).toEqual([]);
  });
});
