/**
 * A hostile second server, end to end: the real bot process against the local Discord stand-in with
 * servers A (the main one) and B. B's admin runs every setting, B's members press the buttons of A's
 * answers and use the commands; nothing of that changes what A sees or reveals anything of A (its
 * settings, questions, votes, ask channels). guild.test.ts and sources-chat.test.ts cover the rest
 * (settings per server, the shared index refused to B's admins, reports per server).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotState } from '../../src/bot/state/store.js';
import { botEnv, callbackOf, editOf, messageCorpus, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, snowflake, type FakeMessage, type FakeUser, type SentInteraction } from '../support/fake-discord.js';
import { DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.second-server-token-never-logged_000';
const EPHEMERAL = 64;
const SALDO = 'What did Saldo urge Kherson residents to do?';
const UNANSWERED = 'best recipe for banana bread with walnuts';
const EXPIRED = 'This answer has expired (buttons work for an hour, and not across bot restarts). Run the command again.';
const GUILD_B = snowflake();

interface Body {
  content?: string;
  embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
  components?: { components: { custom_id: string; label: string }[] }[];
  flags?: number;
}
interface Callback {
  type: number;
  data?: Body;
}

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
/** Server A's ask channel (its own /settings). */
let askA = '';
/** A channel of server B, which B's admin makes an ask channel. */
let askB = '';

