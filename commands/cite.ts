import { SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import { answer } from '../src/bot/answers.js';
import type { BotContext } from '../src/bot/context.js';
import { checkText, MAX_QUESTION_LENGTH } from '../src/bot/input.js';
import { allowSearch, replyPrivately } from '../src/bot/reply.js';

export const data = new SlashCommandBuilder()
  .setName('cite')
  .setDescription('Find passages in the news corpus that back up a claim, to cite in a discussion')
  .addStringOption((o) => o.setName('claim').setDescription('The claim to find sources for').setRequired(true).setMaxLength(MAX_QUESTION_LENGTH));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const claim = checkText(interaction.options.getString('claim'), 'claim');
  if (!claim.ok) return replyPrivately(interaction, claim.error);
  if (!(await allowSearch(interaction, ctx))) return;
  await answer(interaction, ctx, { kind: 'cite', text: claim.value, k: 3, filters: {}, ephemeral: false });
}
