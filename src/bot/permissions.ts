import { PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import type { BotState } from './state/store.js';

/** Where the admin roles of a guild come from: its /settings, else ADMIN_ROLE_IDS (the store resolves that). */
export interface AdminRoleSource {
  state: Pick<BotState, 'settings'>;
}

/**
 * Server-side admin check, the one place it is decided. default_member_permissions only hides a
 * command in the client and server owners can override it, so the bot checks again: Administrator,
 * or a role among the guild's admin roles (set with /settings admin-roles, default ADMIN_ROLE_IDS).
 */
export function isAdmin(interaction: Pick<ChatInputCommandInteraction, 'memberPermissions' | 'member' | 'inGuild' | 'guildId'>, ctx: AdminRoleSource): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)) return true;
  const adminRoleIds = ctx.state.settings(interaction.guildId).adminRoleIds;
  const member = interaction.member;
  if (!member || adminRoleIds.length === 0) return false;
  // An uncached member arrives as raw API data with role ids; a cached one as a GuildMember.
  const roles: readonly string[] = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  return roles.some((id) => adminRoleIds.includes(id));
}
