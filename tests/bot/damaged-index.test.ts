/**
 * A damaged index, end to end (the real bot process against the local Discord stand-in): the vector
 * file loses one bit between runs (a byte flipped inside a stored vector: hnswlib still reads it, only
 * the checksum recorded when it was written tells). Questions by /ask and by mention get the
 * DAMAGED reply, not "something went wrong", and the log gets one line per question with the
 * one-line reason (the file and the rebuild command), no stack; the failed background check reaches
 * the log once, however many search workers ran it. /status then says the index is damaged: to
 * everyone, and with the error (it names paths) and when only to those who may see index errors.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeMarkup } from '../../src/bot/format.js';
import { DAMAGED, FAILED } from '../../src/bot/router.js';
import { buildIndex } from '../../src/indexer/build.js';
import { botEnv, editOf, ROOMY_LIMITS, startBot, stopAll } from '../support/bot-harness.js';
import type { BotProcess, LogLine } from '../support/bot-process.js';
import { FakeDiscord, type FakeMessage, type FakeUser } from '../support/fake-discord.js';
import { SEED_CORPUS, testSettings } from '../support/corpus.js';
import { createTinyModel } from '../support/tiny-model.js';
import { flipVectorByte, liveVectors } from '../support/vector-file.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.damaged-index-token-never-logged_0000';
// Made-up questions on the seed corpus's topic, so the search reaches the vectors.
const BY_ASK = 'Which officials told the people of Kherson to cross the river before the fighting?';
const BY_MENTION = 'Did anyone in Kherson urge residents to leave for safer regions last autumn?';

let tmp = '';
let index = '';
let vectors = '';
let fake: FakeDiscord;
let bot: BotProcess;

const refOf = (m: FakeMessage): string | undefined => (m.message_reference as { message_id?: string } | undefined)?.message_id;
const about = (user: FakeUser) => (l: LogLine) => l.user === user.id;
const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The one-line reason: the damaged file and the command that rebuilds this index folder (as the bot was started: npm or npx). */
const reasonOf = (): RegExp => new RegExp(`^The vector file ${literal(vectors)} is damaged: [^\\n]*rebuild it with \`[^\`]*index (-- )?--rebuild --out ${literal(index)}\`\\.$`);

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-damaged-index-'));
  const { modelId } = await createTinyModel(path.join(tmp, 'models'), { words: ['Kherson', 'Saldo'] });
  index = path.join(tmp, 'embeddings');
  const report = await buildIndex({ corpus: [SEED_CORPUS], out: index, settings: testSettings({ MODEL_DIR: path.join(tmp, 'models'), EMBEDDING_MODEL: modelId }) });
  expect(report.mode).toBe('hybrid');
  vectors = (await liveVectors(index)).vectors;
  // The fault happens while the bot is not running: bit rot, a bad copy, a disk that lost a write.
  await flipVectorByte(vectors);
  fake = await FakeDiscord.start({ token: TOKEN });
  const env = botEnv(fake, TOKEN, tmp, {
    ...ROOMY_LIMITS,
    // Two workers, each checking the file: the log still says it once.
    SEARCH_WORKERS: '2',
    DISCORD_GUILD_ID: fake.guildId,
    // This server's admins run the index, so they may see its errors in /status (paths included).
    SOURCES_GUILD_IDS: fake.guildId,
    CORPUS_PATHS: SEED_CORPUS,
    INDEX_DIR: index,
    EMBEDDING_MODEL: modelId,
  });
  bot = await startBot(env, tmp, { readyMs: 60_000, modelMs: 20_000 });
}, 120_000);

afterAll(() => stopAll(bot, fake, tmp));

