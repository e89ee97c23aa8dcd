/**
 * Questions asked in messages, end to end: the real bot process against the local Discord stand-in
 * (which sends MESSAGE_CREATE as Discord does: blanked text without the Message Content intent unless
 * the bot is mentioned). A mention, ask channels (text and forum), follow-ups in threads with the
 * earlier question carried over, the gateway intents both ways, and the 4014 startup error.
 * Corpus: the seed articles plus made-up ones where "What about Mykolaiv?" alone points elsewhere.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotState } from '../../src/bot/state/store.js';
import { botEnv, callbackOf, editOf, startBot } from '../support/bot-harness.js';
import { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, INTENTS, type FakeMessage, type RecordedRequest } from '../support/fake-discord.js';
import { FOLLOW_UP, writeFollowUpCorpus } from '../support/follow-up-corpus.js';
import { createTinyModel, DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.mention-test-token-never-logged_01234';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';
const REQUESTED = /requesting the privileged Message Content intent/;

interface Embed {
  title?: string;
  description?: string;
}
const embeds = (m: FakeMessage): Embed[] => m.embeds as Embed[];
const topTitle = (m: FakeMessage): string | undefined => embeds(m)[0]?.title;
const labels = (m: FakeMessage): string[] => (m.components as { components: { label: string }[] }[]).flatMap((r) => r.components.map((c) => c.label));

let tmp = '';
let corpus = '';

function env(fake: FakeDiscord, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return botEnv(fake, TOKEN, tmp, {
    DISCORD_GUILD_ID: fake.guildId,
    CORPUS_PATHS: corpus,
    INDEX_DIR: path.join(tmp, 'embeddings'),
    EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
    RATE_LIMIT_MAX: '100',
    RATE_LIMIT_CEILING_MAX: '100',
    USER_RATE_LIMIT_MAX: '1000',
    SEARCH_WORKERS: '1',
    LOG_LEVEL: 'debug',
    ...extra,
  });
}

const start = (fake: FakeDiscord, extra: Record<string, string> = {}): Promise<BotProcess> => startBot(env(fake, extra), tmp, { readyMs: 60_000, modelMs: 20_000 });

/** The bot's reply to `message` (a message in the same channel that references it). */
function replyTo(fake: FakeDiscord, message: FakeMessage, timeoutMs = 15_000): Promise<FakeMessage> {
  return fake.waitForBotMessage(message.channel_id, (m) => (m.message_reference as { message_id?: string } | undefined)?.message_id === message.id, timeoutMs);
}

