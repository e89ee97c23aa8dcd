/**
 * `npm run start:sharded`: runs the bot (main.ts) once per shard under discord.js's ShardingManager.
 * Each shard is the normal bot process with its own search workers on the same index. A /reindex on
 * one shard is announced to this manager over IPC and forwarded to every other shard, which reopens
 * the index in place (the index lock keeps a second, concurrent /reindex from running at all).
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { commandLine, usageName } from '../command-line.js';
import { ShardingManager, type Shard } from 'discord.js';
import { loadDotenv } from '../env.js';
import { loadBotConfigOrExit, restApiBase, type BotConfig } from './config.js';
import { databaseSecrets } from '../storage/postgres/sql.js';
import { createLogger, defaultLogFormat } from './logger.js';
import { REINDEXED } from './reindex.js';

new Command(usageName('start --sharded'))
  .description("Archivist's Discord bot split into shards (one bot process per shard), for bots in many servers.")
  .addHelpText(
    'after',
    `
Same settings as ${commandLine('start')} (see .env.example), plus SHARD_COUNT: a number of shards, or auto
(default) for Discord's recommendation. Each shard opens the same index; a /reindex on any shard
runs once, and every shard then answers from the new index.`,
  )
  .parse();

loadDotenv();

const config: BotConfig = loadBotConfigOrExit();
const log = createLogger({ level: config.LOG_LEVEL, secrets: [config.DISCORD_TOKEN], exact: databaseSecrets(config.DATABASE_URL), format: config.LOG_FORMAT ?? defaultLogFormat() }).child({ manager: true });

// Compiled, the shards run dist's main.js on plain node; in development main.ts through tsx (as reindex.ts does).
const COMPILED = import.meta.url.endsWith('.js');
const BOT = fileURLToPath(new URL(COMPILED ? './main.js' : './main.ts', import.meta.url));
const execArgv = COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href];

/** Discord's recommended shard count, asked of DISCORD_API_URL when set (discord.js's helper always asks discord.com). */
async function recommendedShards(cfg: BotConfig): Promise<number> {
  const base = restApiBase(cfg) ?? 'https://discord.com/api';
  const res = await fetch(`${base}/v10/gateway/bot`, { headers: { Authorization: `Bot ${cfg.DISCORD_TOKEN}` } });
  if (res.status === 401) throw new Error('Discord refused DISCORD_TOKEN (401): copy it again from Developer Portal → Bot.');
  if (!res.ok) throw new Error(`Could not get the recommended shard count from Discord (HTTP ${res.status}); set SHARD_COUNT to a number.`);
  const body = (await res.json()) as { shards?: unknown };
  if (typeof body.shards !== 'number' || body.shards < 1) throw new Error('Discord did not say how many shards to use; set SHARD_COUNT to a number.');
  return body.shards;
}

try {
  const totalShards = config.SHARD_COUNT === 'auto' ? await recommendedShards(config) : config.SHARD_COUNT;
  const manager = new ShardingManager(BOT, { totalShards, token: config.DISCORD_TOKEN, execArgv, mode: 'process' });
  manager.on('shardCreate', (shard: Shard) => {
    log.info({ shardId: shard.id, of: totalShards }, 'shard started');
    shard.on('death', () => log.error({ shardId: shard.id }, 'shard process exited; restarting it'));
    shard.on('message', (msg: unknown) => {
      if ((msg as { type?: unknown } | null)?.type !== REINDEXED) return;
      log.info({ from: shard.id }, 'index rebuilt on a shard; telling the others to reopen it');
      for (const other of manager.shards.values()) {
        if (other.id !== shard.id) other.send({ type: REINDEXED }).catch((err: unknown) => log.error({ err, shardId: other.id }, 'could not tell a shard to reopen the index'));
      }
    });
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    manager.respawn = false;
    log.info({ signal }, 'stopping the shards');
    const force = setTimeout(() => process.exit(1), 15_000).unref();
    // Each shard shuts down cleanly on SIGTERM (main.ts); respawn is off once we are stopping.
    const exits = [...manager.shards.values()].map(
      (shard) =>
        new Promise<void>((resolve) => {
          shard.removeAllListeners('death');
          if (!shard.process || shard.process.exitCode !== null) return resolve();
          shard.process.once('exit', () => resolve());
          shard.process.kill('SIGTERM');
        }),
    );
    void Promise.all(exits).then(() => {
      clearTimeout(force);
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // One shard at a time: each waits for the previous to be ready (the first builds a missing index).
  await manager.spawn({ timeout: 120_000 });
  log.info({ shards: totalShards }, 'all shards ready');
} catch (err) {
  log.fatal((err as Error).message);
  process.exit(1);
}
