import { MessageFlags, type InteractionEditReplyOptions, type RepliableInteraction } from 'discord.js';
import { NO_MENTIONS } from './format.js';
import type { Logger } from './logger.js';

/** Network failures worth another try: the request may not have reached Discord, or Discord hiccuped. */
const TRANSIENT_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']);

/** A socket reset, a timeout, a 5xx or a rate limit; not a 4xx that will fail the same way again. */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as Error & { status?: number; code?: unknown; cause?: { code?: unknown } };
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  if (typeof e.status === 'number') return e.status >= 500 || e.status === 429;
  return TRANSIENT_CODES.has(String(e.code)) || TRANSIENT_CODES.has(String(e.cause?.code)) || /ECONNRESET|other side closed|socket hang up/i.test(e.message);
}

export interface RetryOptions {
  /** Edits tried in all (default 3). */
  attempts?: number;
  /** First pause; it doubles each time, up to maxDelayMs (defaults 400 ms, 3 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The fallback follow-up is only visible to the user (paging, private answers). */
  ephemeral?: boolean;
  sleep?: (ms: number) => Promise<void>;
}

type Body = Omit<InteractionEditReplyOptions, 'flags'>;

/**
 * Edits an interaction's reply, retrying transient failures with bounded backoff (an edit is
 * idempotent: the same body again). If every try fails, the answer goes out as a follow-up message
 * instead, so the user gets it rather than a generic failure. Other errors are thrown at once.
 */
export async function editReplyWithRetry(interaction: RepliableInteraction, body: Body, log: Logger, options: RetryOptions = {}): Promise<'edited' | 'follow-up'> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let delay = options.baseDelayMs ?? 400;
  let last: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      await interaction.editReply(body);
      return 'edited';
    } catch (err) {
      if (!isTransient(err)) throw err;
      last = err;
      log.warn({ err, attempt, of: attempts }, 'editing the reply failed; retrying');
      if (attempt < attempts) {
        await sleep(delay);
        delay = Math.min(delay * 2, options.maxDelayMs ?? 3000);
      }
    }
  }
  log.warn({ err: last }, 'editing the reply kept failing; sending the answer as a follow-up');
  const { content, embeds, components, allowedMentions } = body;
  await interaction.followUp({
    content: content ?? undefined,
    embeds,
    components,
    allowedMentions: allowedMentions ?? NO_MENTIONS,
    ...(options.ephemeral ? { flags: MessageFlags.Ephemeral } : {}),
  });
  return 'follow-up';
}
