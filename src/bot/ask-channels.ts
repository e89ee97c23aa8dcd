import type { BotConfig } from './config.js';
import type { BotContext } from './context.js';
import { searchText } from './input.js';

/** Whether the operator lets this server's /settings ask channels be answered (ALLOW_ASK_CHANNELS: `all` or server IDs). */
export function askChannelsAllowed(config: Pick<BotConfig, 'ALLOW_ASK_CHANNELS'>, guildId: string | null): boolean {
  const allowed = config.ALLOW_ASK_CHANNELS;
  return !!guildId && (allowed === 'all' || allowed.includes(guildId));
}

/**
 * The channels (text or forum) where the bot answers every question-like message: THE one place
 * they are read: ASK_CHANNEL_IDS for every server, plus the server's own (/settings ask-channels)
 * when the operator allows them (ALLOW_ASK_CHANNELS).
 */
export function askChannelIds(ctx: Pick<BotContext, 'config' | 'state'>, guildId: string | null): ReadonlySet<string> {
  const stored = guildId && askChannelsAllowed(ctx.config, guildId) ? ctx.state.settings(guildId).askChannelIds : new Set<string>();
  return new Set([...ctx.config.ASK_CHANNEL_IDS, ...stored]);
}

/** Which servers set ask channels with /settings, split by whether the operator allows them. */
export function storedAskChannels(ctx: Pick<BotContext, 'config' | 'state'>): { allowed: string[]; ignored: string[] } {
  const guilds = ctx.state.askChannelGuilds();
  return { allowed: guilds.filter((g) => askChannelsAllowed(ctx.config, g)), ignored: guilds.filter((g) => !askChannelsAllowed(ctx.config, g)) };
}

/**
 * Whether any ask channel is configured (ASK_CHANNEL_IDS, or an allowed server's /settings): the
 * privileged Message Content intent is requested only then. Decided at startup, as intents cannot change later.
 */
export function anyAskChannels(ctx: Pick<BotContext, 'config' | 'state'>): boolean {
  return ctx.config.ASK_CHANNEL_IDS.length > 0 || storedAskChannels(ctx).allowed.length > 0;
}

/** Words a question starts with: question words, and the verbs of yes/no questions ("did", "is", "can"…). */
const QUESTION_START =
  /^(?:who|whom|whose|what|what's|when|where|why|which|how|is|are|was|were|am|isn't|aren't|wasn't|weren't|do|does|did|don't|doesn't|didn't|can|could|can't|will|would|won't|should|shall|may|might|must|has|have|had|hasn't|haven't)\b/i;

/**
 * A message worth answering in an ask channel or a bot thread: it ends with "?" or starts with a
 * question word or the verb of a yes/no question. Chat ("thanks!", "lol", "see above") is left alone.
 */
export function isQuestionLike(content: string): boolean {
  const text = searchText(content).replace(/^[\s"'“‘(*_>-]+/, '');
  if (!/[\p{L}\p{N}]/u.test(text)) return false;
  return /\?[\s"'”’)*_]*$/.test(text) || QUESTION_START.test(text);
}