const threadCreated = (channelId: string, messageId: string) => (r: RecordedRequest) =>
  r.method === 'POST' && r.path === `/channels/${channelId}/messages/${messageId}/threads`;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-bot-mention-'));
  corpus = path.join(tmp, 'corpus');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  await writeFollowUpCorpus(corpus);
  await createTinyModel(path.join(tmp, 'models'), { words: ['Kherson', 'Saldo', 'Mykolaiv', 'Dniprovka', 'Odesa'] });
}, 30_000);

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('without ASK_CHANNEL_IDS: mentions only, no privileged intent', { timeout: 30_000 }, () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  beforeAll(async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    bot = await start(fake);
  }, 120_000);
  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await fake?.close();
  });
  const mention = (text: string): string => `<@${fake.applicationId}> ${text}`;

  it('identifies with Guilds + GuildMessages only, and says nothing of Message Content', () => {
    expect(fake.identifyIntents).toBe(INTENTS.guilds | INTENTS.guildMessages);
    expect(bot.logs.some((l) => REQUESTED.test(l.msg ?? ''))).toBe(false);
  });

  it('answers a mention like /ask, as a reply that pings nobody', async () => {
    const question = fake.post(fake.channelId, fake.user('alice'), mention(SALDO));
    const reply = await replyTo(fake, question);
    expect(reply.content).toContain(`**Question:** ${SALDO}`);
    expect(reply.content).not.toContain(`<@${fake.applicationId}>`);
    expect(topTitle(reply)).toBe(SEED_TITLE);
    expect(embeds(reply)[0]!.description).toMatch(/Saldo said/);
    expect(reply.allowed_mentions).toEqual({ parse: [], replied_user: false });
    expect(labels(reply)).toEqual(expect.arrayContaining(['👍 Helpful', '👎 Not helpful']));
    // Its buttons work as on /ask: a vote is recorded.
    const vote = fake.click(reply, (reply.components as { components: { custom_id: string; label: string }[] }[]).flatMap((r) => r.components).find((c) => c.label.includes('Helpful') && c.label.includes('👍'))!.custom_id, fake.user('alice'));
    const cb = await callbackOf<{ data: { content: string } }>(fake, vote, 5000, 'the vote');
    expect(cb.body.data.content).toMatch(/recorded/);
  });

  it('the reply\'s "Show closest passages anyway" button rewrites that message, for the asker', async () => {
    const asker = fake.user('paula');
    // A question (chat naming nothing of the corpus gets the help instead: tests/bot/second-takes.test.ts).
    const reply = await replyTo(fake, fake.post(fake.channelId, asker, mention('which team won the regional chess tournament final')));
    expect(topTitle(reply)).toBe('No source in the corpus answers this.');
    const anyway = (reply.components as { components: { custom_id: string; label: string }[] }[]).flatMap((r) => r.components).find((c) => c.label.includes('anyway'))!;
    const stranger = fake.click(reply, anyway.custom_id, fake.user('quentin'));
    const refused = await callbackOf<{ data: { content: string } }>(fake, stranger, 5000, 'the refusal');
    expect(refused.body.data.content).toMatch(/Only the person who asked/);
    const click = fake.click(reply, anyway.custom_id, asker);
    await editOf(fake, click, 15_000, undefined, 'the edit');
    expect(fake.message(reply.id)!.content).toContain('Low confidence');
    expect(topTitle(fake.message(reply.id)!)).not.toBe('No source in the corpus answers this.');
  });

  it('without Message Content: an edited mention is answered again in place; the mention taken out (Discord then sends no text), the answer goes', async () => {
    const asker = fake.user('reviser');
    const question = fake.post(fake.channelId, asker, mention(FOLLOW_UP.otherTopic));
    const reply = await replyTo(fake, question);
    expect(topTitle(reply)).toBe(FOLLOW_UP.titles.wheat);
    fake.editMessage(question, mention(FOLLOW_UP.first));
    await bot.waitForLog((l) => l.user === asker.id && l.msg === 'question edited: answer updated', 15_000, 'the answer to be updated');
    expect(topTitle(fake.message(reply.id)!)).toBe(FOLLOW_UP.titles.dniprovka);
    fake.editMessage(question, FOLLOW_UP.first);
    await fake.waitForRequest((r) => r.method === 'DELETE' && r.path === `/channels/${reply.channel_id}/messages/${reply.id}`, 10_000, 'the answer removed');
  });

  it('a mention without a question gets a short help reply', async () => {
    const bare = fake.post(fake.channelId, fake.user('bob'), `<@${fake.applicationId}>`);
    const reply = await replyTo(fake, bare);
    expect(reply.content).toMatch(/Ask me a question after the mention/);
    expect(reply.embeds).toEqual([]);
  });

  it('ignores its own messages, other bots, and messages that do not mention it', async () => {
    const own = fake.post(fake.channelId, fake.botUser, mention(SALDO));
    const otherBot = fake.post(fake.channelId, { ...fake.user('helper-bot'), bot: true }, mention(SALDO));
    const plain = fake.post(fake.channelId, fake.user('carol'), 'What did Saldo urge Kherson residents to do?');
    // Messages are handled in order: once a later mention is answered, the earlier ones were decided.
    await replyTo(fake, fake.post(fake.channelId, fake.user('carol'), mention(SALDO)));
    for (const m of [own, otherBot, plain]) expect(fake.messagesIn(fake.channelId).some((r) => (r.message_reference as { message_id?: string } | undefined)?.message_id === m.id)).toBe(false);
  });

  it('a mention in a thread on an answer carries its question over; alone, the follow-up points elsewhere', async () => {
    const first = fake.post(fake.channelId, fake.user('dana'), mention(FOLLOW_UP.first));
    const answer = await replyTo(fake, first);
    expect(topTitle(answer)).toBe(FOLLOW_UP.titles.dniprovka);

    const alone = await replyTo(fake, fake.post(fake.channelId, fake.user('dana'), mention(FOLLOW_UP.followUp)));
    expect(alone.content).not.toContain('Following up on');

    const thread = fake.startThread(answer, fake.user('dana'));
    expect(thread).toBe(answer.id);
    const followed = await replyTo(fake, fake.post(thread, fake.user('dana'), mention(FOLLOW_UP.followUp)));
    expect(followed.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
    expect(topTitle(followed)).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
    expect(topTitle(followed)).not.toBe(topTitle(alone));
  });

  it('/ask inside such a thread carries the context too, and is still acknowledged within 3 s', async () => {
    const answer = await replyTo(fake, fake.post(fake.channelId, fake.user('erin'), mention(FOLLOW_UP.first)));
    const thread = fake.startThread(answer, fake.user('erin'));
    const i = fake.slashIn(thread, 'ask', { question: FOLLOW_UP.followUp }, fake.user('erin'));
    const ack = await callbackOf<{ type: number }>(fake, i, 5000, 'the deferral');
    expect(ack.body.type).toBe(5);
    expect(ack.ms).toBeLessThan(3000);
    const body = await editOf<{ content: string; embeds: Embed[] }>(fake, i, 15_000, undefined, 'the answer');
    expect(body.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
    expect(body.embeds[0]!.title).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
  });

  it('after a restart, a thread on an old answer is read back from its starter message', async () => {
    // An answer the bot posted before a restart: not in its memory, only on Discord.
    const old = fake.post(fake.channelId, fake.botUser, `**Question:** ${FOLLOW_UP.first}\n-# Strong match`, { past: true });
    const thread = fake.startThread(old, fake.user('frank'));
    const followed = await replyTo(fake, fake.post(thread, fake.user('frank'), mention(FOLLOW_UP.followUp)));
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === `/channels/${fake.channelId}/messages/${old.id}`)).toBe(true);
    expect(followed.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
  });

  it('/ask in the main channel is still acknowledged within 3 s', async () => {
    const i = fake.slash('ask', { question: SALDO }, fake.user('gina'));
    const ack = await callbackOf(fake, i, 5000, 'the deferral');
    expect(ack.ms).toBeLessThan(3000);
  });
});

