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

/**
 * Takes one search from a user's allowance in a guild, with that guild's limit (/settings
 * rate-limit, default RATE_LIMIT_*). Returns 0, or the ms to wait and the limit that applied.
 */
export function takeSearch(ctx: Pick<BotContext, 'limiter' | 'state'>, guildId: string | null, userId: string): { waitMs: number; max: number; windowSeconds: number } {
  const { max, windowSeconds } = ctx.state.settings(guildId).rateLimit;
  return { waitMs: ctx.limiter.take(`${guildId ?? 'dm'}:${userId}`, max, windowSeconds * 1000), max, windowSeconds };
}

/** Takes one search from the user's allowance; when it is used up, says when to retry and returns false. */
export async function allowSearch(interaction: RepliableInteraction, ctx: BotContext): Promise<boolean> {
  const { waitMs, max, windowSeconds } = takeSearch(ctx, interaction.guildId, interaction.user.id);
  if (waitMs === 0) return true;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  ctx.log.info({ user: interaction.user.id, guild: interaction.guildId, waitMs }, 'rate limited');
  await replyPrivately(interaction, `You're searching faster than the limit of ${max} per ${windowSeconds} s. Try again in ${seconds} s.`);
  return false;
}
