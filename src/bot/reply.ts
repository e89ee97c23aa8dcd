import { MessageFlags, type RepliableInteraction } from 'discord.js';
import type { BotContext } from './context.js';
import { NO_MENTIONS } from './format.js';

/** A private message to the user who interacted, whatever state the interaction is in. */
export async function replyPrivately(interaction: RepliableInteraction, content: string): Promise<void> {
  const payload = { content, allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral } as const;
  if (interaction.deferred && !interaction.replied) {
    // The deferred "thinking…" placeholder must be resolved; its visibility was fixed when deferring.
    await interaction.editReply({ content, allowedMentions: NO_MENTIONS, embeds: [], components: [] });
  } else if (interaction.replied || interaction.deferred) {
    await interaction.followUp(payload);
  } else {
    await interaction.reply(payload);
  }
}

/** Takes one search from the user's allowance; when it is used up, says when to retry and returns false. */
export async function allowSearch(interaction: RepliableInteraction, ctx: BotContext): Promise<boolean> {
  const waitMs = ctx.limiter.take(interaction.user.id);
  if (waitMs === 0) return true;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  ctx.log.info({ user: interaction.user.id, waitMs }, 'rate limited');
  await replyPrivately(
    interaction,
    `You're searching faster than the limit of ${ctx.config.RATE_LIMIT_MAX} per ${ctx.config.RATE_LIMIT_WINDOW_SECONDS} s. Try again in ${seconds} s.`,
  );
  return false;
}
