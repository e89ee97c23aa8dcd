import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export type LogFormat = 'pretty' | 'json';

/** Interaction and webhook tokens sit in REST URLs; they grant replies for 15 minutes, so hide them too. */
const URL_TOKENS = /\/(interactions\/\d+|webhooks\/\d+)\/[\w.-]{20,}/g;

/**
 * A secret and its dot-separated parts (a bot token is three; discord.js's debug output shows the
 * first two): every part is hidden wherever it appears.
 */
function scrubParts(text: string, parts: readonly string[]): string {
  let out = text.replace(URL_TOKENS, '/$1/[token]');
  for (const secret of parts) out = out.split(secret).join('[redacted]');
  return out;
}

function secretParts(secrets: readonly string[]): string[] {
  const parts = new Set<string>();
  for (const secret of secrets) {
    if (!secret) continue;
    parts.add(secret);
    for (const part of secret.split('.')) if (part.length >= 5) parts.add(part);
  }
  // Longest first, so the whole token is replaced before its parts.
  return [...parts].sort((a, b) => b.length - a.length);
}

export function scrub(text: string, secrets: readonly string[], exact: readonly string[] = []): string {
  return scrubParts(text, [...exactForms(exact), ...secretParts(secrets)]);
}

/** `exact` secrets (a DATABASE_URL and its password's forms) as they appear in text and inside JSON strings, longest first. */
function exactForms(exact: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const s of exact) {
    if (!s) continue;
    forms.add(s);
    forms.add(JSON.stringify(s).slice(1, -1));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Errors without the request bodies discord.js attaches to API errors (whole messages, noisy). */
function serializeError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  const { requestBody: _body, rawError: _raw, ...rest } = pino.stdSerializers.err(err) as ReturnType<typeof pino.stdSerializers.err> & { requestBody?: unknown; rawError?: unknown };
  return rest;
}

/** pretty on a terminal (people read it), JSON otherwise (log collectors parse it). */
export function defaultLogFormat(isTTY = process.stdout.isTTY === true): LogFormat {
  return isTTY ? 'pretty' : 'json';
}

/**
 * Logs on stdout, as JSON lines or (format 'pretty') one readable line per event. Every line
 * passes through `scrub` first, so the bot token (`secrets`, also by its dot-separated parts) and the
 * DATABASE_URL (`exact`: see databaseSecrets) cannot reach the logs whatever carries them.
 */
export function createLogger(
  options: { level: string; secrets: readonly string[]; exact?: readonly string[]; format?: LogFormat },
  destination?: pino.DestinationStream,
): Logger {
  const parts = [...exactForms(options.exact ?? []), ...secretParts(options.secrets)];
  const stream =
    destination ??
    (options.format === 'pretty'
      ? pretty({ sync: true, destination: 1, colorize: process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app' })
      : // Asynchronous: a log collector that reads slowly (a busy pipe) must not stall the event loop that
        // acknowledges interactions; pino flushes what is buffered when the process exits.
        pino.destination({ dest: 1, sync: false }));
  return pino(
    {
      level: options.level,
      base: { app: 'archivist-bot' },
      redact: { paths: ['token', '*.token', 'DISCORD_TOKEN', '*.DISCORD_TOKEN', 'headers.authorization', '*.headers.authorization'], censor: '[redacted]' },
      hooks: { streamWrite: (line) => scrubParts(line, parts) },
      serializers: { err: serializeError },
    },
    stream,
  );
}

/** discord.js debug lines that mention the token (e.g. "Provided token: …") are dropped whole. */
export function isSecretDebugLine(message: string): boolean {
  return /token/i.test(message);
}
