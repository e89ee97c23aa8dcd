import { PermissionFlagsBits, type BaseInteraction, type Client } from 'discord.js';
import type { BotConfig } from './config.js';
import type { Logger } from './logger.js';
import type { Operators } from './operators.js';
import type { BotState } from './state/store.js';

/** Where the admin roles of a guild come from: its /settings, else ADMIN_ROLE_IDS (the store resolves that). */
export interface AdminRoleSource {
  state: Pick<BotState, 'settings'>;
}

type AdminCheckable = Pick<BaseInteraction, 'memberPermissions' | 'member' | 'inGuild' | 'guildId'>;

/**
 * Server-side admin check, the one place it is decided. default_member_permissions only hides a
 * command in the client and server owners can override it, so the bot checks again: Administrator,
 * or a role among the guild's admin roles (set with /settings admin-roles, default ADMIN_ROLE_IDS).
 * It is power over this server's settings only: the shared index is `indexChangeRefusal`'s.
 */
export function isAdmin(interaction: AdminCheckable, ctx: AdminRoleSource): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)) return true;
  const adminRoleIds = ctx.state.settings(interaction.guildId).adminRoleIds;
  const member = interaction.member;
  if (!member || adminRoleIds.length === 0) return false;
  // An uncached member arrives as raw API data with role ids; a cached one as a GuildMember.
  const roles: readonly string[] = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  return roles.some((id) => adminRoleIds.includes(id));
}

export interface IndexOwnerSource extends AdminRoleSource {
  config: Pick<BotConfig, 'SOURCES_GUILD_IDS'>;
  operators: Operators;
  log: Logger;
}

type IndexChanger = AdminCheckable & { user: { id: string }; client: Pick<Client, 'application'> };

/**
 * Why this member may not change the shared index (/sources add and remove, /reindex), or undefined
 * when they may. The index serves every server the bot is in, so it is the operator's: with
 * SOURCES_GUILD_IDS, the admins of the servers it names; without, only the application's owner (or
 * its team's members). A server's own admins and admin roles get nothing here by default.
 */
export async function indexChangeRefusal(interaction: IndexChanger, ctx: IndexOwnerSource, action: string): Promise<string | undefined> {
  const named = ctx.config.SOURCES_GUILD_IDS;
  if (named.length > 0) {
    if (!named.includes(interaction.guildId ?? '')) {
      return `${action} only from the servers the bot's operator named (SOURCES_GUILD_IDS): the index is shared by every server the bot is in. Nothing was changed.`;
    }
    if (!isAdmin(interaction, ctx)) return `Only server administrators (or members of an admin role: /settings show lists them) can do that here. Nothing was changed.`;
    return undefined;
  }
  let operators: ReadonlySet<string>;
  try {
    operators = await ctx.operators.ids(interaction.client);
  } catch (err) {
    ctx.log.warn({ err }, 'could not fetch the application owner from Discord');
    return 'Discord could not tell me who operates this bot just now, so the shared index stays unchanged. Try again in a minute.';
  }
  if (operators.has(interaction.user.id)) return undefined;
  // In a direct message there is no "this server" to name: say where it can be done.
  if (!interaction.inGuild()) {
    return `${action} only in a server, by its admins if the bot's operator names it in SOURCES_GUILD_IDS, or by the operator (the owner of the bot's Discord application): the index is shared by every server the bot is in. Nothing was changed.`;
  }
  return `${action} only by the bot's operator (the owner of its Discord application), unless they name this server in SOURCES_GUILD_IDS: the index is shared by every server the bot is in. Nothing was changed.`;
}

/**
 * Whether the member may see why the shared index failed (raw build errors, why the model
 * did not load): they name server paths and the database's host, so only those who may change the
 * index — the operator, or the admins of the servers it names in SOURCES_GUILD_IDS — not every
 * server's admins.
 */
export async function maySeeIndexErrors(interaction: IndexChanger, ctx: IndexOwnerSource): Promise<boolean> {
  return (await indexChangeRefusal(interaction, ctx, '')) === undefined;
}

/** Whether the member may change the index, from what is already known (autocomplete cannot wait for Discord). */
export function mayChangeIndexNow(interaction: AdminCheckable & { user: { id: string } }, ctx: Omit<IndexOwnerSource, 'log'>): boolean {
  const named = ctx.config.SOURCES_GUILD_IDS;
  if (named.length > 0) return named.includes(interaction.guildId ?? '') && isAdmin(interaction, ctx);
  return ctx.operators.cached()?.has(interaction.user.id) ?? false;
}
