import { SlashCommandBuilder, type AutocompleteInteraction, type ChatInputCommandInteraction } from 'discord.js';
import { answer } from '../src/bot/answers.js';
import type { BotContext } from '../src/bot/context.js';
import { checkFilters, checkText, MAX_QUESTION_LENGTH } from '../src/bot/input.js';
import { outletChoices } from '../src/bot/choices.js';
import { allowSearch, replyPrivately } from '../src/bot/reply.js';

export const data = new SlashCommandBuilder()
  .setName('ask')
  .setDescription('Answer a question with quoted passages from the news corpus')
  .addStringOption((o) => o.setName('question').setDescription('Your question').setRequired(true).setMaxLength(MAX_QUESTION_LENGTH))
  .addIntegerOption((o) => o.setName('k').setDescription('How many passages to show (1–10, default 5)').setMinValue(1).setMaxValue(10))
  .addStringOption((o) => o.setName('after').setDescription('Only articles published on or after this date (YYYY-MM-DD)').setMaxLength(10))
  .addStringOption((o) => o.setName('before').setDescription('Only articles published on or before this date (YYYY-MM-DD)').setMaxLength(10))
  .addStringOption((o) => o.setName('outlet').setDescription('Only outlets whose name contains this').setMaxLength(100).setAutocomplete(true))
  .addBooleanOption((o) => o.setName('private').setDescription('Only you see the answer (you can share it after); default: the server\'s setting'));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const question = checkText(interaction.options.getString('question'), 'question');
  if (!question.ok) return replyPrivately(interaction, question.error);
  const filters = checkFilters({
    after: interaction.options.getString('after'),
    before: interaction.options.getString('before'),
    outlet: interaction.options.getString('outlet'),
  });
  if (!filters.ok) return replyPrivately(interaction, filters.error);
  if (!(await allowSearch(interaction, ctx))) return;
  await answer(interaction, ctx, {
    kind: 'ask',
    text: question.value,
    k: interaction.options.getInteger('k') ?? 5,
    filters: filters.value,
    // Not chosen: the server's default (/settings visibility).
    ephemeral: interaction.options.getBoolean('private') ?? ctx.state.settings(interaction.guildId).visibility === 'private',
  });
}

/** `outlet:` suggestions: the index's outlets by prefix, from the main thread's cache (never waits for the search pool). */
export async function autocomplete(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  const focused = interaction.options.getFocused(true);
  await interaction.respond(focused.name === 'outlet' ? outletChoices(ctx.outlets.suggest(focused.value)) : []);
}
