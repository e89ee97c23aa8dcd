import { BuildError } from '../indexer/build.js';
import { IndexError } from '../storage/errors.js';
import type { BotConfig } from './config.js';
import { StateError } from './state/store.js';

/** Network failures that mean "Discord cannot be reached from here". */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'CERT_HAS_EXPIRED', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

function codeOf(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Why the bot could not start, as one line saying what to do (instead of a raw `ENOTFOUND
 * discord.com` or a stack trace). `detail` means the error was unexpected: log it in full at debug.
 */
export function startupFailure(
  err: unknown,
  config: Pick<BotConfig, 'DISCORD_API_URL' | 'CORPUS_PATHS' | 'INDEX_DIR'>,
  intents: { messageContent?: boolean } = {},
): { message: string; detail: boolean } {
  const e = err as Error & { status?: number; code?: unknown };
  const message = e instanceof Error ? e.message : String(err);
  if (err instanceof IndexError || err instanceof StateError) return { message, detail: false };
  if (err instanceof BuildError) {
    return { message: `There is no index in ${config.INDEX_DIR} and it could not be built from CORPUS_PATHS (${config.CORPUS_PATHS}): ${message}`, detail: false };
  }
  if (e?.code === 'TokenInvalid' || e?.status === 401 || /4004|Authentication failed/.test(message)) {
    return { message: 'Discord rejected DISCORD_TOKEN: reset the token in the Developer Portal (Bot → Reset Token) and update .env.', detail: false };
  }
  if (isDisallowedIntents(err)) {
    if (intents.messageContent) {
      return {
        message:
          'Discord refused the privileged Message Content intent (close code 4014), which ASK_CHANNEL_IDS needs: enable it in the Developer Portal → your application → Bot → Privileged Gateway Intents → Message Content Intent, or unset ASK_CHANNEL_IDS (mentions and /ask work without it).',
        detail: false,
      };
    }
    return { message: 'Discord refused the gateway intents: the bot needs none of the privileged ones; check the Developer Portal → Bot settings.', detail: false };
  }
  const code = codeOf(err);
  if (code && UNREACHABLE.has(code)) {
    const where = config.DISCORD_API_URL ?? 'discord.com';
    const hint = config.DISCORD_API_URL
      ? 'check that DISCORD_API_URL is right and that server is running'
      : 'check the internet connection, DNS and any firewall or proxy (outbound HTTPS and WebSocket to discord.com and gateway.discord.gg)';
    return { message: `Cannot reach Discord at ${where} (${code}): ${hint}, then start the bot again.`, detail: true };
  }
  return { message: `The bot could not start: ${message}`, detail: true };
}

/** Discord closed the gateway with 4014: an intent the application may not use (Message Content not enabled). */
export function isDisallowedIntents(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === 'DisallowedIntents' || /4014|disallowed intent/i.test(String(e?.message ?? ''));
}
