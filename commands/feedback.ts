import { InteractionContextType, MessageFlags, PermissionFlagsBits, SlashCommandBuilder, type ChatInputCommandInteraction } from 'discord.js';
import type { BotContext } from '../src/bot/context.js';
import { editReplyWithRetry } from '../src/bot/edit-retry.js';
import { reportEmbed } from '../src/bot/feedback-report.js';
import { NO_MENTIONS } from '../src/bot/format.js';
import { isAdmin } from '../src/bot/permissions.js';
import { replyPrivately } from '../src/bot/reply.js';

/** `/feedback report` (admins): what this server asked, what was refused, and how answers were voted. */

export const data = new SlashCommandBuilder()
  .setName('feedback')
  .setDescription('Feedback on answers in this server (admins only)')
  .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('report').setDescription('Questions asked, answered vs refused, 👍/👎 per day, the most down-voted questions'));

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.inGuild()) return replyPrivately(interaction, '/feedback works in a server only.');
  if (!isAdmin(interaction, ctx)) {
    ctx.log.warn({ user: interaction.user.id, guild: interaction.guildId }, 'refused /feedback: not an admin');
    return replyPrivately(interaction, 'Only server administrators (or members of an admin role) can see the feedback report.');
  }
  if (ctx.config.FEEDBACK !== 'on') {
    return replyPrivately(interaction, 'Feedback is off on this bot (FEEDBACK=off): no questions or votes are stored, so there is nothing to report.');
  }
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const embed = reportEmbed(ctx.state.report(interaction.guildId));
  await editReplyWithRetry(interaction, { embeds: [embed], allowedMentions: NO_MENTIONS }, ctx.log, { ephemeral: true });
}
