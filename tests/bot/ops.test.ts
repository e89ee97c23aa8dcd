/**
 * Operating the bot: --help on both scripts, removing registered commands, one readable line for
 * each startup failure (Discord unreachable, no index and no corpus), pretty logs, FEEDBACK=off and
 * the health file. Real processes against the local Discord stand-in.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/indexer/build.js';
import { botEnv, editOf } from '../support/bot-harness.js';
import { BotProcess, cleanEnv } from '../support/bot-process.js';
import { SEED_CORPUS, tempDir, testSettings } from '../support/corpus.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GoPsTs.ops-test-token-never-logged_987654321';
let dir: string;
let cleanup: () => Promise<void>;
let fake: FakeDiscord;

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return botEnv(fake, TOKEN, dir, {
    CORPUS_PATHS: SEED_CORPUS,
    INDEX_DIR: path.join(dir, 'index'),
    SEARCH_WORKERS: '1',
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-ops-'));
  await buildIndex({ corpus: [SEED_CORPUS], out: path.join(dir, 'index'), settings: testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' }) });
  fake = await FakeDiscord.start({ token: TOKEN });
});
afterAll(async () => {
  await fake?.close();
  await cleanup?.();
});

describe('the bot scripts for operators', { timeout: 60_000 }, () => {
  it('--help prints help for npm start and deploy-commands, without any settings', async () => {
    const bare = cleanEnv({});
    const start = new BotProcess('src/bot/main.ts', bare, dir, { args: ['--help'] });
    expect(await start.wait()).toBe(0);
    expect(start.output).toMatch(/^Usage: npm start --/m);
    expect(start.output).toContain('DISCORD_TOKEN');
    expect(start.output).not.toMatch(/Invalid configuration/);
    const deploy = new BotProcess('src/bot/deploy.ts', bare, dir, { args: ['--help'] });
    expect(await deploy.wait()).toBe(0);
    expect(deploy.output).toMatch(/^Usage: npm run deploy-commands --/m);
    expect(deploy.output).toContain('--clear');
    expect(deploy.output).toContain('--guild <id>');
  });

  it('deploy-commands --clear removes the commands of a server, or the global ones', async () => {
    const guild = '123456789012345678';
    const clear = new BotProcess('src/bot/deploy.ts', env(), dir, { args: ['--clear', '--guild', guild] });
    expect(await clear.wait()).toBe(0);
    expect(clear.output).toContain(`Removed every server ${guild} command`);
    const put = await fake.waitForRequest((r) => r.method === 'PUT' && r.path.includes(`/guilds/${guild}/`), 1000, 'the guild PUT');
    expect(put.path).toBe(`/applications/${fake.applicationId}/guilds/${guild}/commands`);
    expect(put.body).toEqual([]);

    const global = new BotProcess('src/bot/deploy.ts', env({ DISCORD_GUILD_ID: guild }), dir, { args: ['--clear', '--global'] });
    expect(await global.wait()).toBe(0);
    const globalPut = await fake.waitForRequest((r) => r.method === 'PUT' && r.path === `/applications/${fake.applicationId}/commands`, 1000, 'the global PUT');
    expect(globalPut.body).toEqual([]);

    const bad = new BotProcess('src/bot/deploy.ts', env(), dir, { args: ['--clear', '--guild', 'my-server'] });
    expect(await bad.wait()).toBe(1);
    expect(bad.output).toMatch(/--guild must be a Discord server ID/);
  });

  it('Discord unreachable: one readable line with the fix, in pretty format too', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const json = new BotProcess('src/bot/main.ts', env({ DISCORD_API_URL: url, LOG_FORMAT: 'json' }), dir);
    expect(await json.wait()).toBe(1);
    const fatal = json.logs.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toBe(`Cannot reach Discord at ${url} (ECONNREFUSED): check that DISCORD_API_URL is right and that server is running, then start the bot again.`);
    expect(json.output).not.toMatch(/^\s+at /m); // no stack trace

    const pretty = new BotProcess('src/bot/main.ts', env({ DISCORD_API_URL: 'http://discord-stand-in.invalid', LOG_FORMAT: 'pretty' }), dir);
    expect(await pretty.wait()).toBe(1);
    expect(pretty.logs).toEqual([]); // no JSON lines
    const lines = pretty.output.split('\n').filter((l) => /FATAL/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/Cannot reach Discord at http:\/\/discord-stand-in\.invalid \((ENOTFOUND|EAI_AGAIN)\)/);
    expect(pretty.output).toMatch(/INFO.*index opened/);
  });

  it('no index and no corpus to build one from: one line naming both', async () => {
    const empty = path.join(dir, 'empty-index');
    await mkdir(empty);
    const bot = new BotProcess('src/bot/main.ts', env({ INDEX_DIR: empty, CORPUS_PATHS: path.join(dir, 'no-such-corpus') }), dir);
    expect(await bot.wait()).toBe(1);
    const fatal = bot.logs.filter((l) => l.level === 60);
    expect(fatal).toHaveLength(1);
    expect(fatal[0]!.msg).toMatch(new RegExp(`^There is no index in ${empty} and it could not be built from CORPUS_PATHS \\(.*no-such-corpus\\)`));
  });

  it('FEEDBACK=off: no vote buttons and nothing stored; HEALTH_FILE shows the bot connected', async () => {
    const health = path.join(dir, 'health.json');
    const bot = new BotProcess('src/bot/main.ts', env({ FEEDBACK: 'off', HEALTH_FILE: health }), dir);
    try {
      await bot.waitForLog((l) => l.msg === 'ready', 45_000, 'the bot to be ready');
      const i: SentInteraction = fake.slash('ask', { question: 'What did Saldo urge Kherson residents to do?' }, fake.user('quiet'));
      const body = await editOf<{ embeds: { title: string }[]; components?: { components: { label: string }[] }[] }>(fake, i, 20_000, undefined, 'the answer');
      expect(body.embeds[0]!.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
      const labels = (body.components ?? []).flatMap((r) => r.components.map((c) => c.label));
      expect(labels.some((l) => /Helpful/.test(l))).toBe(false);
      await expect(stat(path.join(dir, 'data'))).rejects.toMatchObject({ code: 'ENOENT' });

      const beat = JSON.parse(await readFile(health, 'utf8')) as { ready: boolean; workers: number };
      expect(beat).toMatchObject({ ready: true, workers: 1 });
      const check = new BotProcess('src/bot/healthcheck.ts', cleanEnv({ HEALTH_FILE: health }), dir);
      expect(await check.wait()).toBe(0);
      expect(check.output.trim()).toBe('healthy');
    } finally {
      expect(await bot.stop('SIGTERM')).toBe(0);
    }
    const after = new BotProcess('src/bot/healthcheck.ts', cleanEnv({ HEALTH_FILE: path.join(dir, 'none.json') }), dir);
    expect(await after.wait()).toBe(1);
    expect(after.output).toMatch(/^unhealthy: no heartbeat/);
  });
});
