/**
 * Everyday chat where the bot reads everything (ask channels, forums, its own threads), end to end:
 * the real bot process against the local Discord stand-in. Nobody asked the bot there, so chat gets
 * no public refusal, never spends anyone's searches, and a mention that asks nothing gets help (or a
 * 👍 for thanks) instead of a search. Also the limiter's give-back and `smallTalk` on their own.
 * Corpus: the seed articles plus the made-up follow-up ones.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MENTION_HELP, smallTalk } from '../../src/bot/messages.js';
import { RateLimiter } from '../../src/bot/rate-limit.js';
import { spendSearch } from '../../src/bot/reply.js';
import { loadBotConfig } from '../../src/bot/config.js';
import type { BotState } from '../../src/bot/state/store.js';
import { botEnv, messageCorpus, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess, LogLine } from '../support/bot-process.js';
import { FakeDiscord, type FakeMessage, type FakeUser, type RecordedRequest } from '../support/fake-discord.js';
import { FOLLOW_UP } from '../support/follow-up-corpus.js';
import { DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.quiet-chat-test-token-never-logged_0';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';
const QUIET = 'no strong match: stayed quiet';

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
let askChannel = '';
let forum = '';

const refOf = (m: FakeMessage): string | undefined => (m.message_reference as { message_id?: string } | undefined)?.message_id;
const topTitle = (m: FakeMessage): string | undefined => (m.embeds as { title?: string }[])[0]?.title;
const labels = (m: FakeMessage): string[] => (m.components as { components: { label: string }[] }[]).flatMap((r) => r.components.map((c) => c.label));
const threadCreated = (channelId: string, messageId: string) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/channels/${channelId}/messages/${messageId}/threads`;
const reacted = (channelId: string, messageId: string) => (r: RecordedRequest) => r.method === 'PUT' && r.path === `/channels/${channelId}/messages/${messageId}/reactions/👍/@me`;
/** Whatever the bot posted about `m`: a reply to it in its channel, or a message in a thread on it. */
const answersTo = (m: FakeMessage): FakeMessage[] => [...fake.messagesIn(m.channel_id).filter((x) => refOf(x) === m.id), ...fake.messagesIn(m.id)];
const replyTo = (m: FakeMessage, timeoutMs = 15_000): Promise<FakeMessage> => fake.waitForBotMessage(m.channel_id, (x) => refOf(x) === m.id, timeoutMs);
const logOf = (user: FakeUser, msg: string) => (l: LogLine) => l.user === user.id && l.msg === msg;
const mention = (text: string): string => `<@${fake.applicationId}> ${text}`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-quiet-chat-'));
  const corpus = await messageCorpus(tmp);
  fake = await FakeDiscord.start({ token: TOKEN });
  askChannel = fake.addChannel('text', 'ask-archivist');
  forum = fake.addChannel('forum', 'questions');
  bot = await startBot(
    botEnv(fake, TOKEN, tmp, {
      ...ROOMY_LIMITS,
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: corpus,
      INDEX_DIR: path.join(tmp, 'embeddings'),
      EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
      ASK_CHANNEL_IDS: `${askChannel},${forum}`,
      RATE_LIMIT_MAX: '5',
      RATE_LIMIT_WINDOW_SECONDS: '600',
    }),
    tmp,
    { readyMs: 60_000, modelMs: 20_000 },
  );
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe('chat where the bot reads everything', { timeout: 60_000 }, () => {
  it('in its own thread, chat that looks like a question gets no reply; a follow-up is answered; a mention still gets the refusal', async () => {
    const asker = fake.user('rosa');
    const question = fake.post(askChannel, asker, FOLLOW_UP.first);
    expect(topTitle(await fake.waitForBotMessage(question.id))).toBe(FOLLOW_UP.titles.dniprovka);
    const thread = question.id;
    const chat = ['lol why?', 'are you sure?', 'how are you?', 'did you see the game last night?'].map((text, n) => {
      const user = fake.user(`friend${n}`);
      return { user, message: fake.post(thread, user, text) };
    });
    for (const { user } of chat) await bot.waitForLog(logOf(user, QUIET), 15_000, 'the quiet decision on chat in the thread');
    const followed = await replyTo(fake.post(thread, asker, FOLLOW_UP.followUp));
    expect(followed.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
    expect(topTitle(followed)).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
    for (const { message } of chat) expect(answersTo(message)).toEqual([]);
    // Asked by name, the same chat gets the visible refusal, with the closest passages a click away.
    const refusal = await replyTo(fake.post(thread, asker, mention('are you sure?')));
    expect(topTitle(refusal)).toBe('No source in the corpus answers this.');
    expect(labels(refusal)).toContain('Show closest passages anyway');
  });

  it('a reply to one of its answers (a ping Discord adds by itself) is a follow-up: answered unless refused, quiet otherwise', async () => {
    const asker = fake.user('sam');
    const answer = await replyTo(fake.post(fake.channelId, asker, mention(FOLLOW_UP.first)));
    expect(topTitle(answer)).toBe(FOLLOW_UP.titles.dniprovka);
    const doubt = fake.post(fake.channelId, asker, 'lol are you sure?', { replyTo: answer });
    await bot.waitForLog(logOf(asker, QUIET), 15_000, 'the quiet decision on the doubtful reply');
    const followed = await replyTo(fake.post(fake.channelId, asker, FOLLOW_UP.followUp, { replyTo: answer }));
    expect(followed.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
    expect(topTitle(followed)).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
    expect(answersTo(doubt)).toEqual([]);
  });

  it('a forum post the bot did not answer is its people\'s discussion: replies there, even answerable ones, are left alone', async () => {
    const author = fake.user('chef');
    const post = fake.forumPost(forum, author, 'Dinner plans', 'What should I cook for dinner tonight?');
    await bot.waitForLog(logOf(author, QUIET), 15_000, 'the quiet decision on the forum post');
    const friend = fake.user('taster');
    const replies = ['Have you tried pasta?', SALDO].map((text) => fake.post(post.id, friend, text));
    // A mention is answered (without the post as context); by then the earlier replies were decided.
    const asked = await replyTo(fake.post(post.id, friend, mention(SALDO)));
    expect(topTitle(asked)).toBe(SEED_TITLE);
    expect(asked.content).not.toContain('Following up on');
    for (const m of replies) expect(fake.messagesIn(post.id).filter((x) => refOf(x) === m.id)).toEqual([]);
    expect(bot.logs.some((l) => l.user === friend.id && l.msg === QUIET)).toBe(false);
  });

  it('chat the bot stays quiet on spends none of the rate limit: the member\'s real question is still answered', async () => {
    const chatty = fake.user('chatty');
    const chat = ["what's for dinner?", 'did you see the game last night?', 'is it friday yet?', 'how was your weekend?', 'should I buy a new phone?', 'where did you go on vacation?', 'who is coming to the party on saturday?'];
    const posted: FakeMessage[] = [];
    for (const [n, text] of chat.entries()) {
      posted.push(fake.post(askChannel, chatty, text));
      await bot.waitForLog((l) => logOf(chatty, QUIET)(l) && bot.logs.filter(logOf(chatty, QUIET)).length > n, 15_000, `the quiet decision on "${text}"`);
    }
    const real = fake.post(askChannel, chatty, SALDO);
    await fake.waitForRequest(threadCreated(askChannel, real.id), 15_000, 'a thread on the real question');
    expect(topTitle(await fake.waitForBotMessage(real.id))).toBe(SEED_TITLE);
    for (const m of posted) {
      expect(answersTo(m)).toEqual([]);
      expect(fake.requests.some(threadCreated(askChannel, m.id))).toBe(false);
    }
    expect(bot.logs.some(logOf(chatty, 'rate limited'))).toBe(false);
  });

  it('in an ask channel, chat that names nothing is ignored before any search; "thanks @Archivist!" gets a 👍, not a thread', async () => {
    const chatter = fake.user('greeter');
    const chat = ['hi all!', 'who are you?', 'thanks!'].map((text) => fake.post(askChannel, chatter, text));
    // "who are you?" looks like a question but names nothing ("hi all!" and "thanks!" do not even look like one).
    await bot.waitForLog(logOf(chatter, 'chat without a topic: ignored'), 15_000, '"who are you?" to be ignored');
    const thanker = fake.user('thanker');
    const thanks = fake.post(askChannel, thanker, `thanks <@${fake.applicationId}>!`);
    await fake.waitForRequest(reacted(askChannel, thanks.id), 15_000, 'a 👍 on the thanks');
    // A question after them is answered: by then they were decided.
    const after = fake.post(askChannel, chatter, SALDO);
    expect(topTitle(await fake.waitForBotMessage(after.id))).toBe(SEED_TITLE);
    for (const m of [...chat, thanks]) {
      expect(answersTo(m)).toEqual([]);
      expect(fake.requests.some(threadCreated(askChannel, m.id))).toBe(false);
    }
    expect(bot.logs.some((l) => (l.user === chatter.id || l.user === thanker.id) && l.msg === QUIET)).toBe(false);
  });

  it('a mention that asks nothing gets the help, thanks get a 👍 only; neither is searched', async () => {
    const user = fake.user('mentioner');
    for (const text of ['hi', 'lol', 'who are you?', 'help', 'commands']) {
      const reply = await replyTo(fake.post(fake.channelId, user, mention(text)));
      expect(reply.content).toBe(MENTION_HELP);
      expect(reply.embeds).toEqual([]);
    }
    for (const text of [`thanks <@${fake.applicationId}>`, mention('thanks'), mention('good bot'), mention('thx, that helped')]) {
      const m = fake.post(fake.channelId, user, text);
      await fake.waitForRequest(reacted(fake.channelId, m.id), 15_000, `a 👍 on "${text}"`);
    }
    // A real question by mention is still answered, after which the thanks were all decided.
    expect(topTitle(await replyTo(fake.post(fake.channelId, user, mention(SALDO))))).toBe(SEED_TITLE);
    // Five help replies and the answer: nothing for the thanks, and only the question was searched.
    const replies = fake.messagesIn(fake.channelId).filter((x) => refOf(x) !== undefined && fake.message(refOf(x)!)?.author.id === user.id);
    expect(replies.map((r) => (r.content === MENTION_HELP ? 'help' : topTitle(r)))).toEqual([...Array<string>(5).fill('help'), SEED_TITLE]);
    await bot.waitForLog(logOf(user, 'message answered'), 5000, 'the answer to be logged');
    expect(bot.logs.filter((l) => l.user === user.id && (l.msg === 'message answered' || l.msg === QUIET))).toHaveLength(1);
  });
});

describe('pieces', () => {
  it('the limiter gives a quiet search back to the person, never to the server’s share', () => {
    const config = loadBotConfig({ DISCORD_TOKEN: 'MTAx.GfAkEt.unit-test-token', DISCORD_CLIENT_ID: '123456789012345678', USER_RATE_LIMIT_MAX: '2', GUILD_RATE_LIMIT_MAX: '3', RATE_LIMIT_MAX: '2' });
    const state = { settings: () => ({ rateLimit: { max: 2, windowSeconds: 60 } }) } as unknown as BotState;
    const ctx = { config, state, limiter: new RateLimiter(() => 1000) };
    const [a, b] = ['111111111111111111', '222222222222222222'];
    // Three quiet checks in server A, each given back (twice: once only counts).
    for (let i = 0; i < 3; i++) {
      const spent = spendSearch(ctx, a, 'u1');
      expect('giveBack' in spent).toBe(true);
      if ('giveBack' in spent) {
        spent.giveBack();
        spent.giveBack();
      }
    }
    // A flooded ask channel has spent its server's share, not the member's allowance…
    expect(spendSearch(ctx, a, 'u1')).toMatchObject({ message: expect.stringMatching(/This server has used its share/) });
    // …which still holds both of its searches in another server, and then is used up across servers.
    expect('giveBack' in spendSearch(ctx, b, 'u1')).toBe(true);
    expect('giveBack' in spendSearch(ctx, b, 'u1')).toBe(true);
    expect(spendSearch(ctx, b, 'u1')).toMatchObject({ message: expect.stringMatching(/across every server/) });
  });

  it('tells thanks and calls for help from questions', () => {
    for (const t of ['thanks!', 'thx bot', 'good bot', 'thank you so much', 'nice, that helps', 'cheers']) expect(smallTalk(t, false)).toBe('thanks');
    for (const t of ['', 'hi', 'lol', 'who are you?', 'help', 'commands!', 'hello everyone', 'gg', 'brb!']) expect(smallTalk(t, false)).toBe('help');
    for (const t of [SALDO, 'thanks, what about Mykolaiv?', 'Great Barrier Reef bleaching', 'what happened next?']) expect(smallTalk(t, false)).toBeUndefined();
    // In a thread the bot answers in, a question of framing alone is a follow-up.
    expect(smallTalk('when did that happen?', true)).toBeUndefined();
    expect(smallTalk('when did that happen?', false)).toBe('help');
  });
});
