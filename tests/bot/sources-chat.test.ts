/**
 * End to end: sources added and removed from chat (`/sources add`, `/sources remove`) and
 * autocomplete, with the real bot process against the local Discord stand-in, a temp copy of the
 * seed corpus and the tiny model. Attachments are served by the stand-in over HTTP, as Discord's CDN does.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, callbackOf, editOf, startBot } from '../support/bot-harness.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, snowflake, type SentInteraction } from '../support/fake-discord.js';
import { createTinyModel, DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.sources-test-token-never-logged_012345';
const EPHEMERAL = 64;
/** Discord's limit for acknowledging an interaction (answering, for autocomplete). */
const ACK_MS = 3000;

interface Embed {
  title?: string;
  description?: string;
  footer?: { text: string };
  fields?: { name: string; value: string }[];
}
interface MessageBody {
  content?: string;
  embeds?: Embed[];
  flags?: number;
}

let tmp = '';
let dataDir = '';
let fake: FakeDiscord;
let bot: BotProcess;

const article = (id: string, title: string, text: string, outlet: string): string => JSON.stringify({ id, title, text, url: `https://example.org/${id}`, date: '2022-06-01', outlet });
const ORCHARD_TITLE = 'Volunteers replant the Lindholm orchard';
const ORCHARD = 'Volunteers replanted four hundred apple trees in the Lindholm orchard that the spring flood had washed away, the parish council said.';
const FERRY_TITLE = 'Night ferry to Kalmar island resumes';
const FERRY = 'The night ferry to Kalmar island resumed service on Monday after the storm damaged its loading ramp, the port authority said.';
const BAKERY_TITLE = 'Oskarshamn bakery delivers rye bread by cargo bicycle';
const BAKERY = 'A cooperative bakery in Oskarshamn started delivering rye bread by cargo bicycle to elderly residents of the old town.';
const WIRE = [article('orchard-1', ORCHARD_TITLE, ORCHARD, 'Baltic Wire'), article('ferry-1', FERRY_TITLE, FERRY, 'Baltic Wire')].join('\n');

async function ack(i: SentInteraction): Promise<{ type: number; data?: MessageBody; ms: number }> {
  const { body, ms } = await callbackOf<{ type: number; data?: MessageBody }>(fake, i, 5000);
  return { ...body, ms };
}
/** The final reply of a command: an edit with an embed (progress edits have none). */
async function result(i: SentInteraction, timeoutMs = 60_000): Promise<Embed> {
  return (await editOf<MessageBody>(fake, i, timeoutMs, (b) => (b.embeds?.length ?? 0) > 0, `the result of interaction ${i.id}`)).embeds![0]!;
}
async function listed(query: string): Promise<string> {
  const i = fake.subcommand('sources', 'list', { query }, fake.user('lister'), admin);
  const embed = await result(i);
  return `${embed.description ?? ''}\n${embed.footer?.text ?? ''}`;
}
async function topTitle(question: string): Promise<string | undefined> {
  const i = fake.slash('ask', { question }, fake.user(`asker${Math.random()}`));
  return (await editOf<MessageBody>(fake, i, 20_000, undefined, `the answer to ${question}`)).embeds?.[0]?.title;
}
const keptFiles = async (): Promise<string[]> => (await readdir(path.join(dataDir, 'sources')).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));
const admin = { roles: [] as string[], admin: true };
/** Another server the bot is in. */
const GUILD_B = snowflake();
/** The bot application's owner (the stand-in serves it at GET /applications/@me): here, a plain member. */
const operator = () => fake.owner;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-sources-chat-'));
  const corpus = path.join(tmp, 'corpus');
  dataDir = path.join(tmp, 'data');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  await createTinyModel(path.join(tmp, 'models'), { words: ['Kherson', 'orchard', 'ferry'] });
  fake = await FakeDiscord.start({ token: TOKEN, otherGuildIds: [GUILD_B] });
  const env = botEnv(fake, TOKEN, tmp, {
    DISCORD_GUILD_ID: fake.guildId,
    ADMIN_ROLE_IDS: fake.adminRoleId,
    CORPUS_PATHS: corpus,
    INDEX_DIR: path.join(tmp, 'embeddings'),
    EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
    DATA_DIR: dataDir,
    SEARCH_WORKERS: '1',
    RATE_LIMIT_MAX: '100',
    RATE_LIMIT_CEILING_MAX: '100',
    USER_RATE_LIMIT_MAX: '1000',
    SOURCES_MAX_FILE_MB: '1',
    SOURCES_MAX_FILES: '5',
    LOG_LEVEL: 'debug',
  });
  bot = await startBot(env, tmp, { readyMs: 60_000, modelMs: 30_000 });
}, 120_000);

