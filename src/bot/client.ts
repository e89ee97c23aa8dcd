import { Client, GatewayIntentBits, Options } from 'discord.js';
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
 * The discord.js client with `gatewayIntents(messageContent)`; REST goes to DISCORD_API_URL when
 * set, and the gateway URL then comes from that server's /gateway/bot.
 */
export function createClient(config: Pick<DiscordConfig, 'DISCORD_API_URL'>, options: { messageContent?: boolean } = {}): Client {
  const api = restApiBase(config);
  return new Client({
    intents: gatewayIntents(options.messageContent ?? false),
    // A default as well as per reply: nothing the bot sends may ping.
    allowedMentions: NO_MENTIONS,
    rest: api ? { api } : {},
    // With GuildMessages, discord.js would keep the last 200 messages of every channel it sees: memory
    // that grows with the servers' activity, for messages the bot mostly ignores. It needs only the few
    // it answers (each arrives with its event, or is fetched).
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: MESSAGES_PER_CHANNEL }),
  });
}
