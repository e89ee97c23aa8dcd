/**
 * How answers in messages hold up in a real server: channels where a moderator took permissions
 * from the bot, links in questions, and questions deleted by their author. The real bot process
 * against the local Discord stand-in, which acts as Discord does there (403 without Send Messages or
 * Create Public Threads, embeds silently dropped without Embed Links, MESSAGE_DELETE with ids only).
 * Corpus: the seed articles plus the made-up follow-up ones.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inertLinks } from '../../src/bot/format.js';
import { NO_EMBEDS_NOTE } from '../../src/bot/messages.js';
import { botEnv, messageCorpus, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, PERMISSIONS, type FakeMessage, type RecordedRequest } from '../support/fake-discord.js';
import { FOLLOW_UP } from '../support/follow-up-corpus.js';
import { DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.degrade-test-token-never-logged_000';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
/** An ask channel, one where the bot may not embed links, one where it may not write, and an ask channel where it may not write in threads. */
let askChannel = '';
let noEmbeds = '';
let noSend = '';
let noThreadSend = '';

const refOf = (m: FakeMessage): string | undefined => (m.message_reference as { message_id?: string } | undefined)?.message_id;
const replyTo = (m: FakeMessage, timeoutMs = 15_000): Promise<FakeMessage> => fake.waitForBotMessage(m.channel_id, (x) => refOf(x) === m.id, timeoutMs);
const mention = (text: string): string => `<@${fake.applicationId}> ${text}`;
const postsTo = (channelId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-degrade-'));
  const corpus = await messageCorpus(tmp);
  fake = await FakeDiscord.start({ token: TOKEN });
  askChannel = fake.addChannel('text', 'ask-archivist');
  noEmbeds = fake.addChannel('text', 'no-embeds');
  noSend = fake.addChannel('text', 'read-only');
  noThreadSend = fake.addChannel('text', 'ask-no-thread-replies');
  fake.denyBot(noEmbeds, PERMISSIONS.embedLinks);
  fake.denyBot(noSend, PERMISSIONS.sendMessages);
  fake.denyBot(noThreadSend, PERMISSIONS.sendMessagesInThreads);
  bot = await startBot(
    botEnv(fake, TOKEN, tmp, {
      ...ROOMY_LIMITS,
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: corpus,
      INDEX_DIR: path.join(tmp, 'embeddings'),
      EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
      ASK_CHANNEL_IDS: `${askChannel},${noThreadSend}`,
      RATE_LIMIT_MAX: '50',
    }),
    tmp,
    { readyMs: 60_000, modelMs: 20_000 },
  );
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe('missing permissions', { timeout: 60_000 }, () => {
  it('without Embed Links, the sources are in the text (Discord would drop the embeds and leave the heading alone)', async () => {
    const reply = await replyTo(fake.post(noEmbeds, fake.user('reader'), mention(SALDO)));
    expect(reply.embeds).toEqual([]);
    expect(reply.content).toContain(NO_EMBEDS_NOTE);
    expect(reply.content).toContain(`**${SEED_TITLE}**`);
    expect(reply.content).toMatch(/\n> .*Kherson/);
    expect(reply.content.length).toBeLessThanOrEqual(2000);
    // Its buttons still work as anywhere else.
    expect((reply.components as { components: { label: string }[] }[]).flatMap((r) => r.components.map((c) => c.label))).toContain('More results');
  });

  it('without Send Messages in Threads, an ask channel is answered in the channel, leaving no empty thread behind', async () => {
    const question = fake.post(noThreadSend, fake.user('asker'), FOLLOW_UP.first);
    const reply = await replyTo(question);
    expect((reply.embeds as { title?: string }[])[0]?.title).toBe(FOLLOW_UP.titles.dniprovka);
    expect(fake.requests.some((r) => r.method === 'POST' && r.path === `/channels/${noThreadSend}/messages/${question.id}/threads`)).toBe(false);
  });

  it('without Send Messages, nothing is searched or sent: a log line says which permission is missing', async () => {
    const asker = fake.user('muted');
    fake.post(noSend, asker, mention(SALDO));
    await bot.waitForLog((l) => l.channel === noSend && /lacks Send Messages/.test(String(l.msg)), 15_000, 'the missing permission to be logged');
    // A question elsewhere right after is answered: by then the first was decided.
    expect((await replyTo(fake.post(fake.channelId, asker, mention(SALDO)))).content).toContain('Strong match');
    await bot.waitForLog((l) => l.user === asker.id && l.msg === 'message answered', 5000, 'the answer to be logged');
    expect(fake.requests.some(postsTo(noSend))).toBe(false);
    expect(bot.logs.filter((l) => l.user === asker.id && l.msg === 'message answered')).toHaveLength(1);
    expect(bot.logs.some((l) => l.user === asker.id && l.level >= 50)).toBe(false);
  });
});

describe('what members write', { timeout: 60_000 }, () => {
  it('a link in a question is repeated inert: no preview of it under the bot’s name', async () => {
    const reply = await replyTo(fake.post(fake.channelId, fake.user('linker'), mention(`https://example.com/clip.gif ${SALDO}`)));
    expect(reply.content).toContain('https\\://example.com/clip.gif');
    expect(reply.content).not.toMatch(/https:\/\//);
    expect(inertLinks('see discord.gg/abc or https://x.test/a')).toBe('see discord\\.gg/abc or https\\://x.test/a');
  });

  it('a question deleted by its author takes the answer with it, in a reply or in an ask channel’s thread', async () => {
    const author = fake.user('regretful');
    const asked = fake.post(fake.channelId, author, mention(SALDO));
    const reply = await replyTo(asked);
    const inAsk = fake.post(askChannel, author, FOLLOW_UP.first);
    const threadAnswer = await fake.waitForBotMessage(inAsk.id, () => true, 15_000);
    fake.deleteMessage(asked);
    fake.deleteMessage(inAsk);
    const deleted = (m: FakeMessage) => (r: RecordedRequest) => r.method === 'DELETE' && r.path === `/channels/${m.channel_id}/messages/${m.id}`;
    await fake.waitForRequest(deleted(reply), 10_000, 'the reply to be deleted');
    await fake.waitForRequest(deleted(threadAnswer), 10_000, 'the thread answer to be deleted');
    expect(fake.message(reply.id)).toBeUndefined();
    expect(fake.message(threadAnswer.id)).toBeUndefined();
  });

  it('a question deleted before its answer is ready gets no reply and no error', async () => {
    const author = fake.user('hasty');
    const asked = fake.post(fake.channelId, author, mention(FOLLOW_UP.otherTopic));
    fake.deleteMessage(asked);
    await bot.waitForLog((l) => l.user === author.id && l.msg === 'question deleted before its answer: nothing sent', 15_000, 'the deleted question to be dropped');
    await sleep(500);
    expect(fake.requests.some((r) => (r.body as { message_reference?: { message_id?: string } } | undefined)?.message_reference?.message_id === asked.id)).toBe(false);
    expect(bot.logs.some((l) => l.user === author.id && l.level >= 50)).toBe(false);
  });
});