afterAll(async () => {
  await bot?.stop('SIGKILL');
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

// The tests run in order and share the bot: each builds on what the previous one added or removed.
describe('sources from chat', { timeout: 90_000 }, () => {
  it('refuses /sources add from a member who is not an admin: nothing is downloaded or added', async () => {
    const file = fake.attachment('wire.jsonl', WIRE);
    const i = fake.subcommand('sources', 'add', { file1: file }, fake.user('mallory'), { roles: [] });
    const cb = await ack(i);
    expect(cb.type).toBe(4);
    expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.data!.content).toMatch(/^Sources can be added only by the bot's operator .*SOURCES_GUILD_IDS.* Nothing was changed\.$/);
    expect(cb.ms).toBeLessThan(ACK_MS);
    expect(fake.attachmentDownloads).toEqual([]);
    expect(await keptFiles()).toEqual([]);
    expect(await listed('orchard')).toContain('No indexed article matches.');
  });

  it("the shared index is the operator's: admins of this server or another, and admin roles, are refused with one line", async () => {
    const file = fake.attachment('wire.jsonl', WIRE);
    const refusals = [
      fake.subcommand('sources', 'add', { file1: file }, fake.user('olga'), admin),
      fake.subcommand('sources', 'add', { file1: file }, fake.user('bram'), admin, GUILD_B),
      fake.subcommand('sources', 'add', { file1: file }, fake.user('role-holder'), { roles: [fake.adminRoleId] }),
      fake.subcommand('sources', 'remove', { article: 'seed' }, fake.user('bram'), admin, GUILD_B),
      fake.slash('reindex', {}, fake.user('bram'), admin, GUILD_B),
      fake.slash('reindex', {}, fake.user('olga'), { roles: [fake.adminRoleId] }),
    ];
    for (const i of refusals) {
      const cb = await ack(i);
      expect(cb.type).toBe(4);
      expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
      expect(cb.data!.content).toMatch(/^(Sources can be (added|removed)|\/reindex can be run) only by the bot's operator \(the owner of its Discord application\), unless they name this server in SOURCES_GUILD_IDS: .* Nothing was changed\.$/);
      expect(cb.data!.content!.split('\n')).toHaveLength(1);
      expect(cb.ms).toBeLessThan(ACK_MS);
    }
    expect(fake.attachmentDownloads).toEqual([]);
    expect(bot.logs.some((l) => l.msg === 'reindex started')).toBe(false);
    // Asked Discord once who owns the application (at ready), not per command.
    expect(fake.requests.filter((r) => r.path === '/applications/@me')).toHaveLength(1);
    // Admins get no removal suggestions either: they could not remove.
    expect((await fake.choices(fake.autocomplete('sources', 'remove', { article: 'kherson' }, 'article', fake.user('olga'), admin))).choices).toEqual([]);
    // …while the operator does (the same lookup): so the empty list above is the refusal, not a miss.
    expect((await fake.choices(fake.autocomplete('sources', 'remove', { article: 'kherson' }, 'article', operator()))).choices.length).toBeGreaterThan(0);
  });

  it('the operator adds a file: acknowledged at once, reported per file, answerable right after, kept in DATA_DIR/sources', async () => {
    const file = fake.attachment('wire.jsonl', WIRE);
    const i = fake.subcommand('sources', 'add', { file1: file }, operator(), { roles: [] });
    const cb = await ack(i);
    expect(cb.type).toBe(5);
    expect(cb.data!.flags! & EPHEMERAL).toBe(EPHEMERAL);
    expect(cb.ms).toBeLessThan(ACK_MS);
    const embed = await result(i);
    expect(embed.title).toMatch(/^📥 Added 2 articles \(\d+ passages?\)$/);
    expect(embed.description).toMatch(/✅ \*\*wire\.jsonl\*\*: 2 articles, \d+ passages? added/);
    expect(embed.footer!.text).toMatch(/indexed by an update in place in \d+\.\d s\); the index now has 4 articles/);
    await bot.waitForLog((l) => l.msg === 'sources added' && l.articles === 2, 5000, 'the addition to be logged');

    expect(await topTitle('How many apple trees were replanted in the Lindholm orchard?')).toBe(ORCHARD_TITLE);
    expect(await listed('kalmar')).toContain(FERRY_TITLE);
    const kept = await keptFiles();
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/-wire\.jsonl$/);
    expect(await readFile(path.join(dataDir, 'sources', kept[0]!), 'utf8')).toBe(WIRE);
    const status = await editOf<MessageBody>(fake, fake.slash('status', {}, fake.user('olga')), 20_000, (b) => (b.embeds?.length ?? 0) > 0);
    expect(status.embeds![0]!.fields!.find((f) => f.name === 'Sources from chat')?.value).toBe('1 file added (/sources add and remove)');
  });

  it('reports each bad file by name and why, adds the good one, and says what was already indexed', async () => {
    const good = fake.attachment('bakery.md', `---\ntitle: ${BAKERY_TITLE}\noutlet: Coast News\ndate: 2022-07-01\n---\n${BAKERY}\n`);
    const pdf = fake.attachment('scan.pdf', '%PDF-1.4 not an article');
    const latin1 = fake.attachment('latin1.txt', Buffer.from('Caf\xe9 news: the caf\xe9 in Kalmar reopened after the storm and served coffee again to the ferry crews.\n', 'latin1'));
    const big = fake.attachment('huge.txt', 'x '.repeat(600_000));
    const empty = fake.attachment('empty.json', '[]');
    const again = fake.attachment('wire-again.jsonl', WIRE);
    const i = fake.subcommand(
      'sources',
      'add',
      { file1: good, file2: pdf, file3: latin1, file4: big, file5: empty, file6: again },
      operator(),
      admin,
    );
    expect((await ack(i)).ms).toBeLessThan(ACK_MS);
    const embed = await result(i);
    expect(embed.title).toMatch(/^📥 Added 1 article \(\d+ passages?\)$/);
    const d = embed.description!;
    expect(d).toMatch(/✅ \*\*bakery\.md\*\*: 1 article, \d+ passages? added/);
    expect(d).toContain('❌ **scan.pdf**: unsupported type ".pdf"');
    expect(d).toContain('❌ **latin1.txt**: no readable article (not valid UTF-8 text (re-save it as UTF-8))');
    expect(d).toContain('❌ **huge.txt**: too big: 1.1 MB, the limit is 1.0 MB (SOURCES\\_MAX\\_FILE\\_MB)');
    expect(d).toContain('❌ **empty.json**: no readable article');
    // A sixth file is over SOURCES_MAX_FILES (5): reported, not read.
    expect(d).toContain('❌ **wire-again.jsonl**: not added: at most 5 files per command (SOURCES\\_MAX\\_FILES)');
    expect(fake.attachmentDownloads.some((p) => p.endsWith('/scan.pdf') || p.endsWith('/huge.txt') || p.endsWith('/wire-again.jsonl'))).toBe(false);
    expect(await topTitle('Which bakery delivers rye bread by cargo bicycle?')).toBe(BAKERY_TITLE);
    expect(await keptFiles()).toHaveLength(2);

    // The same file again: every article is a duplicate, so nothing is indexed twice and no copy is kept.
    // A file bigger than Discord said is stopped while downloading.
    const liar = fake.attachment('liar.txt', 'y '.repeat(600_000), { size: 100 });
    const dup = fake.subcommand('sources', 'add', { file1: fake.attachment('wire.jsonl', WIRE), file2: liar }, operator(), admin);
    const dupEmbed = await result(dup);
    expect(dupEmbed.title).toBe('Nothing new to add');
    expect(dupEmbed.description).toContain('➖ **wire.jsonl**: already indexed (2 articles), nothing added');
    expect(dupEmbed.description).toContain('❌ **liar.txt**: too big: more than the limit of 1.0 MB');
    expect(dupEmbed.footer!.text).toContain('the index now has 5 articles');
    expect(await keptFiles()).toHaveLength(2);
  });

  it('autocompletes /ask outlet: with the index outlets by prefix, case-insensitively, within 3 s', async () => {
    const user = fake.user('ada');
    const bal = await fake.choices(fake.autocomplete('ask', undefined, { question: 'ferry', outlet: 'BAL' }, 'outlet', user));
    expect(bal.ms).toBeLessThan(ACK_MS);
    expect(bal.choices).toEqual([{ name: 'Baltic Wire (2 articles)', value: 'Baltic Wire' }]);
    const all = await fake.choices(fake.autocomplete('ask', undefined, { outlet: '' }, 'outlet', user));
    expect(all.choices.map((c) => c.value)).toEqual(expect.arrayContaining(['Baltic Wire', 'Coast News']));
    expect(all.choices.length).toBeLessThanOrEqual(25);
    expect((await fake.choices(fake.autocomplete('ask', undefined, { outlet: 'zzz' }, 'outlet', user))).choices).toEqual([]);
  });

  it('autocompletes /sources remove article: with the index articles by title while typing', async () => {
    const got = await fake.choices(fake.autocomplete('sources', 'remove', { article: 'lindholm orch' }, 'article', operator(), admin));
    expect(got.ms).toBeLessThan(ACK_MS);
    expect(got.choices).toEqual([{ name: `${ORCHARD_TITLE} — Baltic Wire, 2022-06-01`, value: 'orchard-1' }]);
  });

  it('answers autocomplete within 3 s while the search pool is busy with a burst of questions', async () => {
    const burst = Array.from({ length: 60 }, (_, n) => fake.slash('ask', { question: `What happened to the ferry to Kalmar island, day ${n}?` }, fake.user(`burst${n}`)));
    const outlets = await fake.choices(fake.autocomplete('ask', undefined, { outlet: 'coa' }, 'outlet', fake.user('ada')));
    const articles = await fake.choices(fake.autocomplete('sources', 'remove', { article: 'kalmar' }, 'article', operator(), admin));
    expect(outlets.ms).toBeLessThan(ACK_MS);
    expect(outlets.choices.map((c) => c.value)).toEqual(['Coast News']);
    // Articles come from the pool: its answer, or no suggestions if it was too busy to answer in time.
    expect(articles.ms).toBeLessThan(ACK_MS);
    for (const c of articles.choices) expect(c.value).toBe('ferry-1');
    for (const i of burst) await editOf(fake, i, 30_000, undefined, 'a burst answer');
  });

  it('refuses /sources remove from a non-admin; the operator removes an article, which stays removed after a full /reindex', async () => {
    const refused = fake.subcommand('sources', 'remove', { article: 'orchard-1' }, fake.user('mallory'), { roles: [] });
    const cb = await ack(refused);
    expect(cb.type).toBe(4);
    expect(cb.data!.content).toMatch(/^Sources can be removed only by the bot's operator/);
    expect(await listed('orchard')).toContain(ORCHARD_TITLE);

    const i = fake.subcommand('sources', 'remove', { article: 'orchard-1' }, operator(), admin);
    expect((await ack(i)).ms).toBeLessThan(ACK_MS);
    const embed = await result(i);
    expect(embed.title).toBe('🗑️ Article removed');
    expect(embed.description).toContain(`“${ORCHARD_TITLE}” (Baltic Wire, 2022-06-01) no longer answers questions`);
    expect(embed.footer!.text).toContain('the index now has 4 articles');
    expect(await listed('orchard')).toContain('No indexed article matches.');
    expect(await topTitle('How many apple trees were replanted in the Lindholm orchard?')).not.toBe(ORCHARD_TITLE);
    const removals = JSON.parse(await readFile(path.join(dataDir, 'removed-articles.json'), 'utf8')) as Array<{ id: string }>;
    expect(removals.map((r) => r.id)).toEqual(['orchard-1']);
    // The kept file still holds it: the removal list is what keeps it out.
    expect(await keptFiles()).toHaveLength(2);

    const reindex = fake.slash('reindex', {}, operator(), admin);
    const done = await result(reindex, 60_000);
    expect(done.title).toBe('✅ Reindex complete');
    expect(await listed('orchard')).toContain('No indexed article matches.');
    expect(await listed('kalmar')).toContain(FERRY_TITLE);
    expect(await listed('oskarshamn')).toContain(BAKERY_TITLE);

    // Unknown or ambiguous input changes nothing.
    const unknown = fake.subcommand('sources', 'remove', { article: 'no such article anywhere' }, operator(), admin);
    expect(await editOf(fake, unknown, 10_000, undefined, 'the reply')).toMatchObject({ content: expect.stringMatching(/^No article in the index matches/) });
  });

  it('a damaged removal list is reported and changes nothing (it is never silently replaced)', async () => {
    const file = path.join(dataDir, 'removed-articles.json');
    const good = await readFile(file, 'utf8');
    await writeFile(file, '[{ "id": "orchard-1", ');
    try {
      const i = fake.subcommand('sources', 'remove', { article: 'ferry-1' }, operator(), admin);
      const embed = await result(i);
      expect(embed.title).toBe('Nothing removed');
      expect(embed.description).toContain('removed-articles.json is not valid JSON');
      expect(await readFile(file, 'utf8')).toBe('[{ "id": "orchard-1", ');
      expect(await listed('kalmar')).toContain(FERRY_TITLE);
    } finally {
      await writeFile(file, good);
    }
  });
});
