/** `npm start`: opens (or first builds) the index in the search workers, connects to Discord and serves the commands. */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { commandLine, usageName } from '../command-line.js';
import { Events, type Client } from 'discord.js';
import { corpusPaths, storeTarget } from '../config.js';
import { loadDotenv } from '../env.js';
import { corpusInputs, removeStaleIncoming } from '../ingest/kept-sources.js';
import { runIndex } from '../indexer/run.js';
import { MissingIndexError } from '../storage/errors.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import type { IndexStatus } from '../types.js';
import { anyAskChannels, storedAskChannels } from './ask-channels.js';
import { createClient } from './client.js';
import { loadCommands } from './commands.js';
import { healthFilePath, loadBotConfigOrExit, type BotConfig } from './config.js';
import type { BotContext } from './context.js';
import { databaseSecrets } from '../storage/postgres/sql.js';
import { createLogger, defaultLogFormat, isSecretDebugLine, type Logger } from './logger.js';
import { RateLimiter } from './rate-limit.js';
import { refreshOutlets } from './index-update.js';
import { Operators } from './operators.js';
import { OutletCache } from './outlets.js';
import { Launcher } from './launcher.js';
import { REINDEXED, Reindexer } from './reindex.js';
import { routeMessages } from './messages.js';
import { routeInteractions } from './router.js';
import { SearchPool } from './search-pool.js';
import { SessionStore } from './sessions.js';
import { BotState } from './state/store.js';
import { isDisallowedIntents, startupFailure } from './startup-errors.js';
import { ThreadChains } from './threads.js';
import { watchEventLoop } from './loop-delay.js';
import { makeFolder } from '../storage/make-folder.js';

new Command(usageName('start'))
  .description('Archivist\'s Discord bot: answers /ask, /cite, "Find sources", /sources, /status and /reindex from the index.')
  .addHelpText(
    'after',
    `
Settings come from the environment or .env (see .env.example): DISCORD_TOKEN and DISCORD_CLIENT_ID
are required; INDEX_DIR and CORPUS_PATHS say where the index and articles are (the index is built
first if there is none); DATA_DIR holds the bot's state file (state.db: per-server settings, and with
FEEDBACK=on the question log and votes); SEARCH_WORKERS, LOG_LEVEL, LOG_FORMAT, RATE_LIMIT_*;
ASK_CHANNEL_IDS (channels where every question is answered; needs the Message Content intent).
Besides the commands, it answers @mentions, and follow-ups in the threads it answers in.
Register the slash commands first: ${commandLine('deploy-commands')}.`,
  )
  .parse();

loadDotenv();

const config: BotConfig = loadBotConfigOrExit();

// Under `npm run start:sharded` discord.js's ShardingManager runs this file once per shard and says
// which one in SHARDS (read by the client too); every log line then names its shard.
const shardId = process.env.SHARDS !== undefined && process.send ? Number(process.env.SHARDS) : undefined;
const baseLog = createLogger({ level: config.LOG_LEVEL, secrets: [config.DISCORD_TOKEN], exact: databaseSecrets(config.DATABASE_URL), format: config.LOG_FORMAT ?? defaultLogFormat() });
const log = shardId === undefined ? baseLog : baseLog.child({ shard: shardId });
const explicitModel = process.env.EMBEDDING_MODEL?.trim() || undefined; // blank is unset, as the config reads it
// Started now, while the bot is small: index builds are forked from it, never from the bot (launcher.ts).
const launcher = new Launcher();
// Whatever way the bot exits (a startup error, a shutdown, a crash), its launcher goes with it.
process.once('exit', () => launcher.kill());
log.debug({ pid: launcher.pid }, 'process launcher started');

/**
 * Starts the search workers on the index, building it first when there is none at all. A database
 * that is down at startup (PostgreSQL) is waited for, one line per attempt, not a crash.
 */
