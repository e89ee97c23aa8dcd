import { commandLine } from '../command-line.js';
import { Events, type AutocompleteInteraction, type Client, type Interaction } from 'discord.js';
import { ANSWER_PREFIX, handleAnswerButton } from './answers.js';
import type { CommandModule } from './commands.js';
import type { BotContext } from './context.js';
import { replyPrivately } from './reply.js';
import { PoolBusyError } from './search-pool.js';
import { isUnreachable } from '../storage/postgres/sql.js';
import { AccessError, IndexBusyError, IndexError } from '../storage/errors.js';

export const FAILED = 'Something went wrong on my side while handling this; it has been logged. Please try again in a moment.';
export const BUSY = 'I am answering a great many questions at once right now. Please try again in a minute.';
/** The index's database (PostgreSQL) cannot be reached: the bot keeps running and its pool reconnects on the next question. */
export const UNAVAILABLE = 'Search is unavailable right now: the index database cannot be reached. Please try again in a minute.';
/** The index is damaged or missing (isDamagedIndex): it does not mend itself, so no "try again"; the operator's log has the fix. */
export const DAMAGED = "Search is unavailable right now: the bot's index is damaged or missing. The bot's operator can see why in its log and needs to rebuild it.";

/**
 * An index that cannot be searched as it is on disk: damaged (a vector file failing its checksum, a
 * damaged database or keyword segment), missing, or in an old format. Its message is one line naming
 * the fix, so it is logged as such, not with a stack. Not a build's lock (IndexBusyError) nor a
 * permission or full-disk problem (AccessError): those are not damage.
 */
export function isDamagedIndex(err: unknown): err is IndexError {
  return err instanceof IndexError && !(err instanceof IndexBusyError) && !(err instanceof AccessError);
}

/** Sends each interaction to its command module (or button handler) and turns errors into a reply. */
export function routeInteractions(client: Client, commands: ReadonlyMap<string, CommandModule>, ctx: BotContext): void {
  const byPrefix = new Map<string, NonNullable<CommandModule['handleButton']>>([[ANSWER_PREFIX, handleAnswerButton]]);
  for (const c of commands.values()) if (c.buttonPrefix && c.handleButton) byPrefix.set(c.buttonPrefix, c.handleButton.bind(c));

  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    void dispatch(interaction).catch((err: unknown) => ctx.log.error({ err }, 'interaction handler failed'));
  });

  async function dispatch(interaction: Interaction): Promise<void> {
    if (interaction.isAutocomplete()) return suggest(interaction);
    if (!interaction.isRepliable()) return;
    const started = performance.now();
    const what = interaction.isCommand() ? interaction.commandName : interaction.isButton() ? interaction.customId.split(':')[0] : `type ${interaction.type}`;
    try {
      if (interaction.isChatInputCommand() || interaction.isMessageContextMenuCommand()) {
        const command = commands.get(interaction.commandName);
        if (!command) {
          await replyPrivately(interaction, `I don't know the command "${interaction.commandName}". An admin should run \`${commandLine('deploy-commands')}\` to refresh the command list.`);
          return;
        }
        await command.execute(interaction, ctx);
      } else if (interaction.isButton()) {
        const handler = byPrefix.get(interaction.customId.split(':')[0] ?? '');
        if (!handler) {
          await replyPrivately(interaction, 'This button is no longer supported. Run the command again.');
          return;
        }
        await handler(interaction, ctx);
      }
      ctx.log.info({ interaction: what, user: interaction.user.id, guild: interaction.guildId, ms: Math.round(performance.now() - started) }, 'interaction handled');
    } catch (err) {
      const busy = err instanceof PoolBusyError;
      const down = isUnreachable(err);
      const damaged = !busy && !down && isDamagedIndex(err);
      if (busy) ctx.log.warn({ err, interaction: what, user: interaction.user.id }, 'search queue full');
      else if (down) ctx.log.warn({ interaction: what, user: interaction.user.id, reason: (err as Error).message }, 'search unavailable');
      else if (damaged) {
        ctx.log.error({ interaction: what, user: interaction.user.id, reason: err.message }, 'index damaged or missing');
        ctx.indexProblem = { message: err.message, at: new Date() };
      }
      else ctx.log.error({ err, interaction: what, user: interaction.user.id }, 'interaction failed');
      await replyPrivately(interaction, busy ? BUSY : down ? UNAVAILABLE : damaged ? DAMAGED : FAILED).catch((e: unknown) => ctx.log.warn({ err: e }, 'could not report the failure'));
    }
  }

  /**
   * Autocomplete is not repliable: it is answered with choices (or none) within Discord's 3 s. A
   * module without suggestions, or one that fails, gets an empty list rather than silence.
   */
  async function suggest(interaction: AutocompleteInteraction): Promise<void> {
    const started = performance.now();
    const command = commands.get(interaction.commandName);
    try {
      if (command?.autocomplete) await command.autocomplete(interaction, ctx);
      else await interaction.respond([]);
      ctx.log.debug({ interaction: `${interaction.commandName} autocomplete`, user: interaction.user.id, ms: Math.round(performance.now() - started) }, 'autocomplete answered');
    } catch (err) {
      ctx.log.warn({ err, interaction: interaction.commandName }, 'autocomplete failed');
      if (!interaction.responded) await interaction.respond([]).catch(() => undefined);
    }
  }
}
