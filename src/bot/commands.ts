import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  ApplicationCommandType,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type MessageContextMenuCommandInteraction,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import type { BotContext } from './context.js';

/**
 * A command module in commands/, as in discord.js's guide: `data` (a builder) and `execute`.
 * `execute` also gets the bot's context (the index, limits, stores) instead of reaching for globals.
 */
export interface CommandModule {
  data: { name: string; toJSON(): RESTPostAPIApplicationCommandsJSONBody };
  // Method syntax on purpose: each module declares the interaction type its command receives.
  execute(interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction, ctx: BotContext): Promise<void>;
  /** Buttons on this command's replies carry custom ids starting with `${buttonPrefix}:`. */
  buttonPrefix?: string;
  handleButton?(interaction: ButtonInteraction, ctx: BotContext): Promise<void>;
  /** Suggestions for this command's options marked `setAutocomplete(true)` (discord.js guide: `autocomplete`). */
  autocomplete?(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void>;
}

export const COMMANDS_DIR = fileURLToPath(new URL('../../commands/', import.meta.url));

function isCommandModule(value: unknown): value is CommandModule {
  const m = value as Partial<CommandModule> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    typeof m.data?.name === 'string' &&
    typeof m.data.toJSON === 'function' &&
    typeof m.execute === 'function' &&
    (m.handleButton === undefined || typeof m.buttonPrefix === 'string') &&
    (m.autocomplete === undefined || typeof m.autocomplete === 'function')
  );
}

/** Loads every module of commands/, by command name; a malformed module is an error naming its file. */
export async function loadCommands(dir = COMMANDS_DIR): Promise<Map<string, CommandModule>> {
  const files = (await readdir(dir)).filter((f) => /\.(ts|js|mjs)$/.test(f) && !/\.(d|test|spec)\.[mc]?[tj]s$/.test(f)).sort();
  const commands = new Map<string, CommandModule>();
  for (const file of files) {
    const mod: unknown = await import(pathToFileURL(path.join(dir, file)).href);
    if (!isCommandModule(mod)) throw new Error(`${path.join(dir, file)} is not a command module: it must export \`data\` (a command builder) and \`execute\`.`);
    if (commands.has(mod.data.name)) throw new Error(`Two command modules are named "${mod.data.name}" (one is ${file}).`);
    commands.set(mod.data.name, mod);
  }
  return commands;
}

export function commandType(command: CommandModule): ApplicationCommandType {
  return command.data.toJSON().type ?? ApplicationCommandType.ChatInput;
}
