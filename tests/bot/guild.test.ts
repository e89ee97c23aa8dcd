/**
 * Per-server settings and feedback, end to end: the real bot process against the local Discord
 * stand-in with three servers. Settings made in one server (admin roles, rate limit, answer
 * visibility, ask channels) change nothing in the others; /feedback report counts exactly what the
 * test asked and voted in its server; non-admins are refused; FEEDBACK=off stores no question and
 * no vote. Every interaction is acknowledged within Discord's 3 s.
 */
import { cp, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/indexer/build.js';
import { BotState } from '../../src/bot/state/store.js';
import { botEnv, callbackOf, editOf, startBot } from '../support/bot-harness.js';
import { BotProcess } from '../support/bot-process.js';
import { gone } from '../support/processes.js';
import { SEED_CORPUS, testSettings } from '../support/corpus.js';
import { FakeDiscord, INTENTS, snowflake, type FakeMessage, type FakeUser, type SentInteraction } from '../support/fake-discord.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GgUiLd.guild-test-token-never-logged_0123456789';
const EPHEMERAL = 64;
const SALDO = 'What did Saldo urge Kherson residents to do?';
const DAM = 'What happened to the Nova Kakhovka dam?';
const DAM_TITLE = 'Nova Kakhovka dam destroyed, flooding Kherson region';
const DAM_URL = 'https://example.org/nova-kakhovka-dam';
const REFUSED = 'best recipe for banana bread with walnuts';

interface MessageBody {
  content?: string;
  embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
  components?: { components: { custom_id: string; label: string }[] }[];
  flags?: number;
}
interface Callback {
  type: number;
  data?: MessageBody;
}

let tmp = '';
let fake: FakeDiscord;
let bot: BotProcess;
const GUILD_B = snowflake();
const GUILD_C = snowflake();
/** How long each interaction took to be acknowledged (its first callback). */
const acks: number[] = [];

function env(on: FakeDiscord, dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return botEnv(on, TOKEN, tmp, {
    CORPUS_PATHS: path.join(tmp, 'corpus'),
    INDEX_DIR: path.join(tmp, 'index'),
    DATA_DIR: dataDir,
    SEARCH_WORKERS: '1',
    RATE_LIMIT_MAX: '50',
    RATE_LIMIT_WINDOW_SECONDS: '600',
    // The operator's ceiling on what a server may allow each member, and one person's allowance across servers.
    RATE_LIMIT_CEILING_MAX: '60',
    RATE_LIMIT_CEILING_WINDOW_SECONDS: '600',
    USER_RATE_LIMIT_MAX: '8',
    USER_RATE_LIMIT_WINDOW_SECONDS: '600',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

async function callback(i: SentInteraction): Promise<Callback> {
  const cb = await callbackOf<Callback>(fake, i, 10_000);
  acks.push(cb.ms);
  return cb.body;
}
const edit = (i: SentInteraction, on = fake): Promise<MessageBody> => editOf(on, i, 20_000);
/** A private (ephemeral) reply's text, direct or edited into a deferral. */
async function privateText(i: SentInteraction): Promise<string> {
  const cb = await callback(i);
  expect((cb.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
  return cb.type === 4 ? (cb.data?.content ?? '') : ((await edit(i)).content ?? '');
}
const button = (body: MessageBody, label: string): string => {
  const found = (body.components ?? []).flatMap((r) => r.components).find((c) => c.label.includes(label));
  if (!found) throw new Error(`no "${label}" button`);
  return found.custom_id;
};
const messageOf = (i: SentInteraction, on = fake): FakeMessage => {
  const m = on.original(i.token);
  if (!m) throw new Error(`no reply message for ${i.id}`);
  return m;
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-guild-'));
  const corpus = path.join(tmp, 'corpus');
  await cp(SEED_CORPUS, corpus, { recursive: true });
  await writeFile(
    path.join(corpus, 'dam.md'),
    [
      '---',
      `title: "${DAM_TITLE}"`,
      'outlet: Test Wire',
      'date: 2023-06-06',
      `url: ${DAM_URL}`,
      '---',
      'The Nova Kakhovka dam on the Dnipro river was destroyed early on Tuesday, releasing a flood downstream.',
      'Officials evacuated villages in the Kherson region as the water rose through the day.',
      '',
    ].join('\n'),
  );
  // Keyword-only (no model): the settings and feedback paths do not depend on the search mode.
  await buildIndex({ corpus: [corpus], out: path.join(tmp, 'index'), settings: testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' }) });
  fake = await FakeDiscord.start({ token: TOKEN, otherGuildIds: [GUILD_B, GUILD_C] });
  // Only server A's admins may change the shared index from chat.
  // Only server A's admins may change the shared index from chat, and only A may have ask channels.
  bot = await startBot(env(fake, path.join(tmp, 'data'), { SOURCES_GUILD_IDS: fake.guildId, ALLOW_ASK_CHANNELS: fake.guildId }), tmp, { readyMs: 60_000 });
}, 120_000);

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('per-server settings and feedback', { timeout: 40_000 }, () => {
  it('refuses /settings and /feedback report to members who are not admins, in every server', async () => {
    const nobody = fake.user('nobody');
    expect(await privateText(fake.subcommand('settings', ['show'], {}, nobody))).toMatch(/^Only server administrators/);
    expect(await privateText(fake.subcommand('settings', ['visibility'], { default: 'private' }, nobody, {}, GUILD_B))).toMatch(/^Only server administrators/);
    expect(await privateText(fake.subcommand('feedback', ['report'], {}, nobody))).toMatch(/^Only server administrators/);
    const owner = fake.user('owner');
    const shown = await privateText(fake.subcommand('settings', ['show'], {}, owner, { admin: true }));
    expect(shown).toContain('Rate limit: 50 searches per 600 s per member — default, from RATE_LIMIT_MAX');
    expect(shown).toContain('Answers: public unless /ask says otherwise — default');
    expect(shown).toContain('Admin roles: none (only members with Administrator)');
  });

  it('with SOURCES_GUILD_IDS, only the named servers\' admins may add or remove sources (the index is shared)', async () => {
    const owner = fake.user('owner');
    const file = fake.attachment('notes.txt', 'Title: Harbour notes\n\nThe harbour reopened on Monday after repairs.');
    const added = await privateText(fake.subcommand('sources', 'add', { file1: file }, owner, { admin: true }, GUILD_B));
    expect(added).toMatch(/^Sources can be added only from the servers the bot's operator named \(SOURCES_GUILD_IDS\).*Nothing was changed\.$/);
    expect(await privateText(fake.subcommand('sources', 'remove', { article: 'x' }, owner, { admin: true }, GUILD_B))).toMatch(/^Sources can be removed only from the servers/);
    expect(await privateText(fake.slash('reindex', {}, owner, { admin: true }, GUILD_B))).toMatch(/^\/reindex can be run only from the servers the bot's operator named \(SOURCES_GUILD_IDS\)/);
    expect(fake.attachmentDownloads).toEqual([]);
    // In server A the same admin gets past that check (here: to "no such article").
    expect(await privateText(fake.subcommand('sources', 'remove', { article: 'no such article at all' }, owner, { admin: true }))).not.toMatch(/SOURCES_GUILD_IDS|Only server administrators/);
  });

  it('an admin role added in one server grants /settings and /feedback there, and not in another', async () => {
    const role = snowflake();
    const owner = fake.user('owner');
    const moderator = fake.user('moderator');
    const added = await privateText(fake.subcommand('settings', ['admin-roles', 'add'], { role: { role } }, owner, { admin: true }));
    expect(added).toMatch(new RegExp(`^<@&${role}> can now run /settings and /feedback here\\.\\n-# Changing the shared index .* SOURCES_GUILD_IDS\\.$`));
    expect(await privateText(fake.subcommand('settings', ['show'], {}, moderator, { roles: [role] }))).toContain(`Admin roles: <@&${role}> — set here`);
    expect(await privateText(fake.subcommand('feedback', ['report'], {}, moderator, { roles: [role] }))).not.toMatch(/^Only/);
    // The same role id in server B (where it was never added) grants nothing.
    expect(await privateText(fake.subcommand('settings', ['show'], {}, moderator, { roles: [role] }, GUILD_B))).toMatch(/^Only server administrators/);
    expect(await privateText(fake.slash('reindex', {}, moderator, { roles: [role] }, GUILD_B))).toMatch(/^\/reindex can be run only from the servers the bot's operator named/);
    expect(bot.logs.some((l) => l.msg === 'reindex started')).toBe(false);

    const removed = await privateText(fake.subcommand('settings', ['admin-roles', 'remove'], { role: { role } }, moderator, { roles: [role] }));
    expect(removed).toMatch(/is no longer an admin role here/);
    expect(await privateText(fake.subcommand('settings', ['show'], {}, moderator, { roles: [role] }))).toMatch(/^Only server administrators/);
  });

  it('a private default in one server makes answers there ephemeral, and leaves another server public', async () => {
    const owner = fake.user('owner');
    expect(await privateText(fake.subcommand('settings', ['visibility'], { default: 'private' }, owner, { admin: true }))).toMatch(/private by default here/);
    const asker = fake.user('asker');
    const inA = fake.slash('ask', { question: SALDO }, asker);
    const cbA = await callback(inA);
    expect(cbA.type).toBe(5);
    expect((cbA.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
    expect((await edit(inA)).embeds![0]!.title).toMatch(/Kherson/);

    const inB = fake.slash('ask', { question: SALDO }, asker, {}, GUILD_B);
    const cbB = await callback(inB);
    expect(cbB.type).toBe(5);
    expect((cbB.data?.flags ?? 0) & EPHEMERAL).toBe(0);
    // Asking explicitly still wins over the server's default.
    const publicInA = await callback(fake.slash('ask', { question: SALDO, private: false }, asker));
    expect((publicInA.data?.flags ?? 0) & EPHEMERAL).toBe(0);
  });

  it("a rate limit set in one server limits its members there only, with that server's numbers", async () => {
    const owner = fake.user('owner');
    expect(await privateText(fake.subcommand('settings', ['rate-limit'], { max: 2, 'window-seconds': 900 }, owner, { admin: true }))).toBe('Each member may now run 2 searches per 900 s here.');
    const busy = fake.user('busy');
    // Searches in server B do not use up the allowance in A (nor the other way round).
    for (let n = 0; n < 2; n++) expect((await callback(fake.slash('ask', { question: SALDO }, busy, {}, GUILD_B))).type).toBe(5);
    for (let n = 0; n < 2; n++) expect((await callback(fake.slash('ask', { question: SALDO }, busy))).type).toBe(5);
    const limited = await callback(fake.slash('ask', { question: SALDO }, busy));
    expect(limited.type).toBe(4);
    expect(limited.data!.content).toMatch(/limit of 2 per 900 s\. Try again in \d+ s/);
    // The same member in server B: B's default (50 per 600 s) applies, untouched by A's searches.
    for (let n = 0; n < 3; n++) expect((await callback(fake.slash('ask', { question: SALDO }, busy, {}, GUILD_B))).type).toBe(5);
    // …but one person's searches in every server together stay under USER_RATE_LIMIT_* (8 per 600 s):
    // 7 so far (the refused one took nothing), so one more, and then none, although B's own allows 50.
    expect((await callback(fake.slash('ask', { question: SALDO }, busy, {}, GUILD_B))).type).toBe(5);
    const overall = await callback(fake.slash('ask', { question: SALDO }, busy, {}, GUILD_B));
    expect(overall.type).toBe(4);
    expect(overall.data!.content).toMatch(/^You're searching faster than the limit of 8 per 600 s \(across every server this bot is in\)\. Try again in \d+ s\.$/);
  });

  it("a server's /settings cannot raise the rate limit above the operator's ceiling, in any server", async () => {
    const owner = fake.user('owner');
    const tooMany = await privateText(fake.subcommand('settings', ['rate-limit'], { max: 1000, 'window-seconds': 60 }, owner, { admin: true }, GUILD_B));
    expect(tooMany).toBe(
      "1000 searches per 60 s is above what this bot's operator allows each member: at most 60 per 600 s (no more at once, and no faster). The search pool is shared by every server the bot is in. Nothing was changed.",
    );
    // Fewer searches but in a shorter window is faster than the ceiling too.
    expect(await privateText(fake.subcommand('settings', ['rate-limit'], { max: 30, 'window-seconds': 60 }, owner, { admin: true }, GUILD_C))).toMatch(/above what this bot's operator allows/);
    expect(await privateText(fake.subcommand('settings', ['show'], {}, owner, { admin: true }, GUILD_B))).toContain('Rate limit: 50 searches per 600 s per member — default');
    expect(await privateText(fake.subcommand('settings', ['rate-limit'], { max: 60, 'window-seconds': 600 }, owner, { admin: true }, GUILD_B))).toBe('Each member may now run 60 searches per 600 s here.');
  });

  it('ask channels are stored per server, and adding one says the Message Content intent it needs', async () => {
    const owner = fake.user('owner');
    const channel = snowflake();
    // Server B is not in ALLOW_ASK_CHANNELS: its admins cannot turn on Message Content for every server.
    const refused = await privateText(fake.subcommand('settings', ['ask-channels', 'add'], { channel: { channel } }, owner, { admin: true }, GUILD_B));
    expect(refused).toMatch(/^Ask channels are off for this server: .*Message Content intent, which applies to every server .*\(ALLOW_ASK_CHANNELS\)\. Nothing was changed/);
    const added = await privateText(fake.subcommand('settings', ['ask-channels', 'add'], { channel: { channel } }, owner, { admin: true }));
    expect(added).toContain(`Every question asked in <#${channel}> will be answered`);
    expect(added).toContain('takes effect after a restart; enable Message Content in the Developer Portal');
    const shown = await privateText(fake.subcommand('settings', ['show'], {}, owner, { admin: true }));
    expect(shown).toContain(`Ask channels: <#${channel}>`);
    expect(await privateText(fake.subcommand('settings', ['show'], {}, owner, { admin: true }, GUILD_B))).toContain('Ask channels: none');
    const state = BotState.open(path.join(tmp, 'data'), { adminRoleIds: [], rateLimitMax: 1, rateLimitWindowSeconds: 1, visibility: 'public' });
    expect([...state.settings(fake.guildId).askChannelIds]).toEqual([channel]);
    expect(state.settings(GUILD_B).askChannelIds.size).toBe(0);
    expect(state.anyAskChannels()).toBe(true);
    state.close();
  });

  it('/feedback report counts what was asked and voted in its server only', async () => {
    const [ann, ben, cat] = [fake.user('ann'), fake.user('ben'), fake.user('cat')];
    const ask = async (question: string, user: FakeUser): Promise<{ i: SentInteraction; body: MessageBody }> => {
      const i = fake.slash('ask', { question }, user, {}, GUILD_C);
      expect((await callback(i)).type).toBe(5);
      return { i, body: await edit(i) };
    };
    const vote = async (i: SentInteraction, body: MessageBody, label: '👍' | '👎', user: FakeUser): Promise<string> => {
      const cb = await callback(fake.clickIn(GUILD_C, messageOf(i), button(body, label), user));
      return cb.data?.content ?? '';
    };
    const saldo = await ask(SALDO, ann);
    const dam1 = await ask(DAM, ben);
    const dam2 = await ask(DAM, cat);
    const refused = await ask(REFUSED, cat);
    expect(dam1.body.embeds![0]!.title).toBe(DAM_TITLE);
    expect(refused.body.embeds![0]!.title).toBe('No source in the corpus answers this.');

    expect(await vote(saldo.i, saldo.body, '👍', ann)).toContain('👍 was recorded');
    expect(await vote(dam1.i, dam1.body, '👎', ben)).toContain('👎 was recorded');
    expect(await vote(dam1.i, dam1.body, '👎', ben)).toMatch(/already voted 👎.*counts once/);
    expect(await vote(dam1.i, dam1.body, '👎', ann)).toContain('👎 was recorded'); // another member, same public answer
    expect(await vote(dam2.i, dam2.body, '👍', cat)).toContain('👍 was recorded');
    expect(await vote(dam2.i, dam2.body, '👎', cat)).toContain('vote was changed to 👎');
    expect(await vote(refused.i, refused.body, '👎', cat)).toContain('👎 was recorded');

    const admin = fake.user('admin-c');
    const report = fake.subcommand('feedback', ['report'], {}, admin, { admin: true }, GUILD_C);
    const cb = await callback(report);
    expect(cb.type).toBe(5);
    expect((cb.data?.flags ?? 0) & EPHEMERAL).toBe(EPHEMERAL);
    const embed = (await edit(report)).embeds![0]!;
    expect(embed.description).toContain('**4** questions asked: **3** answered (75%), **1** refused (25%)');
    expect(embed.description).toContain('Votes: **1** 👍 · **4** 👎.');
    const today = new Date().toISOString().slice(0, 10);
    expect(embed.description).toMatch(new RegExp(`${today}\\s+4\\s+3\\s+1\\s+1\\s+4`));
    expect(embed.description!.split('\n').filter((l) => /^\d{4}-\d{2}-\d{2} /.test(l))).toHaveLength(14);
    const worst = embed.fields!.find((f) => f.name === 'Most down-voted questions')!.value;
    expect(worst.split('\n')[0]).toBe(`1. “${DAM}” — 3 👎 / 0 👍`);
    expect(worst.split('\n')[1]).toBe(`   Top source: [${DAM_TITLE}](${DAM_URL})`);
    expect(worst).toContain(`“${REFUSED}” — 1 👎 / 0 👍`);
    expect(worst).not.toContain('Saldo');
  });

  it('acknowledged every interaction within 3 s', () => {
    expect(acks.length).toBeGreaterThan(30);
    expect(Math.max(...acks)).toBeLessThan(3000);
  });
});

describe('FEEDBACK=off', { timeout: 60_000 }, () => {
  it('stores no question and no vote, while settings still work', async () => {
    const quiet = await FakeDiscord.start({ token: TOKEN });
    const dataDir = path.join(tmp, 'data-off');
    let off: BotProcess | undefined;
    try {
      off = await startBot(env(quiet, dataDir, { FEEDBACK: 'off' }), tmp, { readyMs: 60_000 });
      const user = quiet.user('quiet');
      const i = quiet.slash('ask', { question: DAM, private: true }, user);
      const body = await edit(i, quiet);
      expect(body.embeds![0]!.title).toBe(DAM_TITLE);
      const labels = (body.components ?? []).flatMap((r) => r.components.map((c) => c.label));
      expect(labels.some((l) => /Helpful/.test(l))).toBe(false);
      // A vote forged on this answer (the buttons are not even shown) is refused and stores nothing.
      const session = button(body, 'Share to channel').split(':')[2];
      const forged = quiet.click(messageOf(i, quiet), `ans:down:${session}:0`, user);
      const cb = (await callbackOf<Callback>(quiet, forged, 10_000, 'the forged vote reply')).body;
      expect(cb.data!.content).toBe('Feedback is turned off on this bot: nothing was recorded.');
      // Nothing but the connection heartbeat (HEALTH_FILE's default, DATA_DIR/health.json): no state file.
      expect((existsSync(dataDir) ? await readdir(dataDir) : []).filter((f) => f !== 'health.json')).toEqual([]);

      const report = quiet.subcommand('feedback', ['report'], {}, user, { admin: true });
      expect((await callbackOf<Callback>(quiet, report, 10_000, 'the report')).body.data!.content).toMatch(/FEEDBACK=off/);
      // Settings are not feedback: they are stored, and the file holds no question or vote.
      const set = quiet.subcommand('settings', ['visibility'], { default: 'private' }, user, { admin: true });
      await callbackOf(quiet, set, 10_000, 'the settings reply');
      const again = quiet.slash('ask', { question: DAM }, user);
      expect((await callbackOf<Callback>(quiet, again, 10_000, 'the private answer')).body.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
      await editOf(quiet, again, 20_000, undefined, 'the answer');
      expect(await readdir(dataDir)).not.toContain('feedback.jsonl');
      const state = BotState.open(dataDir, { adminRoleIds: [], rateLimitMax: 1, rateLimitWindowSeconds: 1, visibility: 'public' });
      expect(state.counts()).toEqual({ questions: 0, votes: 0 });
      expect(state.settings(quiet.guildId).visibility).toBe('private');
      state.close();
    } finally {
      if (off) expect(await off.stop('SIGTERM')).toBe(0);
      await quiet.close();
    }
  });
});

describe("a server's ask channels and the Message Content intent", { timeout: 60_000 }, () => {
  it('are not answered, and do not turn the intent on for every server, unless ALLOW_ASK_CHANNELS allows them: said at start', async () => {
    const other = await FakeDiscord.start({ token: TOKEN });
    const dataDir = path.join(tmp, 'data-ask');
    const state = BotState.open(dataDir, { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
    state.addAskChannel(other.guildId, other.channelId);
    state.close();
    let started: BotProcess | undefined;
    try {
      started = await startBot(env(other, dataDir), tmp, { readyMs: 60_000 });
      expect(other.identifyIntents! & INTENTS.messageContent).toBe(0);
      const warned = started.logs.find((l) => l.level === 40 && /ALLOW_ASK_CHANNELS does not allow them/.test(l.msg ?? ''));
      expect(warned?.guilds).toEqual([other.guildId]);
    } finally {
      if (started) await started.stop('SIGKILL');
      await other.close();
    }
  });
});

describe('a damaged state file', { timeout: 60_000 }, () => {
  it('stops the bot at startup with one line naming the file and the fix, and its process launcher with it', async () => {
    const dataDir = path.join(tmp, 'data-damaged');
    await mkdir(dataDir);
    const file = path.join(dataDir, 'state.db');
    await writeFile(file, 'not a database, just text long enough to be read as a header\n'.repeat(30));
    const damaged = new BotProcess('src/bot/main.ts', env(fake, dataDir, { LOG_LEVEL: 'debug' }), tmp);
    expect(await damaged.wait()).toBe(1);
    // The launcher forked at start-up may still be loading when the bot gives up: it must not outlive the bot.
    const launcherPid = damaged.logs.find((l) => l.msg === 'process launcher started')?.pid as number;
    expect(launcherPid).toBeGreaterThan(0);
    expect(await gone(launcherPid, 2000)).toBe(true);
    const fatal = damaged.logs.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe(
      `The bot state file ${file} is damaged (file is not a database): move it aside (mv ${file} ${file}.damaged) and start again; the bot then starts with the .env defaults and an empty question log (restore a backup to keep the old settings and votes).`,
    );
    expect(damaged.output).not.toMatch(/^\s+at /m);
  });
});
