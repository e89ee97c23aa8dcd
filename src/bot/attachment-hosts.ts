import type { DiscordConfig } from './config.js';

/** Where Discord serves uploaded files. */
export const DISCORD_CDN_HOSTS: readonly string[] = ['cdn.discordapp.com', 'media.discordapp.net'];

/**
 * Why the bot will not download an attachment from `url`, or undefined when it may: only over
 * https from Discord's CDN — or from the stand-in itself when DISCORD_API_URL points at one (its
 * origin exactly). An interaction's data is Discord's, but a file URL is never fetched from
 * anywhere else (no internal addresses, no redirects: the download refuses them).
 */
export function attachmentUrlProblem(url: string, config: Pick<DiscordConfig, 'DISCORD_API_URL'>): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not downloaded: its address is not a URL';
  }
  if (parsed.protocol === 'https:' && DISCORD_CDN_HOSTS.includes(parsed.hostname) && !parsed.port) return undefined;
  if (config.DISCORD_API_URL && parsed.origin === new URL(config.DISCORD_API_URL).origin) return undefined;
  return `not downloaded: files are only fetched from Discord's CDN (${DISCORD_CDN_HOSTS.join(', ')}), not from ${parsed.host || 'that address'}`;
}
