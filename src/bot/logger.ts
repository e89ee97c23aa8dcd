import pino, { type Logger } from 'pino';

export type { Logger };

/** Interaction and webhook tokens sit in REST URLs; they grant replies for 15 minutes, so hide them too. */
const URL_TOKENS = /\/(interactions\/\d+|webhooks\/\d+)\/[\w.-]{20,}/g;

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text.replace(URL_TOKENS, '/$1/[token]');
  for (const secret of secrets) if (secret) out = out.split(secret).join('[redacted]');
  return out;
}

/** Errors without the request bodies discord.js attaches to API errors (whole messages, noisy). */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const { requestBody: _body, rawError: _raw, ...rest } = pino.stdSerializers.err(err) as ReturnType<typeof pino.stdSerializers.err> & { requestBody?: unknown; rawError?: unknown };
  return rest;
}

/**
 * Structured JSON logs on stdout. Every line passes through `scrub`, so the bot token cannot
 * reach the logs whatever object or error message carries it.
 */
export function createLogger(options: { level: string; secrets: readonly string[] }, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { app: 'archivist-bot' },
      redact: { paths: ['token', '*.token', 'DISCORD_TOKEN', '*.DISCORD_TOKEN', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrub(line, options.secrets) },
      serializers: { err: serializeError },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
