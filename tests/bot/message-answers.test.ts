/**
 * What becomes of the bot's answers to members' messages when the question changes, end to end (the
 * real bot process against the local Discord stand-in): edits and deletions of questions answered
 * before a restart (the question → answer map lives in DATA_DIR/state.db), a forum post renamed, and
 * the thread the bot made for an ask channel's question when that question is deleted.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotState } from '../../src/bot/state/store.js';
import { botEnv, editOf, messageCorpus, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
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

describe('hashes in the state file', { timeout: 60_000 }, () => {
  it("are keyed with the bot's hash key (DATA_DIR/voter-key): a copy of state.db cannot confirm a guess of a message", async () => {
    const asker = fake.user('guessed');
    const text = mention(WHEAT);
    const question = fake.post(fake.channelId, asker, text);
    await replyTo(question);
    await nth(asker, 'message answered', 1);
    const state = BotState.open(path.join(tmp, 'data'), { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
    try {
      const saved = state.messageAnswer(question.id, fake.guildId);
      const key = readFileSync(path.join(tmp, 'data', 'voter-key'), 'utf8').trim();
      expect(saved?.textHash).not.toBe(createHash('sha256').update(text).digest('base64url'));
      expect(saved?.textHash).toBe(createHmac('sha256', key).update(`message-answer\0${text}`).digest('base64url'));
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

describe('answers in archived threads', { timeout: 90_000 }, () => {
  const archivedAgain = (threadId: string, after: number) => (r: RecordedRequest) =>
    onChannel(threadId, 'PATCH')(r) && r.at >= after && r.status === 200 && (r.body as { archived?: boolean }).archived === true;

  it("a deleted question's answer is removed though its thread archived, which is archived again where it stays", async () => {
    const asker = fake.user('archived');
    // A thread a member wrote in (it stays), archived as Discord does a day after its last message.
    const kept = fake.post(askChannel, asker, WHEAT);
    const keptAnswer = await inThread(kept.id);
    fake.post(kept.id, asker, 'Thanks, the grain prices were what I needed.');
    fake.archiveThread(kept.id);
    // A bot-only thread archived while the bot was not listening: its cache still says active.
    const lone = fake.post(managedAsk, asker, SALDO);
    const loneAnswer = await inThread(lone.id);
    fake.archiveThread(lone.id, { announce: false });

    fake.deleteMessage(kept);
    const removed = await fake.waitForRequest((r) => deletes(keptAnswer)(r) && r.status === 204, 10_000, 'the answer removed');
    expect(fake.message(keptAnswer.id)).toBeUndefined();
    await fake.waitForRequest(archivedAgain(kept.id, removed.at), 10_000, 'the thread archived again');
    expect(fake.isArchived(kept.id)).toBe(true);
    expect(fake.hasChannel(kept.id)).toBe(true);
    expect(bot.logs.some((l) => l.question === kept.id && l.msg === 'question deleted: removed its answer')).toBe(true);

    fake.deleteMessage(lone);
    await fake.waitForRequest((r) => deletes(loneAnswer)(r) && r.status === 204, 10_000, 'the answer removed');
    await fake.waitForRequest(onChannel(lone.id, 'DELETE'), 10_000, 'its thread removed');
    expect(fake.hasChannel(lone.id)).toBe(false);
  });

  it("an edited question's answer is edited in its archived thread, which is renamed and archived again", async () => {
    const asker = fake.user('reworded');
    const question = fake.post(askChannel, asker, SALDO);
    const answer = await inThread(question.id);
    expect(topTitle(answer)).toBe(SEED_TITLE);
    fake.archiveThread(question.id);

    const before = Date.now();
    fake.editMessage(question, WHEAT);
    await nth(asker, 'question edited: answer updated', 1);
    expect(topTitle(fake.message(answer.id)!)).toBe(FOLLOW_UP.titles.wheat);
    expect(fake.requests.some((r) => edits(answer)(r) && r.status === 200)).toBe(true);
    const archived = await fake.waitForRequest(archivedAgain(question.id, before), 10_000, 'the thread renamed and archived again');
    expect(archived.body).toHaveProperty('name');
    expect(fake.isArchived(question.id)).toBe(true);
    expect(fake.messagesIn(question.id).map((m) => m.id)).toEqual([answer.id]);
  });

  it('in a locked thread the bot may not unarchive, the answer stays and no removal is claimed', async () => {
    const asker = fake.user('locked-out');
    const question = fake.post(askChannel, asker, FOLLOW_UP.first);
    const answer = await inThread(question.id);
    fake.archiveThread(question.id, { locked: true });

    fake.deleteMessage(question);
    const failed = await bot.waitForLog((l) => l.question === question.id && /could not remove its answer/.test(l.msg ?? ''), 10_000, 'the failure logged');
    // A warning: the answer still repeats the member's deleted words.
    expect(failed.level).toBe(40);
    expect(fake.message(answer.id)).toBeDefined();
    expect(bot.logs.some((l) => l.question === question.id && /removed its answer/.test(l.msg ?? ''))).toBe(false);
  });
});

describe("the bot's thread where a member used /ask", { timeout: 60_000 }, () => {
  it('is kept when the question it was made for is deleted: the /ask answer is the member’s, though posted by the bot', async () => {
    const asker = fake.user('starter');
    const question = fake.post(managedAsk, asker, SALDO);
    const answer = await inThread(question.id);
    const i = fake.slashIn(question.id, 'ask', { question: FOLLOW_UP.first }, fake.user('joiner'));
    await editOf(fake, i, 15_000);
    expect(fake.original(i.token)?.channel_id).toBe(question.id);

    fake.deleteMessage(question);
    await fake.waitForRequest((r) => deletes(answer)(r) && r.status === 204, 10_000, 'the answer removed');
    await bot.waitForLog((l) => l.thread === question.id && /members' messages: kept/.test(l.msg ?? ''), 10_000, 'the thread kept');
    expect(fake.hasChannel(question.id)).toBe(true);
    expect(fake.requests.some(onChannel(question.id, 'DELETE'))).toBe(false);
    expect(fake.original(i.token)).toBeDefined();
  });
});
