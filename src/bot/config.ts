import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, coreConfigSchema, int, parseWith } from '../config.js';

/*
 * Bot settings on top of the core's (corpus, index, model), read from the environment (.env).
 * Messages are printed as "NAME: message" by parseWith, so they do not repeat the name, and
 * never echo the value (the token is a secret).
 */

/** A Discord ID (snowflake): 17–20 digits. */
export const SNOWFLAKE = /^\d{17,20}$/;
const snowflake = (required?: string) =>
  z.string(required ? { required_error: required } : {}).regex(SNOWFLAKE, 'must be a Discord ID of 17–20 digits (Developer Mode → right-click → Copy ID)');

/** Accepts "http://host:port" or "http://host:port/api"; we add /api ourselves. */
const apiUrl = z
  .string()
  .url('must be a URL such as http://127.0.0.1:8080')
  .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
  .transform((u) => u.replace(/\/+$/, '').replace(/\/api$/, ''));

/** What talking to Discord needs: shared by the bot and `npm run deploy-commands`. */
export const discordConfigSchema = z.object({
  DISCORD_TOKEN: z
    .string({ required_error: 'required: Developer Portal → your application → Bot → Reset Token' })
    .regex(/^[\w-]+\.[\w-]+\.[\w-]+$/, 'does not look like a bot token (three dot-separated parts): copy it again from Developer Portal → Bot'),
  DISCORD_CLIENT_ID: snowflake('required: Developer Portal → your application → General Information → Application ID'),
  /** Register commands to this server only (instant) instead of globally. */
  DISCORD_GUILD_ID: snowflake().optional(),
  /** Another Discord-compatible base URL (a local stand-in for tests). */
  DISCORD_API_URL: apiUrl.optional(),
});

/** A comma-separated list of Discord IDs; `message` says which kind when one is not an ID. */
const idList = (message: string) =>
  z
    .string()
    .transform((s) => s.split(',').map((id) => id.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(SNOWFLAKE, message)));

const roleIds = idList('must be comma-separated role IDs of 17–20 digits each');

const guildIds = idList('must be comma-separated server IDs of 17–20 digits each (Developer Mode → right-click the server → Copy Server ID)');
const channelIds = idList('must be comma-separated channel IDs of 17–20 digits each (Developer Mode → right-click the channel → Copy Channel ID)');

export const botConfigSchema = coreConfigSchema.merge(discordConfigSchema).extend({
  /** Roles allowed to run /reindex besides members with Administrator. */
  ADMIN_ROLE_IDS: roleIds.default(''),
  /**
   * Channels (text or forum) where every question-like message is answered, in a thread. Needs the
   * privileged Message Content intent, requested only when this is set.
   */
  ASK_CHANNEL_IDS: channelIds.default(''),
  /**
   * Servers whose ask channels set with /settings are answered (they need the privileged Message
   * Content intent, which then applies to every server): `all`, or server IDs. Unset: none.
   */
  ALLOW_ASK_CHANNELS: z
    .string()
    .trim()
    .transform((v) => (v.toLowerCase() === 'all' ? 'all' : v))
    .pipe(z.union([z.literal('all'), guildIds]))
    .default(''),
  /**
   * Servers whose admins may change the shared index (/sources add and remove, /reindex). Unset: only
   * the bot application's owner (or its team) — one index serves every server the bot is in.
   */
  SOURCES_GUILD_IDS: guildIds.default(''),
  /** Per member of a server: at most RATE_LIMIT_MAX searches per RATE_LIMIT_WINDOW_SECONDS (a server may change it, up to the ceiling). */
  RATE_LIMIT_MAX: int(1, 1000).default(5),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  /** The most a server's /settings rate-limit may allow each member: no more searches per window, and no faster. */
  RATE_LIMIT_CEILING_MAX: int(1, 1000).default(20),
  RATE_LIMIT_CEILING_WINDOW_SECONDS: int(1, 86_400).default(60),
  /** Per person, across every server: at most USER_RATE_LIMIT_MAX searches per USER_RATE_LIMIT_WINDOW_SECONDS. */
  USER_RATE_LIMIT_MAX: int(1, 10_000).default(20),
  USER_RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  /** Per server, all members together: its share of the search pool. */
  GUILD_RATE_LIMIT_MAX: int(1, 100_000).default(120),
  GUILD_RATE_LIMIT_WINDOW_SECONDS: int(1, 86_400).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** pretty (one readable line per event) or json (one JSON object per line); unset: pretty on a terminal, else json. */
  LOG_FORMAT: z.enum(['pretty', 'json'], { message: 'must be pretty or json' }).optional(),
  /** Worker threads answering searches, each holding the index open (default: one per core). */
  SEARCH_WORKERS: int(1, 64).default(os.availableParallelism()),
  /** off: no 👍/👎 buttons and nothing written to DATA_DIR/feedback.jsonl. */
  FEEDBACK: z.enum(['on', 'off'], { message: 'must be on or off' }).default('on'),
  /** A file the bot rewrites every 30 s while connected, for health checks (unset: DATA_DIR/health.json). */
  HEALTH_FILE: z.string().min(1).optional(),
  /**
   * /sources add: the largest file accepted, in megabytes (Discord's own upload limit is 10 MB
   * without boosts). At most 10: reading 10 MB of HTML takes ~12 s and ~400 MB in a worker thread
   * (measured, BENCHMARKS.md); beyond that, split the file.
   */
  SOURCES_MAX_FILE_MB: int(1, 10).default(10),
  /** /sources add: files per command (the command has ten attachment options). */
  SOURCES_MAX_FILES: int(1, 10).default(5),
  /** Shards under `npm run start:sharded`: a number, or auto (Discord's recommendation). */
  SHARD_COUNT: z
    .string()
    .trim()
    .refine((v) => v === 'auto' || (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 10_000), 'must be auto or a whole number of shards from 1 to 10000')
    .transform((v): 'auto' | number => (v === 'auto' ? 'auto' : Number(v)))
    .default('auto'),
});

