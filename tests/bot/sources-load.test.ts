/**
 * End to end, with the real bot process against the local Discord stand-in: `/sources add` of a
 * 10 MB file never stalls the bot's event loop (measured inside the bot with perf_hooks, read from
 * its "event loop delay" log lines) while questions arrive, and concurrent adds and removes by
 * several admins lose nothing.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { botEnv, callbackOf, editOf, startBot } from '../support/bot-harness.js';
import type { BotProcess, LogLine } from '../support/bot-process.js';
import { FakeDiscord, type SentInteraction } from '../support/fake-discord.js';
import { seededRandom } from '../support/random.js';
import { createTinyModel, DEFAULT_TINY_MODEL_ID } from '../support/tiny-model.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.sources-load-token-never-logged_0123';
const ACK_MS = 3000;
/**
 * The longest the bot's event loop may stall while a file is added (issue #19). The target is
 * 100 ms. Once the bot stopped forking (launcher.ts) its longest stall during a 10 MB add was 22.6 ms
 * quiet and 41.9 ms with the whole suite running (an idle process beside it: 41.8 ms); before, a fork
 * of the 700 MB bot alone took 40–80 ms and the test failed CI at 169 ms. The bound leaves room for a
 * busy CI machine, against the seconds-long stalls of parsing on the main thread.
 */
const MAX_STALL_MS = 150;
const admin = { roles: [] as string[], admin: true };

interface Embed {
  title?: string;
  description?: string;
  footer?: { text: string };
}
interface MessageBody {
  content?: string;
  embeds?: Embed[];
}

let tmp = '';
let dataDir = '';
let fake: FakeDiscord;
let bot: BotProcess;

