import { MessageFlags, type RepliableInteraction } from 'discord.js';
import { capRate, rateCeiling } from './config.js';
import type { BotContext } from './context.js';
import type { Bucket } from './rate-limit.js';
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

/** Why a search was refused: which allowance was used up, and when to retry. */
export interface Limited {
  waitMs: number;
  /** Said to the user (ends with when to try again). */
  message: string;
}

/**
 * A search taken from the allowances; `giveBack` returns it to the person's (theirs across servers and
 * theirs in this server), never to the server's share: chat the bot stays quiet on costs its member
 * nothing, while a server flooding its ask channel still spends only its own share of the search pool.
 */
export interface Spent {
  giveBack: () => void;
}

/**
 * Takes one search from every allowance it counts in: the person's across every server
 * (USER_RATE_LIMIT_*), the server's share of the search pool (GUILD_RATE_LIMIT_*), and the member's
 * in this server (/settings rate-limit, default RATE_LIMIT_*, never above RATE_LIMIT_CEILING_*).
 * Returns undefined, or which one is used up (then nothing was taken).
 */
export function takeSearch(ctx: Pick<BotContext, 'limiter' | 'state' | 'config'>, guildId: string | null, userId: string): Limited | undefined {
  const taken = spendSearch(ctx, guildId, userId);
  return 'message' in taken ? taken : undefined;
}

/** `takeSearch` that can be undone: the search taken (to give back if nothing came of it), or why none was. */
export function spendSearch(ctx: Pick<BotContext, 'limiter' | 'state' | 'config'>, guildId: string | null, userId: string): Limited | Spent {
  const { config } = ctx;
  const member = capRate(ctx.state.settings(guildId).rateLimit, rateCeiling(config));
  const user: Bucket = { key: `user:${userId}`, max: config.USER_RATE_LIMIT_MAX, windowMs: config.USER_RATE_LIMIT_WINDOW_SECONDS * 1000 };
  const own: Bucket = { key: `${guildId ?? 'dm'}:${userId}`, max: member.max, windowMs: member.windowSeconds * 1000 };
  const buckets = [user, own];
  const guild: Bucket | undefined = guildId ? { key: `guild:${guildId}`, max: config.GUILD_RATE_LIMIT_MAX, windowMs: config.GUILD_RATE_LIMIT_WINDOW_SECONDS * 1000 } : undefined;
  if (guild) buckets.splice(1, 0, guild);
  const { waitMs, bucket, at } = ctx.limiter.takeAll(buckets);
  if (waitMs === 0) {
    let given = false;
    return {
      giveBack: () => {
        if (!given && at !== undefined) ctx.limiter.giveBack([user, own], at);
        given = true;
      },
    };
  }
  const retry = `Try again in ${Math.max(1, Math.ceil(waitMs / 1000))} s.`;
  const per = (b: Bucket): string => `${b.max} per ${b.windowMs / 1000} s`;
  const message =
    bucket === guild
      ? `This server has used its share of the bot's searches for now (${per(guild!)} for all members together; the bot serves other servers too). ${retry}`
      : bucket === user
        ? `You're searching faster than the limit of ${per(user)} (across every server this bot is in). ${retry}`
        : `You're searching faster than the limit of ${per(own)}. ${retry}`;
  return { waitMs, message };
}

/** Takes one search from the user's allowances; when one is used up, says when to retry and returns false. */
export async function allowSearch(interaction: RepliableInteraction, ctx: BotContext): Promise<boolean> {
  const limited = takeSearch(ctx, interaction.guildId, interaction.user.id);
  if (!limited) return true;
  ctx.log.info({ user: interaction.user.id, guild: interaction.guildId, waitMs: limited.waitMs }, 'rate limited');
  await replyPrivately(interaction, limited.message);
  return false;
}