describe('with ASK_CHANNEL_IDS: ask channels, forum posts and thread follow-ups', { timeout: 30_000 }, () => {
  let fake: FakeDiscord;
  let bot: BotProcess;
  let askChannel = '';
  let forum = '';
  beforeAll(async () => {
    fake = await FakeDiscord.start({ token: TOKEN });
    askChannel = fake.addChannel('text', 'ask-archivist');
    forum = fake.addChannel('forum', 'questions');
    bot = await start(fake, { ASK_CHANNEL_IDS: `${askChannel}, ${forum}`, RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_SECONDS: '600' });
  }, 120_000);
  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await fake?.close();
  });

  it('requests the Message Content intent and says at startup that it must be enabled', () => {
    expect(fake.identifyIntents).toBe(INTENTS.guilds | INTENTS.guildMessages | INTENTS.messageContent);
    const line = bot.logs.find((l) => REQUESTED.test(l.msg ?? ''));
    expect(line?.msg).toMatch(/Developer Portal.*Message Content Intent.*4014/);
  });

  it('answers a question-like message in a new thread named from it, and ignores chat', async () => {
    const chat = fake.post(askChannel, fake.user('hana'), 'Thanks everyone, see you tomorrow.');
    const question = fake.post(askChannel, fake.user('hana'), SALDO);
    const created = await fake.waitForRequest(threadCreated(askChannel, question.id), 15_000, 'a thread on the question');
    expect((created.body as { name: string }).name).toBe(SALDO);
    const answer = await fake.waitForBotMessage(question.id);
    expect(answer.content).toContain(`**Question:** ${SALDO}`);
    expect(topTitle(answer)).toBe(SEED_TITLE);
    expect(answer.allowed_mentions).toEqual({ parse: [] });
    expect(fake.requests.some(threadCreated(askChannel, chat.id))).toBe(false);
    // A mention there is answered in a thread too.
    const mentioned = fake.post(askChannel, fake.user('hana'), `<@${fake.applicationId}> ${SALDO}`);
    await fake.waitForRequest(threadCreated(askChannel, mentioned.id), 15_000, 'a thread on the mention');
    expect(topTitle(await fake.waitForBotMessage(mentioned.id))).toBe(SEED_TITLE);
  });

  it('stays quiet on a question-like message it has no strong match for; a mention of it gets the visible refusal', async () => {
    const offTopic = 'Any tips for cooking a dinner party for Kherson friends tonight?';
    const quiet = fake.post(askChannel, fake.user('ola'), offTopic);
    await bot.waitForLog((l) => l.msg === 'no strong match: stayed quiet', 15_000, 'the quiet decision');
    // A strong match asked after it is answered, so the bot had its turn at the off-topic one.
    const after = fake.post(askChannel, fake.user('ola'), SALDO);
    expect(topTitle(await fake.waitForBotMessage(after.id))).toBe(SEED_TITLE);
    expect(fake.requests.some(threadCreated(askChannel, quiet.id))).toBe(false);
    const replied = (m: FakeMessage): boolean => (m.message_reference as { message_id?: string } | undefined)?.message_id === quiet.id;
    expect(fake.messagesIn(askChannel).some(replied)).toBe(false);
    // Asked by name, the same question gets the refusal, with the closest passages a click away.
    const mentioned = fake.post(askChannel, fake.user('ola'), `<@${fake.applicationId}> ${offTopic}`);
    const refusal = await fake.waitForBotMessage(mentioned.id);
    expect(refusal.content).toContain(`**Question:** ${offTopic}`);
    expect(labels(refusal)).toContain('Show closest passages anyway');
  });

  it('stays quiet on a one-word remark that names a word of the corpus ("Kherson?"), and on two everyday words ("rest and study?")', async () => {
    const quiet = (l: { msg?: string }): boolean => l.msg === 'no strong match: stayed quiet';
    for (const remark of ['Kherson?', 'rest and study?']) {
      const before = bot.logs.filter(quiet).length;
      const message = fake.post(askChannel, fake.user('ola'), remark);
      await bot.waitForLog((l) => quiet(l) && bot.logs.filter(quiet).length > before, 15_000, `the quiet decision on "${remark}"`);
      expect(fake.requests.some(threadCreated(askChannel, message.id))).toBe(false);
    }
  });

  it('in its thread, a question without a mention is a follow-up; a new topic drops the context', async () => {
    const question = fake.post(askChannel, fake.user('ivan'), FOLLOW_UP.first);
    const answer = await fake.waitForBotMessage(question.id);
    expect(topTitle(answer)).toBe(FOLLOW_UP.titles.dniprovka);
    const thread = question.id;

    const followed = await replyTo(fake, fake.post(thread, fake.user('ivan'), FOLLOW_UP.followUp));
    expect(followed.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
    expect(topTitle(followed)).toBe(FOLLOW_UP.titles.mykolaivEvacuation);

    const other = await replyTo(fake, fake.post(thread, fake.user('ivan'), FOLLOW_UP.otherTopic));
    expect(other.content).not.toContain('Following up on');
    expect(topTitle(other)).toBe(FOLLOW_UP.titles.wheat);
    // Chat in the thread is left alone.
    const chat = fake.post(thread, fake.user('ivan'), 'great, thanks');
    await replyTo(fake, fake.post(thread, fake.user('ivan'), SALDO));
    expect(fake.messagesIn(thread).some((m) => (m.message_reference as { message_id?: string } | undefined)?.message_id === chat.id)).toBe(false);
  });

  it('without permission to start threads, answers in the ask channel instead', async () => {
    fake.refuseThreads = 1;
    const question = fake.post(askChannel, fake.user('kim'), SALDO);
    const reply = await replyTo(fake, question);
    expect(topTitle(reply)).toBe(SEED_TITLE);
    // Logs are written asynchronously: the line may reach us a moment after the reply does.
    const warned = await bot.waitForLog((l) => l.msg === 'could not start a thread in an ask channel; replying in the channel', 5000, 'the warning about thread permissions');
    expect(warned.level).toBe(40);
  });

  it('the per-user rate limit applies to questions in messages too: unasked, the bot stays quiet; asked by name, it says so', async () => {
    const lee = fake.user('lee');
    // Distinct messages with the same words (an extra word would weaken the match, and a weak one gets no reply here).
    for (let n = 0; n < 5; n++) await fake.waitForBotMessage(fake.post(askChannel, lee, `${SALDO}${'?'.repeat(n)}`).id, () => true, 15_000);
    const sixth = fake.post(askChannel, lee, SALDO);
    await bot.waitForLog((l) => l.msg === 'rate limited' && l.user === lee.id, 15_000, 'the rate-limit decision');
    const mentioned = fake.post(askChannel, lee, `<@${fake.applicationId}> ${SALDO}`);
    const reply = await replyTo(fake, mentioned);
    expect(reply.content).toMatch(/faster than the limit of 5 per 600 s\. Try again in \d+ s\./);
    const replied = (m: FakeMessage): boolean => (m.message_reference as { message_id?: string } | undefined)?.message_id === sixth.id;
    expect(fake.messagesIn(askChannel).some(replied)).toBe(false);
    for (const m of [sixth, mentioned]) expect(fake.requests.some(threadCreated(askChannel, m.id))).toBe(false);
  });

  it('answers every new forum post in its thread', async () => {
    const post = fake.forumPost(forum, fake.user('jun'), 'Kherson evacuation', 'What did Saldo urge the residents to do?');
    const reply = await replyTo(fake, post);
    expect(reply.channel_id).toBe(post.channel_id);
    expect(reply.content).toContain('**Question:** Kherson evacuation: What did Saldo urge the residents to do?');
    expect(reply.content).not.toContain('Following up on');
    expect(topTitle(reply)).toBe(SEED_TITLE);
  });
});

