/**
 * `/sources remove` takes an article out for good, so it acts only on what names one article beyond
 * doubt: the id a suggestion supplies, or a whole title. Words typed and sent without picking a
 * suggestion are a search, however few articles match. The real bot process against the local
 * Discord stand-in, with the seed corpus plus the made-up follow-up articles.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, callbackOf, editOf, startBot } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';
import { FOLLOW_UP, writeFollowUpCorpus } from '../support/follow-up-corpus.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.sources-remove-token-never-logged_01';
const EPHEMERAL = 64;

interface Body {
  content?: string;
  flags?: number;
  embeds?: { title?: string; description?: string }[];
}

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
const admin = { admin: true };

/** What the member ends up reading: the direct reply, or the edit of the deferred one. */
async function seen(i: SentInteraction): Promise<Body> {
  const { body } = await callbackOf<{ type: number; data?: Body }>(fake, i, 10_000);
  if (body.type === 4) return body.data!;
  expect(body.data?.flags ?? 0).toBe(EPHEMERAL);
  return editOf<Body>(fake, i, 60_000, (b) => Boolean(b.content) || (b.embeds?.length ?? 0) > 0);
}
const remove = (article: string): Promise<Body> => seen(fake.subcommand('sources', 'remove', { article }, fake.owner, admin));
async function listed(query: string): Promise<string> {
  return (await seen(fake.subcommand('sources', 'list', { query }, fake.owner, admin))).embeds![0]!.description ?? '';
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-sources-remove-'));
  const corpus = path.join(tmp, 'corpus');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  await writeFollowUpCorpus(corpus);
  fake = await FakeDiscord.start({ token: TOKEN });
  bot = await startBot(
    botEnv(fake, TOKEN, tmp, {
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: corpus,
      INDEX_DIR: path.join(tmp, 'index'),
      EMBEDDING_MODEL: 'no-such-org/no-such-model',
      SEARCH_WORKERS: '1',
      RATE_LIMIT_MAX: '100',
      RATE_LIMIT_CEILING_MAX: '100',
      USER_RATE_LIMIT_MAX: '1000',
      LOG_LEVEL: 'info',
    }),
    tmp,
    { readyMs: 60_000 },
  );
}, 120_000);

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('/sources remove', { timeout: 90_000 }, () => {
  it('a word typed and sent without picking a suggestion removes nothing, even when one article matches', async () => {
    const reply = await remove('shipyard');
    expect(reply.content).toBe(`1 article matches “shipyard”: “${FOLLOW_UP.titles.shipyard}”. To remove it, pick it from the suggestions (or type its whole title). Nothing was changed.`);
    expect(reply.embeds ?? []).toEqual([]);
    expect(await listed('shipyard')).toContain(FOLLOW_UP.titles.shipyard);
  });

  it('several matches, or a blank value, ask for a pick', async () => {
    expect((await remove('Mykolaiv')).content).toMatch(/^\d+ articles match “Mykolaiv”: pick one from the suggestions as you type its title\. Nothing was changed\.$/);
    const blank = await remove('   ');
    expect(blank.content).toBe('Type part of a title and pick an article from the suggestions.');
    expect(blank.flags).toBe(EPHEMERAL);
  });

  it('the whole title (any case, stray spaces) removes that article', async () => {
    const done = await remove(`  ${FOLLOW_UP.titles.shipyard.toUpperCase().replace(/ /g, '  ')} `);
    expect(done.embeds![0]!.title).toBe('🗑️ Article removed');
    expect(done.embeds![0]!.description).toContain(`“${FOLLOW_UP.titles.shipyard}”`);
    expect(await listed('shipyard')).toBe('No indexed article matches.');
  });

  it('the id a suggestion supplies removes that article', async () => {
    const { choices } = await fake.choices(fake.autocomplete('sources', 'remove', { article: 'wheat' }, 'article', fake.owner, admin));
    expect(choices).toHaveLength(1);
    const done = await remove(choices[0]!.value);
    expect(done.embeds![0]!.title).toBe('🗑️ Article removed');
    expect(done.embeds![0]!.description).toContain(`“${FOLLOW_UP.titles.wheat}”`);
  });
});