const WORDS = 'harbour council ferry orchard river bridge school market festival library railway tram museum budget winter storm farmers bakery island clinic'.split(' ');
/** About `bytes` of HTML: one article of many made-up paragraphs (HTML is the slowest kind to read). */
function bigHtml(bytes: number, seed: number): string {
  const rand = seededRandom(seed);
  const parts = ['<!doctype html><html><head><title>A very long town chronicle</title></head><body><article>'];
  let size = parts[0]!.length;
  while (size < bytes - 200) {
    const words = Array.from({ length: 120 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ');
    const p = `<p>The ${words}.</p>\n`;
    parts.push(p);
    size += p.length;
  }
  parts.push('</article></body></html>');
  return parts.join('');
}

const article = (id: string, title: string, text: string): string => JSON.stringify({ id, title, text, url: `https://example.org/${id}`, date: '2022-06-01', outlet: 'Load Wire' });
const PLACES = ['Vimmerby', 'Borgholm', 'Nybro', 'Emmaboda', 'Torsby', 'Ljungby', 'Hultsfred', 'Kinda', 'Ronneby', 'Tingsryd', 'Gamleby', 'Lessebo'];
/** A file of its own for admin `n`: two articles about a made-up place. */
function fileOf(n: number): string {
  const place = PLACES[n]!;
  return [
    article(`load-${n}-a`, `${place} opens a new public sauna by the lake`, `The town of ${place} opened a public sauna by the lake on Saturday, and the first two hundred visitors bathed for free, the town said.`),
    article(`load-${n}-b`, `${place} school choir wins the regional contest`, `The school choir of ${place} won the regional contest with a programme of folk songs, beating eleven other choirs, the organisers said.`),
  ].join('\n');
}

async function result(i: SentInteraction, timeoutMs = 600_000): Promise<Embed> {
  return (await editOf<MessageBody>(fake, i, timeoutMs, (b) => (b.embeds?.length ?? 0) > 0, `the result of interaction ${i.id}`)).embeds![0]!;
}
async function listed(query: string): Promise<string> {
  // /sources list is for admins (issue 19): a member's listing is refused without an embed.
  const i = fake.subcommand('sources', 'list', { query }, fake.user('lister'), admin);
  const embed = await result(i);
  return `${embed.description ?? ''}\n${embed.footer?.text ?? ''}`;
}
const keptFiles = async (): Promise<string[]> => (await readdir(path.join(dataDir, 'sources')).catch(() => [] as string[])).filter((f) => !f.startsWith('.'));

/** A process that does nothing but measure its event loop's delay; `stop` returns its longest stall in ms. */
function startCanary(): { stop: () => Promise<number> } {
  const script = `const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();
    const keep = setInterval(() => {}, 1000);
    process.stdin.on('data', () => { console.log(String(Math.round(h.max / 1e5) / 10)); clearInterval(keep); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    stop: async () => {
      child.stdin.write('stop\n');
      await exited;
      return Number(out.trim());
    },
  };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-sources-load-'));
  const corpus = path.join(tmp, 'corpus');
  dataDir = path.join(tmp, 'data');
  await cp(path.join(ROOT, 'corpus'), corpus, { recursive: true });
  await createTinyModel(path.join(tmp, 'models'), { words: ['sauna', 'choir', 'chronicle'] });
  fake = await FakeDiscord.start({ token: TOKEN });
  const env = botEnv(fake, TOKEN, tmp, {
    DISCORD_GUILD_ID: fake.guildId,
    // The shared index may be changed from this server (issue 19: otherwise only by the application's owner).
    SOURCES_GUILD_IDS: fake.guildId,
    CORPUS_PATHS: corpus,
    INDEX_DIR: path.join(tmp, 'embeddings'),
    EMBEDDING_MODEL: DEFAULT_TINY_MODEL_ID,
    DATA_DIR: dataDir,
    SEARCH_WORKERS: '1',
    RATE_LIMIT_MAX: '1000',
    RATE_LIMIT_CEILING_MAX: '1000',
    GUILD_RATE_LIMIT_MAX: '10000',
    SOURCES_MAX_FILE_MB: '10',
    SOURCES_MAX_FILES: '5',
    // The 10 MB article is cut to this after cleaning: the test is about reading the file, not embedding it.
    MAX_ARTICLE_CHARS: '20000',
    LOG_LEVEL: 'debug',
  });
  bot = await startBot(env, tmp, { readyMs: 180_000, modelMs: 60_000 });
}, 300_000);

afterAll(async () => {
  if (process.env.KEEP_BOT_LOG) await writeFile(process.env.KEEP_BOT_LOG, bot?.output ?? '');
  await bot?.stop('SIGKILL');
  await fake?.close();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('sources from chat under load', { timeout: 900_000 }, () => {
  it('adds a 10 MB HTML file while questions arrive: every question acknowledged in time, the event loop never stalls over 100 ms', async () => {
    const html = bigHtml(10_000_000, 19);
    expect(html.length).toBeGreaterThan(9_900_000);
    const isDelay = (l: LogLine): boolean => typeof l.msg === 'string' && l.msg.startsWith('event loop delay');
    const nextPeriod = async (after: number): Promise<void> => {
      await bot.waitForLog((l) => isDelay(l) && (l.time as number) > after, 15_000, 'a loop-delay period to end');
    };
    /** Sends a question every 500 ms until `until` settles; returns them. */
    const asking = async (until: Promise<unknown>): Promise<SentInteraction[]> => {
      const asks: SentInteraction[] = [];
      let going = true;
      void until.finally(() => {
        going = false;
      });
      while (going) {
        asks.push(fake.slash('ask', { question: `Which town opened a sauna by the lake? (${asks.length})` }, fake.user(`asker${asks.length}`)));
        await new Promise((r) => setTimeout(r, 500));
      }
      return asks;
    };
    const longestIn = (from: number, to: number): { longest: number; periods: number } => {
      // A period is logged at its end; the ones ending in [from, to + one period] cover the window.
      const periods = bot.logs.filter((l) => isDelay(l) && (l.time as number) > from && (l.time as number) <= to);
      return { longest: Math.max(0, ...periods.map((l) => l.maxMs as number)), periods: periods.length };
    };

    await nextPeriod(Date.now());
    // The control: an idle process measuring its own loop delay meanwhile. On a shared machine the
    // scheduler alone delays every process's loop now and then; that is not the bot's doing.
    const canary = startCanary();
    const start = Date.now();
    const add = fake.subcommand('sources', 'add', { file1: fake.attachment('chronicle.html', html, { contentType: 'text/html' }) }, fake.user('olga'), admin);
    const done = result(add, 480_000);
    const asks = await asking(done);
    const embed = await done;
    expect(embed.title).toMatch(/^📥 Added 1 article/);
    expect(embed.description).toContain('chronicle.html');
    for (const i of asks) expect((await callbackOf(fake, i, 10_000)).ms).toBeLessThan(ACK_MS);
    const end = Date.now();
    await nextPeriod(end);
    const control = await canary.stop();
    const during = longestIn(start, Date.now());
    console.log(
      `10 MB HTML add: ${((end - start) / 1000).toFixed(1)} s, ${asks.length} questions meanwhile; longest event-loop stall ${during.longest} ms over ${during.periods} periods ` +
        `(an idle process meanwhile: ${control} ms; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)`,
    );
    expect(during.periods).toBeGreaterThanOrEqual(1);
    // The target is 100 ms; what the machine's scheduler did to an idle process meanwhile is allowed on top.
    expect(during.longest).toBeLessThanOrEqual(MAX_STALL_MS + control);
  });

  const adding = (n: number, by: string): SentInteraction =>
    fake.subcommand('sources', 'add', { file1: fake.attachment(`town-${n}.jsonl`, fileOf(n)) }, fake.user(by), admin);
  const removing = (id: string, by: string): SentInteraction => fake.subcommand('sources', 'remove', { article: id }, fake.user(by), admin);

  it('two admins add a file each at the same moment: both files are indexed and kept', async () => {
    const before = (await keptFiles()).length;
    const [a, b] = [adding(0, 'anna'), adding(1, 'bert')];
    for (const embed of await Promise.all([result(a), result(b)])) {
      expect(embed.title).toMatch(/^📥 Added 2 articles/);
    }
    expect(await keptFiles()).toHaveLength(before + 2);
    for (const n of [0, 1]) {
      const list = await listed(PLACES[n]!);
      expect(list).toContain(`${PLACES[n]} opens a new public sauna`);
      expect(list).toContain(`${PLACES[n]} school choir wins`);
    }
  });

  it('ten admins at once, seven adding and three removing: nothing is lost, every removal holds', async () => {
    const before = (await keptFiles()).length;
    const adds = [2, 3, 4, 5, 6, 7, 8].map((n) => adding(n, `adder${n}`));
    const removes = ['load-0-a', 'load-1-a', 'load-0-b'].map((id, k) => removing(id, `remover${k}`));
    const embeds = await Promise.all([...adds, ...removes].map((i) => result(i)));
    for (const embed of embeds.slice(0, adds.length)) expect(embed.title).toMatch(/^📥 Added 2 articles/);
    for (const embed of embeds.slice(adds.length)) expect(embed.title).toBe('🗑️ Article removed');
    expect(await keptFiles()).toHaveLength(before + adds.length);
    for (const n of [2, 3, 4, 5, 6, 7, 8]) {
      const list = await listed(PLACES[n]!);
      expect(list).toContain(`${PLACES[n]} opens a new public sauna`);
      expect(list).toContain(`${PLACES[n]} school choir wins`);
    }
    expect(await listed(PLACES[0]!)).toContain('No indexed article matches.');
    const one = await listed(PLACES[1]!);
    expect(one).not.toContain(`${PLACES[1]} opens a new public sauna`);
    expect(one).toContain(`${PLACES[1]} school choir wins`);
    const removals = JSON.parse(await readFile(path.join(dataDir, 'removed-articles.json'), 'utf8')) as Array<{ id: string }>;
    expect(removals.map((r) => r.id).sort()).toEqual(['load-0-a', 'load-0-b', 'load-1-a']);
  });
});