describe('Message Content intent not enabled in the Developer Portal', { timeout: 60_000 }, () => {
  it('stops with one line naming the fix (Discord closes the gateway with 4014)', async () => {
    const fake = await FakeDiscord.start({ token: TOKEN, messageContentAllowed: false });
    const bot = new BotProcess('src/bot/main.ts', env(fake, { ASK_CHANNEL_IDS: fake.channelId }), tmp);
    try {
      const code = await Promise.race([bot.wait(), new Promise((r) => setTimeout(() => r('timeout'), 45_000))]);
      expect(code).toBe(1);
      const fatal = bot.logs.find((l) => l.level === 60);
      expect(fatal?.msg).toMatch(/Message Content intent \(close code 4014\).*Developer Portal.*Message Content Intent.*ASK_CHANNEL_IDS/);
    } finally {
      await bot.stop('SIGKILL');
      await fake.close();
    }
  });
  it('with ask channels set only by a server (/settings), goes on without the intent instead of stopping', async () => {
    const fake = await FakeDiscord.start({ token: TOKEN, messageContentAllowed: false });
    const dataDir = path.join(tmp, 'data-4014');
    const state = BotState.open(dataDir, { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
    state.addAskChannel(fake.guildId, fake.channelId);
    state.close();
    const bot = new BotProcess('src/bot/main.ts', env(fake, { DATA_DIR: dataDir, ALLOW_ASK_CHANNELS: fake.guildId }), tmp);
    try {
      await bot.waitForLog((l) => l.msg === 'ready', 45_000, 'the bot to be ready without the intent');
      const refused = bot.logs.find((l) => l.level === 50 && /close code 4014/.test(l.msg ?? ''));
      expect(refused?.msg).toMatch(/Continuing without it.*Developer Portal.*Message Content Intent/);
      expect(fake.identifyIntents).toBe(INTENTS.guilds | INTENTS.guildMessages);
      const i = fake.slash('ask', { question: SALDO }, fake.user('nora'));
      const body = await editOf<{ embeds?: Embed[] }>(fake, i, 20_000);
      expect(body.embeds?.[0]?.title).toBe(SEED_TITLE);
      expect(bot.exitCode).toBeUndefined();
    } finally {
      await bot.stop('SIGKILL');
      await fake.close();
    }
  });
});
