/**
 * What members do after asking, end to end (the real bot process against the local Discord stand-in):
 * they fix a question they asked (MESSAGE_UPDATE), press "Share to channel" twice, or mention the bot
 * with chat instead of a question. Corpus: the seed articles plus the made-up follow-up ones.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MENTION_HELP } from '../../src/bot/messages.js';
import { botEnv, callbackOf, editOf, messageCorpus, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess, LogLine } from '../support/bot-process.js';
import { FakeDiscord, type FakeMessage, type FakeUser, type RecordedRequest } from '../support/fake-discord.js';
import { FOLLOW_UP } from '../support/follow-up-corpus.js';
import { DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.second-takes-token-never-logged_0000';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';
const REFUSED = 'No source in the corpus answers this.';
const EPHEMERAL = 1 << 6;

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
let askChannel = '';

type Button = { custom_id: string; label: string };
const refOf = (m: FakeMessage): string | undefined => (m.message_reference as { message_id?: string } | undefined)?.message_id;
const topTitle = (m: FakeMessage): string | undefined => (m.embeds as { title?: string }[])[0]?.title;
const buttons = (m: { components?: unknown }): Button[] => ((m.components ?? []) as { components: Button[] }[]).flatMap((r) => r.components);
const replyTo = (m: FakeMessage, timeoutMs = 15_000): Promise<FakeMessage> => fake.waitForBotMessage(m.channel_id, (x) => refOf(x) === m.id, timeoutMs);
const repliesTo = (m: FakeMessage): FakeMessage[] => fake.messagesIn(m.channel_id).filter((x) => refOf(x) === m.id);
const mention = (text: string): string => `<@${fake.applicationId}> ${text}`;
const edits = (m: FakeMessage) => (r: RecordedRequest) => r.method === 'PATCH' && r.path === `/channels/${m.channel_id}/messages/${m.id}`;
const deletes = (m: FakeMessage) => (r: RecordedRequest) => r.method === 'DELETE' && r.path === `/channels/${m.channel_id}/messages/${m.id}`;
const logged = (user: FakeUser, msg: string) => (l: LogLine) => l.user === user.id && l.msg === msg;
const count = (user: FakeUser, msg: string): number => bot.logs.filter(logged(user, msg)).length;
/** Waits for the `n`th log line `msg` about `user`. */
const nth = (user: FakeUser, msg: string, n: number): Promise<LogLine> => bot.waitForLog((l) => logged(user, msg)(l) && count(user, msg) >= n, 15_000, `log "${msg}" #${n}`);
const WHEAT = FOLLOW_UP.otherTopic;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-second-takes-'));
  const corpus = await messageCorpus(tmp);
  fake = await FakeDiscord.start({ token: TOKEN });
  askChannel = fake.addChannel('text', 'ask-archivist');
  bot = await startBot(
    botEnv(fake, TOKEN, tmp, {
      ...ROOMY_LIMITS,
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: corpus,
      INDEX_DIR: path.join(tmp, 'embeddings'),
      EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
      ASK_CHANNEL_IDS: askChannel,
      // Three searches per member: tests count what an edit (or chat) costs against it.
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_WINDOW_SECONDS: '600',
    }),
    tmp,
    { readyMs: 60_000, modelMs: 20_000 },
  );
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe('an edited question', { timeout: 60_000 }, () => {
  it('a mention fixed by its author: the same answer message is searched again and edited in place; an unfurl changes nothing; edits count as searches', async () => {
    const asker = fake.user('typist');
    const question = fake.post(fake.channelId, asker, mention(WHEAT));
    const answer = await replyTo(question);
    expect(topTitle(answer)).toBe(FOLLOW_UP.titles.wheat);
    const firstSession = buttons(answer).find((b) => b.label === 'More results')?.custom_id;

    fake.editMessage(question, mention(FOLLOW_UP.first));
    await nth(asker, 'question edited: answer updated', 1);
    const edited = fake.message(answer.id)!;
    expect(edited.content).toContain(FOLLOW_UP.first);
    expect(edited.content).not.toContain(WHEAT);
    expect(topTitle(edited)).toBe(FOLLOW_UP.titles.dniprovka);
    // New buttons for the new search (a new session), and still one reply to the question.
    expect(buttons(edited).find((b) => b.label === 'More results')?.custom_id).not.toBe(firstSession);
    expect(repliesTo(question).map((m) => m.id)).toEqual([answer.id]);

    // Discord's own updates (a link's embed unfolding) keep the text: nothing is searched or edited.
    const patches = fake.requests.filter(edits(answer)).length;
    fake.editMessage(question, mention(FOLLOW_UP.first), { unfurl: true });
    // Its third search, asked after: by then the update was handled.
    fake.editMessage(question, mention(SALDO));
    await nth(asker, 'question edited: answer updated', 2);
    expect(topTitle(fake.message(answer.id)!)).toBe(SEED_TITLE);
    expect(fake.requests.filter(edits(answer)).length).toBe(patches + 1);

    // A fourth search is over the member's limit of three: the edit is refused as a new question would be.
    fake.editMessage(question, mention(FOLLOW_UP.followUp));
    const limited = await fake.waitForBotMessage(fake.channelId, (m) => refOf(m) === question.id && m.id !== answer.id);
    expect(limited.content).toMatch(/searching faster than the limit of 3 per 600 s/);
    expect(topTitle(fake.message(answer.id)!)).toBe(SEED_TITLE);
  });

  it('in an ask channel, the answer in the thread the bot made is edited (and the thread renamed); follow-ups there build on the edited question', async () => {
    const asker = fake.user('fixer');
    const question = fake.post(askChannel, asker, WHEAT);
    const answer = await fake.waitForBotMessage(question.id, () => true, 15_000);
    expect(topTitle(answer)).toBe(FOLLOW_UP.titles.wheat);

    fake.editMessage(question, FOLLOW_UP.first);
    await nth(asker, 'question edited: answer updated', 1);
    expect(topTitle(fake.message(answer.id)!)).toBe(FOLLOW_UP.titles.dniprovka);
    expect(fake.messagesIn(question.id).map((m) => m.id)).toEqual([answer.id]);
    await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/channels/${question.id}` && (r.body as { name?: string }).name === FOLLOW_UP.first, 10_000, 'the thread renamed');

    const asked = fake.post(question.id, asker, FOLLOW_UP.followUp);
    const followed = await fake.waitForBotMessage(question.id, (m) => refOf(m) === asked.id, 15_000);
    expect(followed.content).toContain(`Following up on: “${FOLLOW_UP.first}”`);
    expect(topTitle(followed)).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
  });

  it('edited into something the bot would not answer, its answer is removed: chat in an ask channel, a mention taken out', async () => {
    const asker = fake.user('changed-mind');
    const inAsk = fake.post(askChannel, asker, SALDO);
    const threadAnswer = await fake.waitForBotMessage(inAsk.id, () => true, 15_000);
    const byMention = fake.post(fake.channelId, asker, mention(FOLLOW_UP.first));
    const reply = await replyTo(byMention);

    fake.editMessage(inAsk, 'never mind, found it myself');
    fake.editMessage(byMention, FOLLOW_UP.first);
    await fake.waitForRequest(deletes(threadAnswer), 10_000, 'the thread answer removed');
    await fake.waitForRequest(deletes(reply), 10_000, 'the reply removed');
    expect(fake.message(threadAnswer.id)).toBeUndefined();
    expect(fake.message(reply.id)).toBeUndefined();
    // Neither edit was searched: only the two questions were (their log lines may trail Discord's requests).
    await nth(asker, 'message answered', 2);
    expect(count(asker, 'message answered')).toBe(2);
    expect(bot.logs.some((l) => l.user === asker.id && l.edit === true)).toBe(false);
  });
});

describe('sharing a private answer', { timeout: 60_000 }, () => {
  it('a second press of "Share to channel" posts nothing: it says where the answer was shared', async () => {
    const user = fake.user('sharer');
    const i = fake.slash('ask', { question: SALDO, private: true }, user);
    const body = await editOf<{ components?: unknown }>(fake, i, 15_000);
    const share = buttons(body).find((b) => b.label === 'Share to channel')!.custom_id;
    const ephemeral = fake.original(i.token)!;
    const first = fake.click(ephemeral, share, user);
    const shared = await editOf<{ content: string }>(fake, first, 15_000);
    expect(shared.content).toContain(`Shared by <@${user.id}>`);
    const posted = fake.original(first.token)!;

    const second = fake.click(ephemeral, share, user);
    const cb = (await callbackOf<{ type: number; data: { content: string; flags: number } }>(fake, second, 5000)).body;
    expect(cb.type).toBe(4);
    expect(cb.data.flags & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.data.content).toBe(`You already shared this answer to the channel: https://discord.com/channels/${fake.guildId}/${posted.channel_id}/${posted.id}.`);
    // One public answer: the second press neither deferred a public reply nor searched.
    const publicShares = fake.requests.filter((r) => r.method === 'POST' && /\/callback$/.test(r.path) && (r.body as { type: number; data?: { flags?: number } }).type === 5 && ((r.body as { data?: { flags?: number } }).data?.flags ?? 0) === 0);
    expect(publicShares.filter((r) => r.path.includes(second.token))).toEqual([]);
  });
});