export type DiscordConfig = z.infer<typeof discordConfigSchema>;
export type BotConfig = z.infer<typeof botConfigSchema>;

export function loadDiscordConfig(env: NodeJS.ProcessEnv = process.env): DiscordConfig {
  return parseWith(discordConfigSchema, env);
}

export function loadBotConfig(env: NodeJS.ProcessEnv = process.env): BotConfig {
  const config = parseWith(botConfigSchema, env);
  const ceiling = rateCeiling(config);
  if (!withinCeiling({ max: config.RATE_LIMIT_MAX, windowSeconds: config.RATE_LIMIT_WINDOW_SECONDS }, ceiling)) {
    throw new ConfigError(
      `Invalid configuration:\nRATE_LIMIT_MAX: ${config.RATE_LIMIT_MAX} per ${config.RATE_LIMIT_WINDOW_SECONDS} s (RATE_LIMIT_WINDOW_SECONDS) is above the ceiling of ${ceiling.max} per ${ceiling.windowSeconds} s (RATE_LIMIT_CEILING_MAX / RATE_LIMIT_CEILING_WINDOW_SECONDS): lower it or raise the ceiling`,
    );
  }
  return config;
}

/** A number of searches per window. */
export interface Rate {
  max: number;
  windowSeconds: number;
}

/** The operator's ceiling on a server's per-member rate limit. */
export function rateCeiling(config: Pick<BotConfig, 'RATE_LIMIT_CEILING_MAX' | 'RATE_LIMIT_CEILING_WINDOW_SECONDS'>): Rate {
  return { max: config.RATE_LIMIT_CEILING_MAX, windowSeconds: config.RATE_LIMIT_CEILING_WINDOW_SECONDS };
}

/** Whether `rate` stays under `ceiling`: no bigger burst (max) and no faster on average (max per second). */
export function withinCeiling(rate: Rate, ceiling: Rate): boolean {
  return rate.max <= ceiling.max && rate.max * ceiling.windowSeconds <= ceiling.max * rate.windowSeconds;
}

/** `rate` brought under `ceiling` (a limit stored before the ceiling was lowered): the ceiling itself when above it. */
export function capRate(rate: Rate, ceiling: Rate): Rate {
  return withinCeiling(rate, ceiling) ? rate : ceiling;
}

/** The bot's settings for an entry point (`npm start`, the shard manager): a bad one ends the process with what to fix. */
export function loadBotConfigOrExit(env: NodeJS.ProcessEnv = process.env): BotConfig {
  try {
    return loadBotConfig(env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\nSee .env.example for every setting.\n`);
    process.exit(1);
  }
}

const healthSchema = botConfigSchema.pick({ HEALTH_FILE: true, DATA_DIR: true });

/**
 * Where the heartbeat goes: HEALTH_FILE, or DATA_DIR/health.json when it is unset or empty. A default
 * rather than "none", so an empty `HEALTH_FILE=` copied from .env.example (which a container's env_file
 * passes through, overriding the image's own setting) still leaves the health check something to read.
 */
export function healthFilePath(config: Pick<BotConfig, 'HEALTH_FILE' | 'DATA_DIR'>): string {
  return config.HEALTH_FILE ?? path.join(config.DATA_DIR, 'health.json');
}

/** The heartbeat's path from the environment alone (the health check needs no token). */
export function healthFileFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return healthFilePath(parseWith(healthSchema, env));
}

/** The REST client's `api` option: Discord's own unless DISCORD_API_URL points at a stand-in. */
export function restApiBase(config: Pick<DiscordConfig, 'DISCORD_API_URL'>): string | undefined {
  return config.DISCORD_API_URL ? `${config.DISCORD_API_URL}/api` : undefined;
}