describe('a damaged vector file under the running bot', { timeout: 60_000 }, () => {
  it('the failed background check reaches the log once, as one line naming the file and the rebuild', async () => {
    const notice = await bot.waitForLog((l) => l.msg === 'search index notice', 15_000, 'the notice of the failed check');
    expect(notice.level).toBe(40); // warn
    expect(notice.reason).toMatch(reasonOf());
    expect(notice.err).toBeUndefined();
    expect(bot.logs.filter((l) => l.msg === 'search index notice')).toHaveLength(1);
  });

  it('/ask gets the damaged-index reply, and the log one line with the reason and no stack', async () => {
    const asker = fake.user('quill');
    const i = fake.slash('ask', { question: BY_ASK }, asker);
    const body = await editOf<{ content?: string; embeds?: unknown[] }>(fake, i, 20_000);
    expect(body.content).toBe(DAMAGED);
    expect(body.content).not.toBe(FAILED);
    expect(body.embeds ?? []).toEqual([]);
    const line = await bot.waitForLog((l) => about(asker)(l) && l.msg === 'index damaged or missing', 5000, 'the log line');
    expect(line.level).toBe(50); // error: the operator has to rebuild
    expect(line.interaction).toBe('ask');
    expect(line.reason).toMatch(reasonOf());
    const said = bot.logs.filter(about(asker));
    expect(said.filter((l) => l.level >= 40)).toEqual([line]);
    expect(said.some((l) => l.err !== undefined || l.msg === 'interaction failed')).toBe(false);
    expect(bot.output).not.toMatch(/VectorChecksumError[^\n]*\n\s+at /);
  });

  it('a question by mention gets the same reply to its message, and the same one line', async () => {
    const asker = fake.user('tamsin');
    const question = fake.post(fake.channelId, asker, `<@${fake.applicationId}> ${BY_MENTION}`);
    const reply = await fake.waitForBotMessage(fake.channelId, (m) => refOf(m) === question.id, 20_000);
    expect(reply.content).toBe(DAMAGED);
    expect(reply.embeds ?? []).toEqual([]);
    const line = await bot.waitForLog((l) => about(asker)(l) && l.msg === 'index damaged or missing', 5000, 'the log line');
    expect(line.level).toBe(50);
    expect(line.message).toBe('mention');
    expect(line.reason).toMatch(reasonOf());
    const said = bot.logs.filter(about(asker));
    expect(said.filter((l) => l.level >= 40)).toEqual([line]);
    expect(said.some((l) => l.err !== undefined || l.msg === 'answering a message failed')).toBe(false);
  });

  it('/status still answers, and after the failed questions says the index is damaged: the error and when only to an admin', async () => {
    type Status = { content?: string; embeds?: { title?: string; fields?: { name: string; value: string }[] }[] };
    const problemOf = async (member: { admin?: boolean }): Promise<string | undefined> => {
      const i = fake.slash('status', {}, fake.user(member.admin ? 'root' : 'quill'), member);
      const body = await editOf<Status>(fake, i, 10_000);
      expect(body.embeds?.[0]?.title).toBe('Archivist status');
      expect(body.content ?? '').not.toBe(FAILED);
      return body.embeds?.[0]?.fields?.find((f) => f.name === '⚠️ Index problem')?.value;
    };
    const said = 'The index is damaged or missing; searches fail until the operator rebuilds it.';
    const member = await problemOf({});
    expect(member).toBe(said);
    expect(member).not.toContain(tmp);
    const admin = await problemOf({ admin: true });
    expect(admin).toBeDefined();
    const [first, second] = admin!.split('\n');
    expect(first).toBe(said);
    // Seen <t:…:R>: the one-line reason a question met (the damaged file and the rebuild command).
    expect(second).toMatch(/^Seen <t:\d+:R>: /);
    expect(second).toContain(`The vector file ${escapeMarkup(vectors)} is damaged: `);
    expect(second).toContain('--rebuild --out ');
    // By now both search workers have long finished their check (searches wait for it): still one notice.
    expect(bot.logs.filter((l) => l.msg === 'search index notice')).toHaveLength(1);
  });
});
