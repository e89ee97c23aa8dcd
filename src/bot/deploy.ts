/** `npm run deploy-commands`: registers the commands of commands/ to one server or globally, or removes them. */
import { Command } from 'commander';
import { REST, Routes } from 'discord.js';
import { commandLine, usageName } from '../command-line.js';
import { ConfigError } from '../config.js';
import { loadDotenv } from '../env.js';
import { loadCommands } from './commands.js';
import { loadDiscordConfig, restApiBase } from './config.js';

const SNOWFLAKE = /^\d{17,20}$/;

const cli = new Command(usageName('deploy-commands'))
  .description('Register the bot\'s slash commands with Discord (to DISCORD_GUILD_ID, or globally), or remove them with --clear.')
  .option('--clear', 'remove every registered command instead (e.g. the server copies after switching to global registration)')
  .option('--guild <id>', 'this server instead of DISCORD_GUILD_ID')
  .option('--global', 'global commands, even if DISCORD_GUILD_ID is set')
  .addHelpText(
    'after',
    `
Needs DISCORD_TOKEN and DISCORD_CLIENT_ID (environment or .env; see .env.example).
Server commands appear at once; global ones may take a few minutes to show everywhere.
Examples:
  ${commandLine('deploy-commands')}
      register (to DISCORD_GUILD_ID if set)
  ${commandLine('deploy-commands', '--clear --guild 123456789012345678')}
      remove one server's copies`,
  )
  .parse();
const opts = cli.opts<{ clear?: boolean; guild?: string; global?: boolean }>();

loadDotenv();

try {
  if (opts.guild !== undefined && !SNOWFLAKE.test(opts.guild)) throw new ConfigError('--guild must be a Discord server ID of 17–20 digits (Developer Mode → right-click the server → Copy Server ID).');
  if (opts.guild && opts.global) throw new ConfigError('--guild and --global contradict each other: pick one.');
  const config = loadDiscordConfig();
  const api = restApiBase(config);
  const rest = new REST(api ? { api } : {}).setToken(config.DISCORD_TOKEN);
  const guild = opts.global ? undefined : (opts.guild ?? config.DISCORD_GUILD_ID);
  const route = guild ? Routes.applicationGuildCommands(config.DISCORD_CLIENT_ID, guild) : Routes.applicationCommands(config.DISCORD_CLIENT_ID);
  const where = guild ? `server ${guild}` : 'global';
  if (opts.clear) {
    // Overwriting the list with an empty one removes every command in one request.
    await rest.put(route, { body: [] });
    process.stdout.write(`Removed every ${where} command of application ${config.DISCORD_CLIENT_ID}.\n`);
  } else {
    const body = [...(await loadCommands()).values()].map((c) => c.data.toJSON());
    const saved = (await rest.put(route, { body })) as { name: string }[];
    const names = saved.map((c) => c.name).join(', ');
    process.stdout.write(
      guild
        ? `Registered ${saved.length} commands to server ${guild} (available now): ${names}\n`
        : `Registered ${saved.length} global commands (Discord may take a few minutes to show them everywhere): ${names}\n`,
    );
  }
} catch (err) {
  const e = err as Error & { status?: number; code?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code;
  let message = err instanceof ConfigError ? `${e.message}\nSee .env.example.` : `Could not ${opts.clear ? 'remove' : 'register'} the commands: ${e.message}`;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EAI_AGAIN') message += '\nIs the network up, and DISCORD_API_URL (if set) right?';
  if (e.status === 401) message = 'Discord rejected DISCORD_TOKEN: reset it in the Developer Portal (Bot → Reset Token) and update .env.';
  if (e.status === 403 || e.status === 404) message += '\nCheck DISCORD_CLIENT_ID, and that the bot was invited to the server with the applications.commands scope.';
  process.stderr.write(`${message}\n`);
  process.exitCode = 1;
}
