/**
 * What becomes of the bot's answers to members' messages when the question changes, end to end (the
 * real bot process against the local Discord stand-in): edits and deletions of questions answered
 * before a restart (the question → answer map lives in DATA_DIR/state.db), a forum post renamed, and
 * the thread the bot made for an ask channel's question when that question is deleted.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotState } from '../../src/bot/state/store.js';
import { botEnv, messageCorpus, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess, LogLine } from '../support/bot-process.js';
import { FakeDiscord, PERMISSIONS, type FakeMessage, type FakeUser, type RecordedRequest } from '../support/fake-discord.js';
import { FOLLOW_UP } from '../support/follow-up-corpus.js';
import { DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.message-answers-token-never-logged_00';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';
const WHEAT = FOLLOW_UP.otherTopic;

let tmp = '';
let env: NodeJS.ProcessEnv;
let fake: FakeDiscord;
let bot: BotProcess;
/** An ask channel where the bot has only what the README's invite grants. */
let askChannel = '';
/** An ask channel where a moderator gave the bot Manage Threads. */
let managedAsk = '';
let forum = '';

const refOf = (m: FakeMessage): string | undefined => (m.message_reference as { message_id?: string } | undefined)?.message_id;
const topTitle = (m: FakeMessage): string | undefined => (m.embeds as { title?: string }[])[0]?.title;
const mention = (text: string): string => `<@${fake.applicationId}> ${text}`;
const replyTo = (m: FakeMessage): Promise<FakeMessage> => fake.waitForBotMessage(m.channel_id, (x) => refOf(x) === m.id, 15_000);
const inThread = (threadId: string): Promise<FakeMessage> => fake.waitForBotMessage(threadId, () => true, 15_000);
const edits = (m: FakeMessage) => (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/channels/${m.channel_id}/messages/${m.id}`;
const deletes = (m: FakeMessage) => (r: RecordedRequest) => r.method === 'DELETE' && r.path === `/channels/${m.channel_id}/messages/${m.id}`;
const onChannel = (id: string, method: string) => (r: RecordedRequest) => r.method === method && r.path === `/channels/${id}`;
const logged = (user: FakeUser, msg: string) => (l: LogLine) => l.user === user.id && l.msg === msg;
/** Waits for the `n`th log line `msg` about `user` (of the running bot). */
const nth = (user: FakeUser, msg: string, n: number): Promise<LogLine> =>
  bot.waitForLog((l) => logged(user, msg)(l) && bot.logs.filter(logged(user, msg)).length >= n, 15_000, `log "${msg}" #${n}`);

async function restart(): Promise<void> {
  expect(await bot.stop('SIGTERM')).toBe(0);
  bot = await startBot(env, tmp, { readyMs: 60_000, modelMs: 20_000 });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-message-answers-'));
  const corpus = await messageCorpus(tmp);
  fake = await FakeDiscord.start({ token: TOKEN });
  askChannel = fake.addChannel('text', 'ask-archivist');
  managedAsk = fake.addChannel('text', 'ask-moderated');
  forum = fake.addChannel('forum', 'questions-forum');
  fake.allowBot(managedAsk, PERMISSIONS.manageThreads);
  env = botEnv(fake, TOKEN, tmp, {
    ...ROOMY_LIMITS,
    DISCORD_GUILD_ID: fake.guildId,
    CORPUS_PATHS: corpus,
    INDEX_DIR: path.join(tmp, 'embeddings'),
    EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
    ASK_CHANNEL_IDS: [askChannel, managedAsk, forum].join(','),
    RATE_LIMIT_MAX: '50',
    RATE_LIMIT_WINDOW_SECONDS: '600',
  });
  bot = await startBot(env, tmp, { readyMs: 60_000, modelMs: 20_000 });
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe('questions answered before a restart', { timeout: 120_000 }, () => {
  it('an edit is searched again and its answer edited in place (an unfurl changes nothing); a deletion removes the answer and its empty thread', async () => {
    const asker = fake.user('patient');
    const byMention = fake.post(fake.channelId, asker, mention(WHEAT));
    const reply = await replyTo(byMention);
    expect(topTitle(reply)).toBe(FOLLOW_UP.titles.wheat);
    const inAsk = fake.post(askChannel, asker, WHEAT);
    const threadAnswer = await inThread(inAsk.id);
    const toDelete = fake.post(managedAsk, asker, SALDO);
    const doomed = await inThread(toDelete.id);

    await restart();
    const patches = fake.requests.filter(edits(reply)).length;
    // Discord's own update of the text as it was (a link unfolding) is still told apart from an edit.
    fake.editMessage(byMention, mention(WHEAT), { unfurl: true });
    fake.editMessage(byMention, mention(FOLLOW_UP.first));
    await nth(asker, 'question edited: answer updated', 1);
    const edited = fake.message(reply.id)!;
    expect(edited.content).toContain(FOLLOW_UP.first);
    expect(topTitle(edited)).toBe(FOLLOW_UP.titles.dniprovka);
    expect(fake.requests.filter(edits(reply)).length).toBe(patches + 1);
    expect(fake.messagesIn(fake.channelId).filter((m) => refOf(m) === byMention.id).map((m) => m.id)).toEqual([reply.id]);

    fake.editMessage(inAsk, SALDO);
    await nth(asker, 'question edited: answer updated', 2);
    expect(topTitle(fake.message(threadAnswer.id)!)).toBe(SEED_TITLE);
    expect(fake.messagesIn(inAsk.id).map((m) => m.id)).toEqual([threadAnswer.id]);
    await fake.waitForRequest((r) => onChannel(inAsk.id, 'PATCH')(r) && (r.body as { name?: string }).name === SALDO, 10_000, 'the thread renamed');

    fake.deleteMessage(toDelete);
    await fake.waitForRequest(deletes(doomed), 10_000, 'the answer removed');
    await fake.waitForRequest(onChannel(toDelete.id, 'DELETE'), 10_000, 'its thread removed');
    expect(fake.hasChannel(toDelete.id)).toBe(false);
  });

  it('what is remembered is ids and hashes, not the text, bounded per server and by age', () => {
    const state = BotState.open(path.join(tmp, 'data'), { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
    try {
      expect(state.messageAnswerCount(fake.guildId)).toBeGreaterThan(0);
      const guildA = '111111111111111111';
      const guildB = '222222222222222222';
      const id = (guildId: string, n: number): string => `9${guildId.slice(1, 4)}${String(n).padStart(14, '0')}`;
      const save = (guildId: string, n: number, at = new Date()) =>
        state.saveMessageAnswer(
          { questionId: id(guildId, n), guildId, channelId: '3', messageId: String(n), textHash: 'h', questionHash: 'q', followUp: false, at },
          { perGuild: 3, days: 30 },
        );
      for (let n = 0; n < 5; n++) save(guildA, n);
      save(guildB, 0, new Date(Date.now() - 40 * 86_400_000));
      save(guildB, 1);
      // Server A's flood pushed out its own oldest only; B's answer past 30 days is gone.
      expect(state.messageAnswerCount(guildA)).toBe(3);
      expect(state.messageAnswerCount(guildB)).toBe(1);
      // Looked up within its own server only.
      expect(state.messageAnswer(id(guildA, 4), guildA)?.messageId).toBe('4');
      expect(state.messageAnswer(id(guildA, 0), guildA)).toBeUndefined();
      expect(state.messageAnswer(id(guildA, 4), guildB)).toBeUndefined();
    } finally {
      state.close();
    }
  });
});

describe('a forum post renamed', { timeout: 60_000 }, () => {
  it('its question is searched again with the new title and its answer edited in place', async () => {
    const author = fake.user('renamer');
    const post = fake.forumPost(forum, author, WHEAT, '');
    const answer = await inThread(post.id);
    expect(topTitle(answer)).toBe(FOLLOW_UP.titles.wheat);

    fake.renameThread(post.id, FOLLOW_UP.first);
    await nth(author, 'question edited: answer updated', 1);
    const edited = fake.message(answer.id)!;
    expect(edited.content).toContain(FOLLOW_UP.first);
    expect(topTitle(edited)).toBe(FOLLOW_UP.titles.dniprovka);
    expect(fake.messagesIn(post.id).map((m) => m.id)).toEqual([answer.id]);
    // The member's post keeps its name: the bot renames only threads it made.
    expect(fake.requests.some(onChannel(post.id, 'PATCH'))).toBe(false);
  });
});

describe("the thread of a deleted ask channel's question", { timeout: 60_000 }, () => {
  it('is deleted where the bot may manage threads, archived (not locked) where it may not, and kept when a member wrote in it', async () => {
    const asker = fake.user('tidy');
    const managed = fake.post(managedAsk, asker, WHEAT);
    const managedAnswer = await inThread(managed.id);
    const plain = fake.post(askChannel, asker, SALDO);
    const plainAnswer = await inThread(plain.id);
    const talked = fake.post(askChannel, asker, FOLLOW_UP.first);
    const talkedAnswer = await inThread(talked.id);
    fake.post(talked.id, asker, 'Thanks, the bus timetable part is what I needed.');

    fake.deleteMessage(managed);
    await fake.waitForRequest(onChannel(managed.id, 'DELETE'), 10_000, 'the managed thread deleted');
    expect(fake.message(managedAnswer.id)).toBeUndefined();
    expect(fake.hasChannel(managed.id)).toBe(false);

    fake.deleteMessage(plain);
    const archived = await fake.waitForRequest(onChannel(plain.id, 'PATCH'), 10_000, 'the thread archived');
    expect(archived.status).toBe(200);
    expect(archived.body).toMatchObject({ archived: true });
    expect(archived.body).not.toHaveProperty('locked');
    expect(fake.message(plainAnswer.id)).toBeUndefined();
    expect((fake.channelById(plain.id)!.thread_metadata as { archived: boolean }).archived).toBe(true);
    expect(fake.requests.some(onChannel(plain.id, 'DELETE'))).toBe(false);

    fake.deleteMessage(talked);
    await fake.waitForRequest(deletes(talkedAnswer), 10_000, 'the answer removed');
    await bot.waitForLog((l) => l.thread === talked.id && /members' messages: kept/.test(l.msg ?? ''), 10_000, 'the thread kept');
    expect(fake.requests.some((r) => r.path === `/channels/${talked.id}` && r.method !== 'GET')).toBe(false);
    expect((fake.channelById(talked.id)!.thread_metadata as { archived: boolean }).archived).toBe(false);
  });
});
