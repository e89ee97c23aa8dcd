/**
 * End to end: the real bot process (`src/bot/main.ts`) against a local stand-in for Discord
 * (REST + gateway on 127.0.0.1), with a temp copy of the seed corpus and the tiny test model so the
 * hybrid path runs. Interactions go in over the gateway; assertions are on what the bot sent back.
 */
import { cp, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BotState } from '../../src/bot/state/store.js';
import { botEnv, callbackOf, editOf, isEdit, startBot } from '../support/bot-harness.js';
import { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, type FakeMessage, type SentInteraction } from '../support/fake-discord.js';
import { createTinyModel, DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';
import { NEW_ARTICLE, NEW_ARTICLE_TITLE } from '../support/corpus.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.e2e-test-token-never-logged_0123456789';
const SALDO = 'What did Saldo urge Kherson residents to do?';
const SEED_TITLE = 'Western officials: Ukraine can take back Kherson from Russia in a week';
const EPHEMERAL = 64;
const RATE_LIMIT_MAX = 4;

interface Embed {
  title?: string;
  url?: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
}
interface MessageBody {
  content?: string;
  embeds?: Embed[];
  components?: { components: { custom_id: string; label: string }[] }[];
  allowed_mentions?: { parse: string[] };
  flags?: number;
}
interface Callback {
  type: number;
  data?: MessageBody;
}

let tmp = '';
let corpus = '';
let fake: FakeDiscord;
let bot: BotProcess;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return botEnv(fake, TOKEN, tmp, {
    DISCORD_GUILD_ID: fake.guildId,
    ADMIN_ROLE_IDS: fake.adminRoleId,
    CORPUS_PATHS: corpus,
    INDEX_DIR: path.join(tmp, 'embeddings'),
    EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
    RATE_LIMIT_WINDOW_SECONDS: '600',
    // The index is changed from this server (its admins and admin role): the operator named it.
    SOURCES_GUILD_IDS: fake.guildId,
    LOG_LEVEL: 'trace',
    ...extra,
  });
}

