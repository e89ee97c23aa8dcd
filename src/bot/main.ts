/** `npm start`: opens (or first builds) the index, connects to Discord and serves the commands. */
import { Events } from 'discord.js';
import { ConfigError } from '../config.js';
import { loadDotenv } from '../env.js';
import { IndexError } from '../storage/errors.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import type { Searcher } from '../search/searcher.js';
import { openOrBuild } from '../open.js';
import { createClient } from './client.js';
import { loadCommands } from './commands.js';
import { loadBotConfig, type BotConfig } from './config.js';
import type { BotContext } from './context.js';
import { FeedbackStore } from './feedback.js';
import { IndexHolder } from './index-holder.js';
import { createLogger } from './logger.js';
import { RateLimiter } from './rate-limit.js';
import { Reindexer } from './reindex.js';
import { routeInteractions } from './router.js';
import { SessionStore } from './sessions.js';

loadDotenv();

let config: BotConfig;
try {
  config = loadBotConfig();
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\nSee .env.example for every setting.\n`);
  process.exit(1);
}

const log = createLogger({ level: config.LOG_LEVEL, secrets: [config.DISCORD_TOKEN] });
const explicitModel = process.env.EMBEDDING_MODEL || undefined;

try {
  const commands = await loadCommands();
  const open = (): Promise<Searcher> =>
    openOrBuild(config, config.INDEX_DIR, {
      model: 'background',
      explicitModel,
      onProgress: (p) => p.message && log.info({ stage: p.stage }, p.message),
      onBuilt: (report) => log.info({ articles: report.articles, chunks: report.chunks, mode: report.mode, ms: report.totalMs }, 'built the index (there was none)'),
      onConnectionError: (err) => log.warn({ reason: err.message }, 'database connection lost; reconnecting on the next question'),
    });
  // A database that is down at startup is waited for (one line per attempt), not a crash.
  let searcher: Searcher | undefined;
  for (let attempt = 1; !searcher; attempt++) {
    try {
      searcher = await open();
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
      log.error({ attempt }, `${err.message} Retrying in 5 s.`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
  const status = searcher.status();
  log.info({ dir: status.dir, articles: status.articles, chunks: status.chunks, model: status.model }, 'index opened');
  void searcher.ready().then(() => {
    const s = searcher.status();
    log.info({ mode: s.mode, modelError: s.modelError }, s.mode === 'hybrid' ? 'embedding model loaded' : 'keyword search only');
  });

  const ctx: BotContext = {
    config,
    log,
    index: new IndexHolder(searcher),
    limiter: new RateLimiter(config.RATE_LIMIT_MAX, config.RATE_LIMIT_WINDOW_SECONDS * 1000),
    sessions: new SessionStore(),
    feedback: new FeedbackStore(config.DATA_DIR),
    reindexer: new Reindexer(log),
    explicitModel,
    startedAt: new Date(),
  };

  const client = createClient(config);
  routeInteractions(client, commands, ctx);
  client.once(Events.ClientReady, (c) => log.info({ user: c.user.tag, guilds: c.guilds.cache.size, commands: [...commands.keys()] }, 'ready'));
  client.on(Events.Error, (err) => log.error({ err }, 'client error'));
  client.on(Events.Warn, (message) => log.warn(message));
  client.on(Events.Debug, (message) => log.trace(message));

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000).unref();
    await ctx.reindexer.stop();
    await client.destroy();
    clearTimeout(force);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  await client.login(config.DISCORD_TOKEN);
} catch (err) {
  const e = err as Error & { code?: string };
  if (err instanceof IndexError) log.fatal(e.message);
  else if (e.code === 'TokenInvalid') log.fatal('Discord rejected DISCORD_TOKEN: reset the token in the Developer Portal (Bot → Reset Token) and update .env.');
  else log.fatal({ err }, 'the bot could not start');
  process.exit(1);
}
