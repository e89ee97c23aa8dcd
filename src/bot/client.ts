import { Client, GatewayIntentBits } from 'discord.js';
import { restApiBase, type DiscordConfig } from './config.js';
import { NO_MENTIONS } from './format.js';

/**
 * The discord.js client. Slash commands need only the Guilds intent (no privileged ones); REST
 * goes to DISCORD_API_URL when set, and the gateway URL then comes from that server's /gateway/bot.
 */
export function createClient(config: Pick<DiscordConfig, 'DISCORD_API_URL'>): Client {
  const api = restApiBase(config);
  return new Client({
    intents: [GatewayIntentBits.Guilds],
    // A default as well as per reply: nothing the bot sends may ping.
    allowedMentions: NO_MENTIONS,
    rest: api ? { api } : {},
  });
}
