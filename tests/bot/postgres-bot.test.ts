/**
 * The real bot process on the PostgreSQL backend against the local Discord stand-in: it builds the
 * index in the database on first start, answers from it, answers "search is unavailable" (and keeps
 * running) while the database is down, and answers again once it is back (the pool reconnects).
 * Needs its own throwaway cluster (it stops and restarts the server): PostgreSQL binaries required.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, editOf, startBot } from '../support/bot-harness.js';
import { skipOrFail } from '../support/ci.js';
import type { BotProcess } from '../support/bot-process.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = path.join(ROOT, 'scripts/pg-test-cluster.sh');
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.pg-test-token-never-logged_0123456789';
const SALDO = 'What did Saldo urge Kherson residents to do?';

async function startCluster(): Promise<{ dir: string; url: string } | undefined> {
  try {
    const { stdout } = await run(SCRIPT, ['start'], { timeout: 120_000 });
    return { dir: /PG_TEST_DIR=(\S+)/.exec(stdout)![1]!, url: /DATABASE_URL=(\S+)/.exec(stdout)![1]! };
  } catch (err) {
    const message = `PostgreSQL bot test skipped: no test cluster could be started (${((err as { stderr?: string }).stderr ?? String(err)).trim()}).`;
    skipOrFail(message);
    return undefined;
  }
}

const cluster = await startCluster();

describe.skipIf(!cluster)('the bot on PostgreSQL', { timeout: 60_000 }, () => {
  let tmp = '';
  let fake: FakeDiscord;
  let bot: BotProcess;

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-bot-pg-'));
    await cp(path.join(ROOT, 'corpus'), path.join(tmp, 'corpus'), { recursive: true });
    fake = await FakeDiscord.start({ token: TOKEN });
    const env = botEnv(fake, TOKEN, tmp, {
      DISCORD_GUILD_ID: fake.guildId,
      CORPUS_PATHS: path.join(tmp, 'corpus'),
      INDEX_DIR: path.join(tmp, 'embeddings'),
      MODEL_DIR: path.join(tmp, 'no-models'),
      LOG_LEVEL: 'debug',
      SEARCH_BACKEND: 'postgres',
      DATABASE_URL: cluster!.url,
      PG_STATEMENT_TIMEOUT_MS: '5000',
    });
    bot = await startBot(env, tmp, { readyMs: 90_000 });
  }, 120_000);

  afterAll(async () => {
    await bot?.stop('SIGKILL');
    await fake?.close();
    if (cluster) await run(SCRIPT, ['stop', cluster.dir]).catch(() => undefined);
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const answer = (i: SentInteraction): Promise<{ content?: string; embeds?: Array<{ title?: string }> }> => editOf(fake, i, 15_000, undefined, `the reply to ${i.id}`);

  it('built the index in the database on first start and answers from it', async () => {
    expect(bot.logs.some((l) => l.msg === 'built the index (there was none)')).toBe(true);
    const body = await answer(fake.slash('ask', { question: SALDO }, fake.user('alice')));
    expect(body.embeds![0]!.title).toMatch(/Western officials/);
  });

  it('says search is unavailable while the database is down, keeps running, and answers again when it is back', async () => {
    await run(SCRIPT, ['pause', cluster!.dir]);
    const down = await answer(fake.slash('ask', { question: SALDO }, fake.user('bob')));
    expect(down.content).toMatch(/Search is unavailable right now/);
    expect(bot.exitCode).toBeUndefined();
    await run(SCRIPT, ['resume', cluster!.dir]);
    const back = await answer(fake.slash('ask', { question: SALDO }, fake.user('carol')));
    expect(back.embeds![0]!.title).toMatch(/Western officials/);
    expect(bot.logs.some((l) => l.msg === 'search unavailable')).toBe(true);
  });
});