const callback = async (i: SentInteraction): Promise<Callback> => (await callbackOf<Callback>(fake, i, 5000)).body;
const edit = (i: SentInteraction, pred: (b: MessageBody) => boolean = () => true): Promise<MessageBody> => editOf(fake, i, 10_000, pred);
const buttonLabels = (body: MessageBody): string[] => (body.components ?? []).flatMap((row) => row.components.map((c) => c.label));
const button = (body: MessageBody, label: string): string => {
  const row = (body.components ?? []).flatMap((r) => r.components).find((c) => c.label.includes(label));
  if (!row) throw new Error(`no "${label}" button among ${buttonLabels(body).join(', ')}`);
  return row.custom_id;
};
const messageOf = (i: SentInteraction): FakeMessage => {
  const m = fake.original(i.token);
  if (!m) throw new Error(`no reply message for ${i.id}`);
  return m;
};

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-bot-e2e-'));
  corpus = path.join(tmp, 'corpus');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  await createTinyModel(path.join(tmp, 'models'), { words: ['Kherson', 'Saldo', 'Zaporizhzhia'] });
  fake = await FakeDiscord.start({ token: TOKEN });
  // No index yet: like `npm start` on a fresh checkout, the bot builds one first.
  bot = await startBot(env(), tmp, { readyMs: 45_000, modelMs: 20_000 });
}, 90_000);

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// Generous per-test bound: the suite shares the machine with the other test files.
describe('the bot against a local Discord', { timeout: 30_000 }, () => {
  it('builds the missing index, identifies with the token over the gateway, and loads the model', () => {
    expect(bot.logs.some((l) => l.msg === 'built the index (there was none)' && l.articles === 2)).toBe(true);
    const identify = fake.gatewayReceived.find((p) => p.op === 2) as { d: { token: string; intents: number } } | undefined;
    expect(identify?.d.token).toBe(TOKEN);
    expect(identify?.d.intents).toBe(1 | (1 << 9)); // Guilds + GuildMessages (mentions): no privileged intents
    expect(bot.logs.find((l) => l.msg === 'embedding model loaded')?.mode).toBe('hybrid');
  });

  it('/ask defers first and fast, then edits in quoted passages with title, outlet and date', async () => {
    const i = fake.slash('ask', { question: SALDO }, fake.user('alice'));
    const first = await fake.waitForRequest((r) => r.path.includes(i.token), 5000, 'the defer');
    expect(first.path).toBe(`/interactions/${i.id}/${i.token}/callback`);
    expect((first.body as Callback).type).toBe(5); // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
    expect(((first.body as Callback).data?.flags ?? 0) & EPHEMERAL).toBe(0);
    expect(first.at - i.sentAt).toBeLessThan(2000); // Discord allows 3 s

    const body = await edit(i);
    const top = body.embeds![0]!;
    expect(top.title).toBe(SEED_TITLE);
    expect(top.description).toMatch(/^> /);
    // The best sentence, in bold: Saldo's words to the residents, quoted verbatim.
    expect(top.description).toMatch(/\*\*“We suggested that all residents of the Kherson region[^*]*Saldo said[^*]*\*\*/);
    expect(top.fields).toEqual([
      { name: 'Outlet', value: 'Unknown', inline: true },
      { name: 'Published', value: '2022-10', inline: true },
    ]);
    expect(body.content).toContain(SALDO);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(buttonLabels(body)).toEqual(expect.arrayContaining(['👍 Helpful', '👎 Not helpful']));
    expect(body.embeds!.at(-1)!.footer?.text).toContain('keyword + semantic'); // hybrid, with the tiny model
  });

  it('a question with @everyone, a role mention and markdown cannot ping or break formatting', async () => {
    const question = `@everyone <@&${fake.adminRoleId}> What did **Saldo** urge Kherson residents to do?`;
    const i = fake.slash('ask', { question }, fake.user('mallory'));
    const body = await edit(i);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content).toContain('\\*\\*Saldo\\*\\*');
    expect(body.content).not.toContain(' **Saldo**');
    expect(body.embeds![0]!.title).toBe(SEED_TITLE);
  });

  it('rejects empty, whitespace-only, too long questions and bad dates with an ephemeral error, without searching', async () => {
    const user = fake.user('bob');
    const cases: [Record<string, string>, RegExp][] = [
      [{ question: '   \t  ' }, /empty/],
      [{ question: '@everyone <@123456789012345678>' }, /only mentions/],
      [{ question: '\u200B\u200D\u2060\uFEFF' }, /empty/],
      [{ question: '🤔 🔥🔥 ⁉️' }, /only mentions, emoji or symbols/],
      [{ question: 'x'.repeat(501) }, /501 characters.*limit is 500/],
      [{ question: SALDO, after: '2022-13-01' }, /`after` must be a date written YYYY-MM-DD/],
      [{ question: SALDO, after: '2023-01-01', before: '2022-01-01' }, /later than/],
    ];
    for (const [options, message] of cases) {
      const i = fake.slash('ask', options, user);
      const cb = await callback(i);
      expect(cb.type).toBe(4);
      expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
      expect(cb.data!.content).toMatch(message);
      expect(cb.data!.allowed_mentions).toEqual({ parse: [] });
    }
    // Errors do not count against the rate limit: the same user can still ask.
    const ok = fake.slash('ask', { question: SALDO }, user);
    expect((await callback(ok)).type).toBe(5);
  });

  it('says so when no source answers, and shows the closest passages, marked, when the asker wants them', async () => {
    const carol = fake.user('carol');
    const i = fake.slash('ask', { question: 'best recipe for banana bread with walnuts' }, carol);
    const body = await edit(i);
    expect(body.embeds).toHaveLength(1);
    expect(body.embeds![0]!.title).toBe('No source in the corpus answers this.');
    const anyway = button(body, 'Show closest passages anyway');

    const stranger = fake.click(messageOf(i), anyway, fake.user('mallory'));
    expect((await callback(stranger)).data!.content).toMatch(/Only the person who asked/);

    const click = fake.click(messageOf(i), anyway, carol);
    expect((await callback(click)).type).toBe(6); // DEFERRED_UPDATE_MESSAGE
    const shown = await edit(click);
    expect(shown.content).toContain('Low confidence');
    expect(shown.embeds!.length).toBeGreaterThan(0);
    expect(shown.embeds![0]!.title).not.toBe('No source in the corpus answers this.');
    expect(buttonLabels(shown)).not.toContain('Show closest passages anyway');
  });

  it('says why it refuses a question about a year after the newest article, and still offers the closest passages', async () => {
    const body = await edit(fake.slash('ask', { question: 'Who did Kherson residents elect as mayor in 2025?' }, fake.user('erin')));
    expect(body.embeds![0]!.title).toBe('No source in the corpus answers this.');
    expect(body.embeds![0]!.description).toMatch(/^The newest article in the index is dated 2023-11, so none can report what happened in 2025\./);
    expect(buttonLabels(body)).toContain('Show closest passages anyway');
  });

  it('says how strong the match is in words', async () => {
    const body = await edit(fake.slash('ask', { question: SALDO }, fake.user('trent')));
    expect(body.content).toMatch(/-# (Strong|Partial) match/);
    expect(buttonLabels(body)).not.toContain('Show closest passages anyway');
    // A lone word is matched by every passage holding it: partial, and the line says what to do.
    const lone = await edit(fake.slash('ask', { question: 'Kherson' }, fake.user('trent')));
    expect(lone.content).toContain('-# Partial match: one word matched');
    expect(lone.embeds!.length).toBeGreaterThan(0);
  });

  it('"More results" pages further for the asker only', async () => {
    const asker = fake.user('dave');
    const i = fake.slash('ask', { question: 'Russian missile strikes Kherson', k: 1 }, asker);
    const first = await edit(i);
    expect(first.embeds).toHaveLength(1);
    expect(first.embeds![0]!.footer?.text).toMatch(/^Result 1/);
    const more = button(first, 'More results');

    const stranger = fake.click(messageOf(i), more, fake.user('eve'));
    const refused = await callback(stranger);
    expect(refused.type).toBe(4);
    expect(refused.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(refused.data!.content).toMatch(/Only the person who asked/);

    const click = fake.click(messageOf(i), more, asker);
    expect((await callback(click)).type).toBe(6); // DEFERRED_UPDATE_MESSAGE
    const second = await edit(click);
    expect(second.embeds![0]!.footer?.text).toMatch(/^Result 2/);
    expect(second.embeds![0]!.description).not.toBe(first.embeds![0]!.description);
    expect(buttonLabels(second)).toContain('Previous');
  });

  it('private answers are ephemeral and can be shared to the channel', async () => {
    const user = fake.user('frank');
    const i = fake.slash('ask', { question: SALDO, private: true }, user);
    const cb = await callback(i);
    expect(cb.type).toBe(5);
    expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    const body = await edit(i);
    const share = fake.click(messageOf(i), button(body, 'Share to channel'), user);
    const shareCb = await callback(share);
    expect(shareCb.type).toBe(5);
    expect((shareCb.data?.flags ?? 0) & EPHEMERAL).toBe(0); // public this time
    const shared = await edit(share);
    expect(shared.embeds![0]!.title).toBe(SEED_TITLE);
    expect(shared.content).toContain(`Shared by <@${user.id}>`);
    expect(shared.allowed_mentions).toEqual({ parse: [] });
    expect(buttonLabels(shared)).not.toContain('Share to channel');
  });

  it('👍/👎 record feedback in the state file in the data folder', async () => {
    const user = fake.user('grace');
    const i = fake.slash('ask', { question: SALDO }, user);
    const body = await edit(i);
    const vote = fake.click(messageOf(i), button(body, '👎'), user);
    const cb = await callback(vote);
    expect(cb.type).toBe(4);
    expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.data!.content).toContain('👎 was recorded');
    const state = BotState.open(path.join(tmp, 'data'), { adminRoleIds: [], rateLimitMax: 1, rateLimitWindowSeconds: 1, visibility: 'public' });
    const record = state.votes().at(-1)!;
    state.close();
    expect(record).toMatchObject({ vote: 'down', question: SALDO, kind: 'ask', offset: 0, guildId: fake.guildId });
    expect(record.results[0]!.title).toBe(SEED_TITLE);
  });

  it('/cite and "Find sources" reply in the channel with supporting passages', async () => {
    const user = fake.user('heidi');
    const cite = fake.slash('cite', { claim: 'Saldo urged Kherson residents to leave for other regions of Russia' }, user);
    expect(((await callback(cite)).data?.flags ?? 0) & EPHEMERAL).toBe(0);
    const cited = await edit(cite);
    expect(cited.content).toMatch(/^\*\*Sources for:\*\*/);
    expect(cited.embeds![0]!.title).toBe(SEED_TITLE);

    const message = fake.userMessage(fake.user('ivan'), 'Saldo told Kherson families to take their children and leave for Crimea');
    const find = fake.messageCommand('Find sources', message, user);
    const found = await edit(find);
    expect(found.content).toContain(`[this message](https://discord.com/channels/${fake.guildId}/${fake.channelId}/${message.id})`);
    expect(found.embeds![0]!.title).toBe(SEED_TITLE);

    const empty = fake.messageCommand('Find sources', fake.userMessage(fake.user('ivan'), ''), user);
    const cb = await callback(empty);
    expect(cb.type).toBe(4);
    expect(cb.data!.content).toMatch(/no words to find sources for/);
  });

  it('/sources lists the indexed articles and /status describes the index', async () => {
    const user = fake.user('judy');
    // The list is for admins: each page is a lookup in the shared search pool.
    const refused = await callback(fake.subcommand('sources', 'list', {}, user));
    expect(refused.data!.content).toMatch(/^Only server administrators .* can list the indexed articles\.$/);
    const sources = fake.subcommand('sources', 'list', {}, user, { admin: true });
    expect((await callback(sources)).data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    const list = (await edit(sources)).embeds![0]!;
    expect(list.description).toContain('Euromaidan Press (relaying the Associated Press) · 2023-11');
    expect(list.description).toContain('Western officials: Ukraine can take back Kherson from Russia in a week');
    expect(list.footer?.text).toBe('1–2 of 2');

    const filtered = fake.subcommand('sources', 'list', { query: 'liberation' }, user, { roles: [fake.adminRoleId] });
    expect((await edit(filtered)).embeds![0]!.footer?.text).toBe('1–1 of 1');

    const status = fake.slash('status', {}, user);
    const fields = Object.fromEntries((await edit(status)).embeds![0]!.fields!.map((f) => [f.name, f.value]));
    expect(fields).toMatchObject({ Articles: '2', Mode: 'Hybrid (keyword + semantic)', Model: 'archivist-test/tiny-static-embed', 'Newest article': '2023-11' });
  });

  it('limits searches per user with a friendly ephemeral message', async () => {
    const user = fake.user('kim');
    for (let n = 0; n < RATE_LIMIT_MAX; n++) expect((await callback(fake.slash('ask', { question: SALDO }, user))).type).toBe(5);
    const cb = await callback(fake.slash('ask', { question: SALDO }, user));
    expect(cb.type).toBe(4);
    expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.data!.content).toMatch(/limit of 4 per 600 s\. Try again in \d+ s/);
    // Another user is not affected.
    expect((await callback(fake.slash('ask', { question: SALDO }, fake.user('lee')))).type).toBe(5);
  });

  it('refuses /reindex from a member who is not an admin', async () => {
    const i = fake.slash('reindex', {}, fake.user('nobody'), { roles: [] });
    const cb = await callback(i);
    expect(cb.type).toBe(4);
    expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.data!.content).toMatch(/Only server administrators/);
    await new Promise((r) => setTimeout(r, 300));
    expect(bot.logs.some((l) => l.msg === 'reindex started')).toBe(false);
  });

  it('an admin /reindex builds off the event loop and swaps the index in while /ask keeps answering', async () => {
    await writeFile(path.join(corpus, 'zz_new.md'), NEW_ARTICLE);
    const admin = fake.user('root');
    const reindex = fake.slash('reindex', {}, admin, { roles: [fake.adminRoleId] });
    expect((await callback(reindex)).type).toBe(5);
    // While it runs: questions are answered from the old index, and a second run is refused.
    const during = fake.slash('ask', { question: SALDO }, fake.user('mike'));
    const second = fake.slash('reindex', {}, fake.user('owner'), { admin: true });
    const duringBody = await edit(during);
    const duringAt = fake.requests.find(isEdit(during))!.at;
    expect(duringBody.embeds![0]!.title).toBe(SEED_TITLE);
    const refused = await callback(second);
    expect(refused.type).toBe(4);
    expect(refused.data!.content).toMatch(/already running/);

    // A build in a worker: on a loaded machine (CI beside other jobs) it may take longer than one answer.
    const done = await editOf<MessageBody>(fake, reindex, 40_000, (b) => b.embeds?.[0]?.title === '✅ Reindex complete');
    const doneAt = fake.requests.find((r) => isEdit(reindex)(r) && (r.body as MessageBody).embeds?.[0]?.title === '✅ Reindex complete')!.at;
    expect(duringAt).toBeLessThan(doneAt);
    // Progress was shown in the reply before the result.
    const progress = fake.requests.filter((r) => isEdit(reindex)(r) && /^⏳ Reindexing…/.test((r.body as MessageBody).content ?? ''));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.at).toBeLessThanOrEqual(doneAt);
    expect(done.embeds![0]!.description).toMatch(/Indexed \*\*3\*\* articles \(\*\*\d+\*\* passages\) from 3 files in \d+\.\d s/);
    expect(done.allowed_mentions).toEqual({ parse: [] });

    const after = fake.slash('ask', { question: 'Were the Zaporizhzhia cooling ponds stable?' }, fake.user('nina'));
    const top = (await edit(after)).embeds![0]!;
    expect(top.title).toBe(NEW_ARTICLE_TITLE);
    expect(top.url).toBe('https://example.org/zaporizhzhia-cooling');
    expect(top.fields![0]).toMatchObject({ name: 'Outlet', value: 'Test Wire' });

    const status = fake.slash('status', {}, fake.user('nina'));
    const fields = Object.fromEntries((await edit(status)).embeds![0]!.fields!.map((f) => [f.name, f.value]));
    expect(fields.Articles).toBe('3');
    // Who ran it is not shown to others (they may be in another server).
    expect(fields['Last reindex']).toContain('by an admin: 3 articles');
    expect(fields['Last reindex']).not.toContain(admin.id);
  }, 70_000);

  it('a failed reindex keeps the old index, and after the token expires reports in the channel', async () => {
    const aside = path.join(tmp, 'corpus-aside');
    await mkdir(aside);
    for (const f of await readdir(corpus)) await rename(path.join(corpus, f), path.join(aside, f));
    const admin = fake.user('root2');
    const reindex = fake.slash('reindex', {}, admin, { admin: true });
    expect((await callback(reindex)).type).toBe(5);
    fake.expireToken(reindex.token); // as if 15 minutes had passed
    const posted = await fake.waitForRequest(
      (r) => r.method === 'POST' && r.path === `/channels/${fake.channelId}/messages`,
      20_000,
      'the failure report in the channel',
    );
    const body = posted.body as MessageBody;
    expect(body.content).toBe(`<@${admin.id}>`);
    expect(body.embeds![0]!.title).toBe('❌ Reindex failed');
    // The channel sees that it failed; why (paths, database details) only admins, in /status.
    expect(body.embeds![0]!.description).not.toMatch(/No articles found/);
    expect(body.embeds![0]!.description).not.toContain(tmp);
    expect(body.embeds![0]!.description).toContain('The previous index is unchanged');
    const seen = async (user: ReturnType<typeof fake.user>, member: { admin?: boolean }): Promise<string> => {
      const st = fake.slash('status', {}, user, member);
      return (await edit(st)).embeds![0]!.fields!.find((f) => f.name === 'Last reindex')!.value;
    };
    expect(await seen(admin, { admin: true })).toMatch(/by you: failed \(No articles found/);
    const other = await seen(fake.user('viewer'), {});
    expect(other).toContain("by an admin: failed (the bot's operator sees why in its log)");
    expect(other).not.toContain(tmp);
    expect(body.allowed_mentions).toEqual({ parse: [] });

    const still = fake.slash('ask', { question: 'Were the Zaporizhzhia cooling ponds stable?' }, fake.user('oscar'));
    expect((await edit(still)).embeds![0]!.title).toBe(NEW_ARTICLE_TITLE);
    for (const f of await readdir(aside)) await rename(path.join(aside, f), path.join(corpus, f));
  }, 30_000);

  it('refuses to start with invalid settings, naming each variable, and with a rejected token', async () => {
    const bad = new BotProcess('src/bot/main.ts', env({ DISCORD_CLIENT_ID: 'my-app', RATE_LIMIT_MAX: '0', DISCORD_TOKEN: 'oops-not-a-token' }), tmp);
    expect(await bad.wait()).toBe(1);
    expect(bad.output).toMatch(/^DISCORD_TOKEN: does not look like a bot token/m);
    expect(bad.output).toMatch(/^DISCORD_CLIENT_ID: must be a Discord ID/m);
    expect(bad.output).toMatch(/^RATE_LIMIT_MAX: must be at least 1/m);
    expect(bad.output).not.toContain('oops-not-a-token');

    const wrongToken = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.wrong-token-wrong-token-wrong';
    const rejected = new BotProcess('src/bot/main.ts', env({ DISCORD_TOKEN: wrongToken }), tmp);
    expect(await rejected.wait()).toBe(1);
    expect(rejected.logs.some((l) => l.level === 60 && /Discord rejected DISCORD_TOKEN/.test(l.msg ?? ''))).toBe(true);
    expect(rejected.output).not.toContain(wrongToken);
  }, 30_000);

  it('retries an edit that fails on a socket reset, and sends a follow-up when edits keep failing', async () => {
    fake.failNextEdits(2, 'reset');
    const i = fake.slash('ask', { question: SALDO }, fake.user('flaky'));
    const edited = await fake.waitForRequest((r) => isEdit(i)(r) && r.status === 200, 20_000, 'the retried edit');
    expect((edited.body as MessageBody).embeds![0]!.title).toBe(SEED_TITLE);
    expect(fake.requestsFor(i).filter((r) => isEdit(i)(r) && r.status === 0)).toHaveLength(2);
    expect(bot.logs.filter((l) => l.msg === 'editing the reply failed; retrying').length).toBeGreaterThanOrEqual(2);

    fake.failNextEdits(1000, 'reset');
    const j = fake.slash('ask', { question: SALDO }, fake.user('flakier'));
    const followUp = await fake.waitForRequest((r) => r.method === 'POST' && r.path === `/webhooks/${fake.applicationId}/${j.token}`, 30_000, 'the follow-up');
    fake.failNextEdits(0);
    const body = followUp.body as MessageBody;
    expect(body.embeds![0]!.title).toBe(SEED_TITLE);
    expect(body.content).toContain(SALDO);
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(fake.requestsFor(j).filter((r) => isEdit(j)(r) && r.status === 200)).toHaveLength(0);
  }, 40_000);

  it('every message the bot sent blocks mentions, and the token never reached the logs', () => {
    const bodies = fake.requests
      .filter((r) => (r.method === 'PATCH' || r.method === 'POST') && !r.path.startsWith('/applications'))
      .map((r) => (r.path.endsWith('/callback') ? (r.body as Callback).data : (r.body as MessageBody)))
      .filter((b): b is MessageBody => !!b && ('content' in b || 'embeds' in b));
    expect(bodies.length).toBeGreaterThan(30);
    for (const b of bodies) expect(b.allowed_mentions).toEqual({ parse: [] });
    // At LOG_LEVEL=trace (discord.js debug output included), no part of the token appears.
    expect(bot.logs.some((l) => l.level === 10)).toBe(true);
    expect(bot.output).not.toContain(TOKEN);
    for (const part of TOKEN.split('.')) expect(bot.output).not.toContain(part);
    // Nothing asked for a route the stand-in does not know.
    expect(fake.requests.filter((r) => r.status === 404)).toEqual([]);
  });

  it('npm run deploy-commands registers every command to the guild', async () => {
    const deploy = new BotProcess('src/bot/deploy.ts', env(), tmp);
    expect(await deploy.wait()).toBe(0);
    expect(deploy.output).toMatch(/Registered 8 commands to server \d+/);
    const put = await fake.waitForRequest((r) => r.method === 'PUT', 1000, 'the command registration');
    expect(put.path).toBe(`/applications/${fake.applicationId}/guilds/${fake.guildId}/commands`);
    const commands = put.body as { name: string; type?: number; default_member_permissions?: string | null; options?: { name: string; max_length?: number }[] }[];
    expect(commands.map((c) => c.name).sort()).toEqual(['Find sources', 'ask', 'cite', 'feedback', 'reindex', 'settings', 'sources', 'status']);
    expect(commands.find((c) => c.name === 'settings')!.default_member_permissions).toBe('8');
    expect(commands.find((c) => c.name === 'reindex')!.default_member_permissions).toBe('8');
    expect(commands.find((c) => c.name === 'Find sources')!.type).toBe(3);
    expect(commands.find((c) => c.name === 'ask')!.options!.find((o) => o.name === 'question')!.max_length).toBe(500);
  });

  it('shuts down cleanly on SIGTERM', async () => {
    const closed = new Promise<void>((resolve) => fake.once('gateway-close', () => resolve()));
    expect(await bot.stop('SIGTERM')).toBe(0);
    await closed;
    expect(bot.logs.at(-1)?.msg).toBe('stopped');
  });
});