async function startSearch(pool: SearchPool, cfg: BotConfig, logger: Logger): Promise<IndexStatus> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await pool.start();
    } catch (err) {
      if (err instanceof DatabaseUnavailableError) {
        logger.error({ attempt }, `${err.message} Retrying in 5 s.`);
        await new Promise((resolve) => setTimeout(resolve, 5000));
        continue;
      }
      if (!(err instanceof MissingIndexError)) throw err;
      break;
    }
  }
  const inputs = await corpusInputs(corpusPaths(cfg), cfg.DATA_DIR);
  const report = await runIndex(storeTarget(cfg, cfg.INDEX_DIR), {
    corpus: inputs.corpus,
    exclude: inputs.exclude,
    settings: cfg,
    onProgress: (p) => p.message && logger.info({ stage: p.stage }, p.message),
  });
  logger.info({ articles: report.articles, chunks: report.chunks, mode: report.mode, ms: report.totalMs }, 'built the index (there was none)');
  return pool.start();
}

const pool = new SearchPool({
  dir: config.INDEX_DIR,
  settings: { ...config, explicitModel },
  workers: config.SEARCH_WORKERS,
  maxQueue: 2000,
});
// Before the workers start: a vector file's background check can fail while they open.
pool.on('notice', (message: string) => log.warn({ reason: message }, 'search index notice'));