const adminA = (): FakeUser => fake.user('admin-a');
const adminB = (): FakeUser => fake.user('admin-b');
const admin = { admin: true };
const callback = async (i: SentInteraction): Promise<Callback> => (await callbackOf<Callback>(fake, i, 10_000)).body;
/** A private reply's text, direct or edited into a deferral. */
async function privateText(i: SentInteraction): Promise<string> {
  const cb = await callback(i);
  expect((cb.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
  return cb.type === 4 ? (cb.data?.content ?? '') : ((await editOf<Body>(fake, i, 20_000)).content ?? '');
}
const button = (body: Body, label: string): string => {
  const found = (body.components ?? []).flatMap((r) => r.components).find((c) => c.label.includes(label));
  if (!found) throw new Error(`no "${label}" button`);
  return found.custom_id;
};
const messageOf = (i: SentInteraction): FakeMessage => fake.original(i.token)!;
async function report(guildId: string): Promise<string> {
  const i = fake.subcommand('feedback', ['report'], {}, guildId === GUILD_B ? adminB() : adminA(), admin, guildId);
  return (await editOf<Body>(fake, i, 20_000)).embeds![0]!.description ?? '';
}
const settingsOf = (guildId: string): Promise<string> => privateText(fake.subcommand('settings', ['show'], {}, guildId === GUILD_B ? adminB() : adminA(), admin, guildId));

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-second-server-'));
  const corpus = await messageCorpus(tmp);
  fake = await FakeDiscord.start({ token: TOKEN, otherGuildIds: [GUILD_B] });
  askA = fake.addChannel('text', 'ask-a');
  askB = fake.addChannel('text', 'ask-b', GUILD_B);
  // Server A set its ask channel before this start (so the bot reads message content).
  const state = BotState.open(path.join(tmp, 'data'), { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
  state.addAskChannel(fake.guildId, askA);
  state.close();
  bot = await startBot(
    botEnv(fake, TOKEN, tmp, {
      ...ROOMY_LIMITS,
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: corpus,
      INDEX_DIR: path.join(tmp, 'embeddings'),
      EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
      ALLOW_ASK_CHANNELS: 'all',
      SOURCES_GUILD_IDS: fake.guildId,
      RATE_LIMIT_MAX: '50',
      RATE_LIMIT_WINDOW_SECONDS: '600',
    }),
    tmp,
    { readyMs: 60_000, modelMs: 20_000 },
  );
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe("server B's admin", { timeout: 60_000 }, () => {
  it("runs every setting, even naming A's channels and roles: A's settings and ask channels stay as they were", async () => {
    expect(await privateText(fake.subcommand('settings', ['visibility'], { default: 'private' }, adminA(), admin))).toMatch(/private by default here/);
    expect(await privateText(fake.subcommand('settings', ['rate-limit'], { max: 7, 'window-seconds': 600 }, adminA(), admin))).toMatch(/7 searches per 600 s/);
    expect(await privateText(fake.subcommand('settings', ['admin-roles', 'add'], { role: { role: fake.adminRoleId } }, adminA(), admin))).toMatch(/can now run/);
    const before = await settingsOf(fake.guildId);
    expect(before).toContain(`Ask channels: <#${askA}>`);

    const b = (sub: string | [string, string], options: Parameters<FakeDiscord['subcommand']>[2] = {}) =>
      privateText(fake.subcommand('settings', sub, options, adminB(), admin, GUILD_B));
    await b(['ask-channels', 'remove'], { channel: { channel: askA } });
    await b(['ask-channels', 'add'], { channel: { channel: fake.channelId } });
    await b(['admin-roles', 'remove'], { role: { role: fake.adminRoleId } });
    await b('visibility', { default: 'public' });
    await b('rate-limit', { max: 1, 'window-seconds': 600 });
    await b('reset');
    await b(['ask-channels', 'add'], { channel: { channel: fake.channelId } });

    expect(await settingsOf(fake.guildId)).toBe(before);
    // B's list of ask channels names A's channel, but only B's messages are read against it.
    expect(await settingsOf(GUILD_B)).toContain(`Ask channels: <#${fake.channelId}>`);
    const asker = fake.user('member-a');
    const inAsk = fake.post(askA, asker, SALDO);
    await fake.waitForBotMessage(inAsk.id, () => true, 15_000);
    const elsewhere = fake.post(fake.channelId, asker, SALDO);
    // The ask channel's answer after it came, so this one had its turn: nothing, no thread.
    const later = fake.post(askA, asker, 'What did the governor urge Dniprovka residents to do?');
    await fake.waitForBotMessage(later.id, () => true, 15_000);
    expect(fake.messagesIn(elsewhere.id)).toEqual([]);
    expect(fake.messagesIn(fake.channelId).filter((m) => (m.message_reference as { message_id?: string } | undefined)?.message_id === elsewhere.id)).toEqual([]);
    // A's member with A's admin role is still A's admin.
    expect(await privateText(fake.subcommand('settings', ['show'], {}, fake.user('moderator-a'), { roles: [fake.adminRoleId] }))).toBe(before);
    // Back to public for the tests below.
    await privateText(fake.subcommand('settings', ['reset'], {}, adminA(), admin));
    const state = BotState.open(path.join(tmp, 'data'), { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
    state.addAskChannel(fake.guildId, askA);
    state.close();
  });

  it("sees nothing of A: B's report counts none of A's questions or votes, B's settings none of A's", async () => {
    const asker = fake.user('asker-a');
    const i = fake.slash('ask', { question: SALDO }, asker);
    const body = await editOf<Body>(fake, i, 20_000);
    expect((await callback(fake.click(messageOf(i), button(body, '👎'), asker))).data?.content).toContain('👎 was recorded');

    const inB = await report(GUILD_B);
    expect(inB).toContain('**0** questions asked');
    expect(inB).toContain('Votes: **0** 👍 · **0** 👎.');
    expect(await report(fake.guildId)).not.toContain('**0** questions asked');
    const shownB = await settingsOf(GUILD_B);
    expect(shownB).not.toContain(askA);
    expect(shownB).not.toContain(fake.adminRoleId);
    // B's members who are not admins get no list of the index, by command or by its paging button.
    const lister = fake.user('member-b-lister');
    expect(await privateText(fake.subcommand('sources', 'list', {}, lister, {}, GUILD_B))).toMatch(/^Only server administrators .* can list the indexed articles\.$/);
    expect(await privateText(fake.clickIn(GUILD_B, messageOf(i), 'sources:10:', lister))).toMatch(/^Only server administrators .* can list the indexed articles\.$/);
    // Suggestions to remove articles from the shared index: none for B's admins.
    expect((await fake.choices(fake.autocomplete('sources', 'remove', { article: 'kherson' }, 'article', adminB(), admin, GUILD_B))).choices).toEqual([]);
  });
});

describe("server B's members and the buttons of A's answers", { timeout: 60_000 }, () => {
  it("cannot vote on, share, page or reveal A's answers from B: refused as unknown, A's report unchanged, nothing posted in B", async () => {
    const owner = fake.user('owner-a');
    const publicAsk = fake.slash('ask', { question: SALDO }, owner);
    const publicBody = await editOf<Body>(fake, publicAsk, 20_000);
    const privateAsk = fake.slash('ask', { question: SALDO, private: true }, owner);
    const privateBody = await editOf<Body>(fake, privateAsk, 20_000);
    const refusedAsk = fake.slash('ask', { question: UNANSWERED }, owner);
    const refusedBody = await editOf<Body>(fake, refusedAsk, 20_000);
    const reportBefore = await report(fake.guildId);

    // The same person is a member of both servers: ids copied from A, pressed in B.
    const presses = [
      fake.clickIn(GUILD_B, messageOf(publicAsk), button(publicBody, '👎'), owner),
      fake.clickIn(GUILD_B, messageOf(publicAsk), button(publicBody, '👍'), fake.user('stranger-b')),
      fake.clickIn(GUILD_B, messageOf(privateAsk), button(privateBody, 'Share to channel'), owner),
      fake.clickIn(GUILD_B, messageOf(publicAsk), button(publicBody, 'More results'), owner),
      fake.clickIn(GUILD_B, messageOf(refusedAsk), button(refusedBody, 'Show closest passages anyway'), owner),
    ];
    for (const press of presses) {
      const cb = await callback(press);
      expect(cb.type).toBe(4);
      expect((cb.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
      expect(cb.data?.content).toBe(EXPIRED);
    }
    // Nothing deferred publicly (no shared answer) and nothing edited by those presses.
    for (const press of presses) expect(fake.requests.filter((r) => r.path.includes(press.token) && r.method !== 'POST')).toEqual([]);
    expect(await report(fake.guildId)).toBe(reportBefore);

    // In A the same buttons still work for the same person.
    expect((await callback(fake.click(messageOf(publicAsk), button(publicBody, '👎'), owner))).data?.content).toContain('👎 was recorded');
  });
});

describe("server B's ask channel", { timeout: 60_000 }, () => {
  it("is B's alone: its questions are answered and logged in B, and deleting one there touches nothing of A", async () => {
    expect(await privateText(fake.subcommand('settings', ['ask-channels', 'add'], { channel: { channel: askB } }, adminB(), admin, GUILD_B))).toBe(
      `Every question asked in <#${askB}> will be answered (in a thread).`,
    );
    const memberA = fake.user('member-a2');
    const questionA = fake.post(askA, memberA, SALDO);
    const answerA = await fake.waitForBotMessage(questionA.id, () => true, 15_000);
    const reportA = await report(fake.guildId);
    const reportB = await report(GUILD_B);

    const memberB = fake.user('member-b');
    const questionB = fake.post(askB, memberB, SALDO);
    const answerB = await fake.waitForBotMessage(questionB.id, () => true, 15_000);
    expect(fake.channelById(questionB.id)?.guild_id).toBe(GUILD_B);
    expect(await report(fake.guildId)).toBe(reportA);
    expect(await report(GUILD_B)).not.toBe(reportB);

    fake.deleteMessage(questionB);
    await fake.waitForRequest((r) => r.method === 'DELETE' && r.path === `/channels/${questionB.id}/messages/${answerB.id}`, 10_000, "B's answer removed");
    await fake.waitForRequest((r) => r.method === 'PATCH' && r.path === `/channels/${questionB.id}` && (r.body as { archived?: boolean }).archived === true, 10_000, "B's thread archived");
    expect(fake.message(answerA.id)).toBeDefined();
    expect(fake.requests.some((r) => r.path === `/channels/${questionA.id}` && r.method !== 'GET')).toBe(false);
  });
});