describe('a mention that is chat', { timeout: 60_000 }, () => {
  it('gets the short help, not a refusal, and costs no search; chat about a topic the corpus covers keeps its refusal', async () => {
    const user = fake.user('chatter');
    // Chat the search refuses as such (plans for tonight, small talk, talk about the bot) and shorthand it cannot judge.
    for (const text of ['gg', 'anyone up for pizza and a movie tonight?', 'lol nice concert', 'what do you think about the concert?']) {
      const reply = await replyTo(fake.post(fake.channelId, user, mention(text)));
      expect(reply.content).toBe(MENTION_HELP);
      expect(reply.embeds).toEqual([]);
    }
    // Three of those were searched and given back: the member still has their three searches.
    const topical = await replyTo(fake.post(fake.channelId, user, mention('what happens in Mykolaiv tomorrow?')));
    expect(topTitle(topical)).toBe(REFUSED);
    expect(JSON.stringify(topical.embeds)).toMatch(/asks about today, tonight or tomorrow/);
    for (const text of [SALDO, FOLLOW_UP.first]) expect(topTitle(await replyTo(fake.post(fake.channelId, user, mention(text))))).not.toBe(REFUSED);
    expect(count(user, 'chat: gave the help')).toBe(3);
    expect(count(user, 'rate limited')).toBe(0);
  });
});
