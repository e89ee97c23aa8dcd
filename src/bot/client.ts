import { Client, GatewayIntentBits, Options, Partials } from 'discord.js';
import { restApiBase, type DiscordConfig } from './config.js';
import { NO_MENTIONS } from './format.js';

/**
 * The gateway intents, in one place. Guilds: slash commands, channels and threads. GuildMessages:
 * messages in servers — without Message Content, Discord still sends the text of the ones that
 * mention the bot (and empty text for the rest). The privileged Message Content intent only when
 * the bot must read every message of its ask channels and threads.
 */
export function gatewayIntents(messageContent: boolean): GatewayIntentBits[] {
  const intents = [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages];
  return messageContent ? [...intents, GatewayIntentBits.MessageContent] : intents;
}

const MESSAGES_PER_CHANNEL = 10;

/**
 * discord.js's Client takes SHARD_COUNT from the environment whenever no option differs from its
 * default. A ShardingManager child gets a number there from the manager; anywhere else SHARD_COUNT is
 * the operator's setting for `start:sharded` ("auto" in .env.example, loaded by dotenv), which the
 * client would read as NaN shards. So outside a manager's child it is taken out of the environment
 * before a client is made: one process is one shard.
 */
export function dropOperatorShardCount(env: NodeJS.ProcessEnv): void {
  if (env.SHARDING_MANAGER !== 'true') delete env.SHARD_COUNT;
}

/**
 * The discord.js client with `gatewayIntents(messageContent)`; REST goes to DISCORD_API_URL when
 * set, and the gateway URL then comes from that server's /gateway/bot.
 */
export function createClient(
  config: Pick<DiscordConfig, 'DISCORD_API_URL'>,
  options: { messageContent?: boolean } = {},
): Client {
  const api = restApiBase(config);
  dropOperatorShardCount(process.env);
  return new Client({
    intents: gatewayIntents(options.messageContent ?? false),
    // A default as well as per reply: nothing the bot sends may ping.
    allowedMentions: NO_MENTIONS,
    rest: api ? { api } : {},
    // With GuildMessages, discord.js would keep the last 200 messages of every channel it sees: memory
    // that grows with the servers' activity, for messages the bot mostly ignores. It needs only the few
    // it answers (each arrives with its event, or is fetched).
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: MESSAGES_PER_CHANNEL }),
    // So a deleted question is reported even once it left that small cache: its answer goes with it (messages.ts).
    partials: [Partials.Message],
  });
}
