/** `npm run deploy-commands`: registers the commands of commands/ to one server or globally. */
import { REST, Routes } from 'discord.js';
import { ConfigError } from '../config.js';
import { loadDotenv } from '../env.js';
import { loadCommands } from './commands.js';
import { loadDiscordConfig, restApiBase } from './config.js';

loadDotenv();

try {
  const config = loadDiscordConfig();
  const body = [...(await loadCommands()).values()].map((c) => c.data.toJSON());
  const api = restApiBase(config);
  const rest = new REST(api ? { api } : {}).setToken(config.DISCORD_TOKEN);
  const guild = config.DISCORD_GUILD_ID;
  const route = guild ? Routes.applicationGuildCommands(config.DISCORD_CLIENT_ID, guild) : Routes.applicationCommands(config.DISCORD_CLIENT_ID);
  const saved = (await rest.put(route, { body })) as { name: string }[];
  const names = saved.map((c) => c.name).join(', ');
  process.stdout.write(
    guild
      ? `Registered ${saved.length} commands to server ${guild} (available now): ${names}\n`
      : `Registered ${saved.length} global commands (Discord may take a few minutes to show them everywhere): ${names}\n`,
  );
} catch (err) {
  const e = err as Error & { status?: number; code?: string };
  let message = err instanceof ConfigError ? `${e.message}\nSee .env.example.` : `Could not register the commands: ${e.message}`;
  if (e.code === 'ECONNREFUSED' || e.code === 'ENOTFOUND' || e.code === 'ETIMEDOUT') message += '\nIs the network up, and DISCORD_API_URL (if set) right?';
  if (e.status === 401) message = 'Discord rejected DISCORD_TOKEN: reset it in the Developer Portal (Bot → Reset Token) and update .env.';
  if (e.status === 403 || e.status === 404) message += '\nCheck DISCORD_CLIENT_ID, and that the bot was invited to DISCORD_GUILD_ID with the applications.commands scope.';
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}
