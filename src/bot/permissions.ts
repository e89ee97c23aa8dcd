import { PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';

/**
 * Server-side admin check. default_member_permissions only hides a command in the client and
 * server owners can override it, so the bot checks again: Administrator, or a role in ADMIN_ROLE_IDS.
 */
export function isAdmin(interaction: Pick<ChatInputCommandInteraction, 'memberPermissions' | 'member' | 'inGuild'>, adminRoleIds: readonly string[]): boolean {
  if (!interaction.inGuild()) return false;
  if (interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)) return true;
  const member = interaction.member;
  if (!member || adminRoleIds.length === 0) return false;
  // An uncached member arrives as raw API data with role ids; a cached one as a GuildMember.
  const roles: readonly string[] = Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
  return roles.some((id) => adminRoleIds.includes(id));
}
