/**
 * What only the bot's operator sees: raw build errors and why the embedding model did not load name
 * server paths (and a database's host), so /status shows them to the operator and a generic line to
 * any server's admins. And /reindex asked for in a direct message says where it can be run. The
 * real bot process against the local Discord stand-in; the model is missing, so search is keyword-only.
 */
import { cp, mkdir, mkdtemp, readdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, callbackOf, editOf, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, snowflake, type FakeUser, type SentInteraction } from '../support/fake-discord.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.operator-only-token-never-logged_012';
const MISSING_MODEL = 'no-such-org/no-such-model';

interface Body {
  content?: string;
  embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
}

let tmp = '';
let corpus = '';
let fake: FakeDiscord;
let bot: BotProcess;

async function statusFields(user: FakeUser, member: { admin?: boolean }): Promise<Record<string, string>> {
  const body = await editOf<Body>(fake, fake.slash('status', {}, user, member), 20_000);
  return Object.fromEntries(body.embeds![0]!.fields!.map((f) => [f.name, f.value]));
}

/**
 * A slash command from a direct message with the bot: no server, no member. The stand-in has no
 * helper for it, so its payload is built from a server one and sent through its gateway directly.
 */
function dmSlash(name: string, user: FakeUser): SentInteraction {
  const stand = fake as unknown as { base(type: number, user: FakeUser, member: object): Record<string, unknown>; dispatch(t: string, d: unknown): void };
  const payload = stand.base(2, user, {});
  const dm = snowflake();
  delete payload.guild_id;
  delete payload.member;
  Object.assign(payload, { user, channel_id: dm, channel: { id: dm, type: 1, last_message_id: null, flags: 0, recipients: [user] }, context: 1 });
  payload.data = { id: snowflake(), name, type: 1, options: [] };
  stand.dispatch('INTERACTION_CREATE', payload);
  return { id: payload.id as string, token: payload.token as string, sentAt: Date.now(), payload };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-operator-only-'));
  corpus = path.join(tmp, 'corpus');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  fake = await FakeDiscord.start({ token: TOKEN });
  bot = await startBot(
    botEnv(fake, TOKEN, tmp, {
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: corpus,
      INDEX_DIR: path.join(tmp, 'index'),
      EMBEDDING_MODEL: MISSING_MODEL,
      SEARCH_WORKERS: '1',
      LOG_LEVEL: 'info',
    }),
    tmp,
    { readyMs: 60_000, modelMs: 20_000 },
  );
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe('operator-only details', { timeout: 60_000 }, () => {
  it('/status: a failed reindex and the missing model, raw for the operator, a generic line for a server admin', async () => {
    // The operator's reindex fails: the corpus folder is empty.
    const aside = path.join(tmp, 'corpus-aside');
    await mkdir(aside);
    for (const f of await readdir(corpus)) await rename(path.join(corpus, f), path.join(aside, f));
    try {
      const reindex = fake.slash('reindex', {}, fake.owner, { admin: true });
      const failed = await editOf<Body>(fake, reindex, 30_000, (b) => b.embeds?.[0]?.title === '❌ Reindex failed');
      expect(failed.embeds![0]!.description).not.toContain(tmp);
    } finally {
      for (const f of await readdir(aside)) await rename(path.join(aside, f), path.join(corpus, f));
    }

    const operator = await statusFields(fake.owner, {});
    expect(operator['Last reindex']).toMatch(/by you: failed \(No articles found/);
    expect(operator['Why lexical only']).toContain(MISSING_MODEL);

    const admin = await statusFields(fake.user('server-admin'), { admin: true });
    expect(admin['Last reindex']).toContain("by an admin: failed (the bot's operator sees why in its log)");
    expect(admin['Why lexical only']).toBe("The embedding model could not be loaded (the bot's operator sees why in its log, or with `npm run status`).");
    expect(JSON.stringify(admin)).not.toContain(tmp);
  });

  it('/reindex in a direct message says it is run from a server by its admins, or by the operator', async () => {
    const { body } = await callbackOf<{ type: number; data?: Body }>(fake, dmSlash('reindex', fake.user('dm-member')), 10_000);
    expect(body.data!.content).toBe(
      "/reindex can be run only in a server, by its admins if the bot's operator names it in SOURCES_GUILD_IDS, or by the operator (the owner of the bot's Discord application): the index is shared by every server the bot is in. Nothing was changed.",
    );
    expect(body.data!.content).not.toContain('this server');
  });
});
