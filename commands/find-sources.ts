import { ApplicationCommandType, ContextMenuCommandBuilder, type MessageContextMenuCommandInteraction } from 'discord.js';
import { answer } from '../src/bot/answers.js';
import type { BotContext } from '../src/bot/context.js';
import { hasWords, MAX_QUESTION_LENGTH } from '../src/bot/input.js';
import { allowSearch, replyPrivately } from '../src/bot/reply.js';

/** Right-click a message → Apps → "Find sources": passages that support what the message says. */
export const data = new ContextMenuCommandBuilder().setName('Find sources').setType(ApplicationCommandType.Message);

export async function execute(interaction: MessageContextMenuCommandInteraction, ctx: BotContext): Promise<void> {
  const message = interaction.targetMessage;
  const text = message.content.replace(/\s+/g, ' ').trim();
  if (!hasWords(text)) return replyPrivately(interaction, 'That message has no words to find sources for (only attachments, embeds, emoji or mentions). Try `/cite` with the claim written out.');
  if (!(await allowSearch(interaction, ctx))) return;
  // Messages can be long; the first 500 characters carry the claim well enough to search.
  const claim = text.length > MAX_QUESTION_LENGTH ? `${text.slice(0, MAX_QUESTION_LENGTH - 1)}…` : text;
  const othersText = message.author.id !== interaction.user.id;
  await answer(interaction, ctx, { kind: 'cite', text: claim, messageUrl: message.url, othersText, k: 3, filters: {}, ephemeral: false });
}