let state: BotState | undefined;
let messageContent = false;
try {
  // Opened first: a damaged state file is a one-line startup error before anything else starts.
  state = BotState.open(
    config.DATA_DIR,
    { adminRoleIds: config.ADMIN_ROLE_IDS, rateLimitMax: config.RATE_LIMIT_MAX, rateLimitWindowSeconds: config.RATE_LIMIT_WINDOW_SECONDS, visibility: 'public' },
    { importLegacy: config.FEEDBACK === 'on', onNotice: (message) => log.info(message), writable: true },
  );
  // Reading every message of the ask channels needs the privileged Message Content intent: only then is it requested.
  // Servers' own ask channels count only where the operator allows them (ALLOW_ASK_CHANNELS), as the intent applies to every server.
  messageContent = anyAskChannels({ config, state });
  const stored = storedAskChannels({ config, state });
  if (stored.ignored.length > 0) {
    log.warn(
      { guilds: stored.ignored },
      'Ask channels set with /settings in these servers are not answered: ALLOW_ASK_CHANNELS does not allow them (they need the Message Content intent, which applies to every server). Add the servers (or all) to ALLOW_ASK_CHANNELS to answer them.',
    );
  }
  const commands = await loadCommands();
  const status = await startSearch(pool, config, log);
  log.info({ dir: status.dir, articles: status.articles, chunks: status.chunks, model: status.model, workers: pool.size }, 'index opened');
  pool.on('models-settled', (s: IndexStatus) => log.info({ mode: s.mode, modelError: s.modelError }, s.mode === 'hybrid' ? 'embedding model loaded' : 'keyword search only'));
  pool.on('worker-exit', ({ code }: { code: number }) => log.error({ code }, 'a search worker stopped; started a new one'));
  pool.on('worker-error', (err: unknown) => log.error({ err }, 'search worker error'));

  const ctx: BotContext = {
    config,
    log,
    search: pool,
    lastReindex: undefined,
    indexProblem: undefined,
    limiter: new RateLimiter(),
    sessions: new SessionStore(),
    state,
    threads: new ThreadChains(),
    reindexer: new Reindexer(log, process.env, launcher),
    operators: new Operators(),
    outlets: new OutletCache(pool),
    startedAt: new Date(),
    // Sharded: the manager (sharded.ts) forwards this to every other shard, which reopens the index.
    announceReindex: () => {
      if (shardId !== undefined) process.send?.({ type: REINDEXED });
    },
  };
  if (shardId !== undefined) {
    process.on('message', (msg: unknown) => {
      if ((msg as { type?: unknown } | null)?.type !== REINDEXED) return;
      ctx.search.reopen().then(
        (s) => {
          log.info({ articles: s.articles, chunks: s.chunks }, 'reopened the index after a reindex on another shard');
          ctx.indexProblem = undefined;
          void refreshOutlets(ctx);
        },
        (err: unknown) => log.error({ err }, 'could not reopen the index after a reindex on another shard'),
      );
    });
  }

  await refreshOutlets(ctx);
  const stale = await removeStaleIncoming(config.DATA_DIR).catch(() => 0);
  if (stale) log.info({ files: stale }, 'deleted downloads a previous run left half-checked (DATA_DIR/sources/.incoming)');
  if (messageContent) {
    log.warn(
      { askChannels: config.ASK_CHANNEL_IDS, askChannelGuilds: stored.allowed },
      'Ask channels are set (ASK_CHANNEL_IDS or /settings): requesting the privileged Message Content intent. Enable it in the Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent, or Discord refuses the connection (close code 4014).',
    );
  }
  // For container health checks: a file rewritten while the bot is connected (see healthcheck.ts).
  const healthFile = healthFilePath(config);
  const beat = (): void => {
    const body = JSON.stringify({ at: new Date().toISOString(), ready: client.isReady(), ping: client.ws.ping, waiting: pool.waiting, workers: pool.size });
    // Its folder (DATA_DIR by default) is made on the first beat, once connected: not by a start that fails.
    makeFolder(path.dirname(healthFile), 'set HEALTH_FILE to a writable place')
      .then(() => writeFile(healthFile, `${body}\n`))
      .catch((err: unknown) => log.warn({ err, file: healthFile }, 'could not write HEALTH_FILE'));
  };
  /** A client with the given intents, wired to the commands, messages and logs. */
  const connect = (withContent: boolean): Client => {
    const c = createClient(config, { messageContent: withContent });
    routeInteractions(c, commands, ctx);
    routeMessages(c, ctx);
    c.once(Events.ClientReady, (ready) => {
      log.info({ user: ready.user.tag, guilds: ready.guilds.cache.size, commands: [...commands.keys()] }, 'ready');
      // The embedding model loads now, one search worker at a time: loading it holds a worker and a
      // core for seconds, so start-up does not wait for it, and questions are answered from keywords meanwhile.
      void pool.loadModels();
      // Who may change the shared index, said once at start (and the owner fetched before anyone asks).
      if (config.SOURCES_GUILD_IDS.length > 0) log.info({ guilds: config.SOURCES_GUILD_IDS }, 'the shared index can be changed by the admins of the SOURCES_GUILD_IDS servers');
      else {
        ctx.operators.ids(ready).then(
          (ids) => log.info({ operators: [...ids] }, "the shared index can be changed by the application's owner (or team) only: SOURCES_GUILD_IDS names no server"),
          (err: unknown) => log.warn({ err }, 'could not fetch the application owner from Discord (asked again on the next index change)'),
        );
      }
    });
    c.on(Events.Error, (err) => log.error({ err }, 'client error'));
    c.on(Events.Warn, (message) => log.warn(message));
    // discord.js prints part of the token in some debug lines: those are dropped, not just scrubbed.
    c.on(Events.Debug, (message) => {
      if (!isSecretDebugLine(message)) log.trace(message);
    });
    c.once(Events.ClientReady, beat);
    return c;
  };
  let client = connect(messageContent);
  const heartbeat = setInterval(beat, 30_000).unref();
  const stopWatch = watchEventLoop(log);

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    clearInterval(heartbeat);
    stopWatch();
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await ctx.reindexer.stop();
    await client.destroy();
    await pool.modelsSettled(5_000);
    await pool.close();
    ctx.state.close();
    clearTimeout(force);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await client.login(config.DISCORD_TOKEN);
  } catch (err) {
    // Ask channels a server set with /settings must not take the bot down for every server: without the
    // intent it goes on answering commands and mentions. (ASK_CHANNEL_IDS is the operator's own choice:
    // a refusal of it stops the bot with the fix.)
    if (!(messageContent && config.ASK_CHANNEL_IDS.length === 0 && isDisallowedIntents(err))) throw err;
    log.error(
      'Discord refused the privileged Message Content intent (close code 4014) that the ask channels set with /settings need. Continuing without it: commands and mentions work, ask channels are not answered. Enable it in the Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent, then restart the bot.',
    );
    await client.destroy();
    messageContent = false;
    client = connect(false);
    await client.login(config.DISCORD_TOKEN);
  }
} catch (err) {
  const failure = startupFailure(err, config, { messageContent });
  if (failure.detail) log.debug({ err }, 'startup error details');
  log.fatal(failure.message);
  state?.close();
  await pool.modelsSettled(15_000);
  await pool.close();
  process.exit(1);
}
