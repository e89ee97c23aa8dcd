/**
 * What every end-to-end bot test repeats, in one place: the bot's environment for a FakeDiscord and
 * a temp dir, starting the bot and waiting until it is ready, and waiting for an interaction's
 * callback or the edits of its reply.
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BotProcess, cleanEnv, type LogLine } from './bot-process.js';
import { writeFollowUpCorpus } from './follow-up-corpus.js';
import { createTinyModel } from './tiny-model.js';
import { type FakeDiscord, type RecordedRequest, type SentInteraction, shardOf, snowflake } from './fake-discord.js';

/**
 * The bot's settings to run as `fake`'s application with `token`, models in `dir`/models and state
 * in `dir`/data, no remote models; `extra` adds the test's own settings and overrides these.
 */
export function botEnv(fake: FakeDiscord, token: string, dir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return cleanEnv({
    DISCORD_TOKEN: token,
    DISCORD_CLIENT_ID: fake.applicationId,
    DISCORD_API_URL: fake.url,
    MODEL_DIR: path.join(dir, 'models'),
    ALLOW_REMOTE_MODELS: 'false',
    DATA_DIR: path.join(dir, 'data'),
    ...extra,
  });
}

/**
 * The message tests' corpus in `dir`/corpus (the seed articles plus the made-up follow-up ones) and the
 * tiny model in `dir`/models; returns the corpus folder.
 */
export async function messageCorpus(dir: string): Promise<string> {
  const corpus = path.join(dir, 'corpus');
  await cp(fileURLToPath(new URL('../../corpus', import.meta.url)), corpus, { recursive: true });
  await writeFollowUpCorpus(corpus);
  await createTinyModel(path.join(dir, 'models'), { words: ['Kherson', 'Saldo', 'Mykolaiv', 'Dniprovka', 'Odesa'] });
  return corpus;
}

/** Limits no test reaches unless it sets its own (a test of a member's allowance sets RATE_LIMIT_MAX), one search worker, debug logs. */
export const ROOMY_LIMITS = {
  RATE_LIMIT_CEILING_MAX: '100',
  USER_RATE_LIMIT_MAX: '1000',
  GUILD_RATE_LIMIT_MAX: '1000',
  SEARCH_WORKERS: '1',
  LOG_LEVEL: 'debug',
} as const;

/** What every bot test's afterAll does: the bot killed, the stand-in closed, the temp folder removed. */
export async function stopAll(bot: BotProcess | undefined, fake: FakeDiscord | undefined, dir: string): Promise<void> {
  await bot?.stop('SIGKILL');
  await fake?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
}

export interface StartOptions {
  /** Relative to the repository root; `src/bot/sharded.ts` when `shards` is given. */
  script?: string;
  /** How long the bot (with `shards`, the manager: every shard) may take to be ready. */
  readyMs: number;
  /** What counts as ready, when not the `ready` log line (e.g. also an error, to fail fast). */
  ready?: (l: LogLine) => boolean;
  /** Also wait this long for the embedding model to load (or keyword search only to be chosen). */
  modelMs?: number;
  /** Run `src/bot/sharded.ts` with this many shards and wait for each shard's own `ready` line. */
  shards?: number;
}

/**
 * Starts the bot in `cwd` and resolves once it is ready. If it never gets there, the process is
 * killed before the error is passed on: a failed start leaves no bot behind for afterAll to miss.
 */
export async function startBot(env: NodeJS.ProcessEnv, cwd: string, options: StartOptions): Promise<BotProcess> {
  const bot = new BotProcess(options.script ?? (options.shards ? 'src/bot/sharded.ts' : 'src/bot/main.ts'), env, cwd);
  try {
    if (options.shards) {
      await bot.waitForLog((l) => l.msg === 'all shards ready', options.readyMs, 'every shard to be ready');
      // The manager hears of a shard's readiness over IPC, a moment before that shard's own log line.
      for (let shard = 0; shard < options.shards; shard++) await bot.waitForLog((l) => l.msg === 'ready' && l.shard === shard, 10_000, `shard ${shard} to log ready`);
    } else {
      await bot.waitForLog(options.ready ?? ((l) => l.msg === 'ready'), options.readyMs, 'the bot to be ready');
    }
    if (options.modelMs) await bot.waitForLog((l) => l.msg === 'embedding model loaded' || l.msg === 'keyword search only', options.modelMs, 'the model to load');
  } catch (err) {
    await bot.stop('SIGKILL');
    throw err;
  }
  return bot;
}

/** A guild id routed to each of `count` shards: result[n] → shard n. */
export function guildPerShard(count: number): string[] {
  const guilds: string[] = [];
  // Snowflakes one millisecond apart differ in (id >> 22) by one: consecutive ones cycle through the shards.
  for (let t = Date.now(); guilds.filter(Boolean).length < count; t++) {
    const id = snowflake(t);
    guilds[shardOf(id, count)] ??= id;
  }
  return guilds;
}

export const isCallback = (i: SentInteraction) => (r: RecordedRequest) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`;
export const isEdit = (i: SentInteraction) => (r: RecordedRequest) => r.method === 'PATCH' && r.path.endsWith(`/${i.token}/messages/@original`);

/** The bot's response to an interaction (its callback), and how long after sending it came. */
export async function callbackOf<B>(fake: FakeDiscord, i: SentInteraction, timeoutMs: number, what = `the response to interaction ${i.id}`): Promise<{ body: B; ms: number }> {
  const r = await fake.waitForRequest(isCallback(i), timeoutMs, what);
  return { body: r.body as B, ms: r.at - i.sentAt };
}

/** The first edit of an interaction's reply (past or future) whose body `pred` accepts. */
export async function editOf<B>(fake: FakeDiscord, i: SentInteraction, timeoutMs: number, pred: (b: B) => boolean = () => true, what = `an edit of interaction ${i.id}'s reply`): Promise<B> {
  const r = await fake.waitForRequest((r) => isEdit(i)(r) && pred(r.body as B), timeoutMs, what);
  return r.body as B;
}
