import { commandLine } from '../src/command-line.js';
import {
  ChannelType,
  GatewayIntentBits,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { rateCeiling, SNOWFLAKE, withinCeiling } from '../src/bot/config.js';
import type { BotContext } from '../src/bot/context.js';
import { askChannelsAllowed } from '../src/bot/ask-channels.js';
import { isAdmin } from '../src/bot/permissions.js';
import { replyPrivately } from '../src/bot/reply.js';
import type { GuildSettings } from '../src/bot/state/store.js';

/** `/settings` (admins): this server's admin roles, rate limit, answer visibility and ask channels. */

const MAX_ASK_CHANNELS = 50;
const MAX_ADMIN_ROLES = 50;

export const data = new SlashCommandBuilder()
  .setName('settings')
  .setDescription("This server's Archivist settings (admins only)")
  .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
  .setContexts(InteractionContextType.Guild)
  .addSubcommand((s) => s.setName('show').setDescription("Show this server's settings and which ones are defaults"))
  .addSubcommandGroup((g) =>
    g
      .setName('admin-roles')
      .setDescription('Roles allowed to run /settings and /feedback (besides Administrators)')
      .addSubcommand((s) => s.setName('add').setDescription('Let a role run the admin commands').addRoleOption((o) => o.setName('role').setDescription('The role').setRequired(true)))
      .addSubcommand((s) => s.setName('remove').setDescription('Stop a role from running the admin commands').addRoleOption((o) => o.setName('role').setDescription('The role').setRequired(true))),
  )
  .addSubcommand((s) =>
    s
      .setName('rate-limit')
      .setDescription('How many searches each member may run per time window')
      .addIntegerOption((o) => o.setName('max').setDescription('Searches per window (1–1000)').setRequired(true).setMinValue(1).setMaxValue(1000))
      .addIntegerOption((o) => o.setName('window-seconds').setDescription('Window length in seconds (1–86400)').setRequired(true).setMinValue(1).setMaxValue(86_400)),
  )
  .addSubcommand((s) =>
    s
      .setName('visibility')
      .setDescription('Whether answers are public or private when /ask is not told')
      .addStringOption((o) =>
        o
          .setName('default')
          .setDescription('public: everyone in the channel sees answers; private: only the asker (who can share)')
          .setRequired(true)
          .addChoices({ name: 'public', value: 'public' }, { name: 'private', value: 'private' }),
      ),
  )
  .addSubcommandGroup((g) =>
    g
      .setName('ask-channels')
      .setDescription('Channels where every question is answered, without a command')
      .addSubcommand((s) =>
        s
          .setName('add')
          .setDescription('Answer every question asked in this channel (or every post of this forum)')
          .addChannelOption((o) => o.setName('channel').setDescription('A text, announcement or forum channel').setRequired(true).addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum)),
      )
      .addSubcommand((s) =>
        s
          .setName('remove')
          .setDescription('Stop answering every question in this channel')
          .addChannelOption((o) => o.setName('channel').setDescription('The channel').setRequired(true).addChannelTypes(ChannelType.GuildText, ChannelType.GuildAnnouncement, ChannelType.GuildForum)),
      ),
  )
  .addSubcommand((s) => s.setName('reset').setDescription('Back to the bot-wide defaults for everything (ask channels removed)'));

/** An id option's value (read raw: it needs no cached role or channel). */
function idOption(interaction: ChatInputCommandInteraction, name: string): string | undefined {
  const value = interaction.options.get(name, true).value;
  return typeof value === 'string' && SNOWFLAKE.test(value) ? value : undefined;
}

const dflt = (own: boolean, env: string): string => (own ? 'set here' : `default, from ${env}`);

function describeSettings(s: GuildSettings, messageContent: boolean): string {
  const roles = s.adminRoleIds.length ? s.adminRoleIds.map((id) => `<@&${id}>`).join(', ') : 'none (only members with Administrator)';
  const channels = s.askChannelIds.size ? [...s.askChannelIds].map((id) => `<#${id}>`).join(', ') : 'none';
  const lines = [
    "**Archivist settings for this server**",
    `• Admin roles: ${roles} — ${dflt(s.own.adminRoles, 'ADMIN_ROLE_IDS')}`,
    `• Rate limit: ${s.rateLimit.max} searches per ${s.rateLimit.windowSeconds} s per member — ${dflt(s.own.rateLimit, 'RATE_LIMIT_MAX / RATE_LIMIT_WINDOW_SECONDS')}`,
    `• Answers: ${s.visibility} unless /ask says otherwise — ${s.own.visibility ? 'set here' : 'default'}`,
    `• Ask channels: ${channels}`,
  ];
  if (s.askChannelIds.size && !messageContent) lines.push(`-# ${MESSAGE_CONTENT_NOTE}`);
  return lines.join('\n');
}

/** Admin roles are this server's: the shared index is the operator's (permissions.ts). */
const INDEX_NOTE =
  "\n-# Changing the shared index (/sources add and remove, /reindex) is the bot operator's: it is allowed to this server's admins only if the operator names the server in SOURCES_GUILD_IDS.";

const MESSAGE_CONTENT_NOTE =
  'Ask channels need the privileged Message Content intent, which this bot is running without: the setting is saved and takes effect after a restart; enable Message Content in the Developer Portal (your application → Bot → Privileged Gateway Intents) first.';

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  if (!interaction.inGuild()) return replyPrivately(interaction, '/settings works in a server only.');
  if (!isAdmin(interaction, ctx)) {
    ctx.log.warn({ user: interaction.user.id, guild: interaction.guildId }, 'refused /settings: not an admin');
    return replyPrivately(interaction, 'Only server administrators (or members of an admin role: ask one to run /settings show) can change the settings.');
  }
  const guildId = interaction.guildId;
  const group = interaction.options.getSubcommandGroup(false);
  const sub = interaction.options.getSubcommand(true);
  const state = ctx.state;
  const messageContent = interaction.client.options.intents.has(GatewayIntentBits.MessageContent);
  const done = (message: string): Promise<void> => {
    ctx.log.info({ user: interaction.user.id, guild: guildId, setting: group ? `${group} ${sub}` : sub }, 'settings changed');
    return replyPrivately(interaction, message);
  };

  if (group === 'admin-roles') {
    const role = idOption(interaction, 'role');
    if (!role) return replyPrivately(interaction, 'That is not a role of this server. Pick one from the list.');
    if (role === guildId) return replyPrivately(interaction, 'Not @everyone: that would make every member an admin. Pick a role.');
    if (sub === 'add') {
      const current = state.settings(guildId).adminRoleIds;
      if (current.length >= MAX_ADMIN_ROLES && !current.includes(role)) {
        return replyPrivately(interaction, `This server already has ${MAX_ADMIN_ROLES} admin roles: remove one first.`);
      }
      const added = state.addAdminRole(guildId, role);
      return done(added ? `<@&${role}> can now run /settings and /feedback here.${INDEX_NOTE}` : `<@&${role}> was already an admin role: nothing changed.`);
    }
    const removed = state.removeAdminRole(guildId, role);
    return done(removed ? `<@&${role}> is no longer an admin role here (members with Administrator always are).` : `<@&${role}> was not an admin role: nothing changed.`);
  }

  if (group === 'ask-channels') {
    const channel = idOption(interaction, 'channel');
    if (!channel) return replyPrivately(interaction, 'That is not a channel of this server. Pick one from the list.');
    if (sub === 'add') {
      if (!askChannelsAllowed(ctx.config, guildId)) {
        return replyPrivately(
          interaction,
          "Ask channels are off for this server: reading every message needs Discord's Message Content intent, which applies to every server the bot is in, so the bot's operator must allow it (ALLOW_ASK_CHANNELS). Nothing was changed; @mentions and /ask still work.",
        );
      }
      const current = state.settings(guildId).askChannelIds;
      if (current.size >= MAX_ASK_CHANNELS && !current.has(channel)) return replyPrivately(interaction, `This server already has ${MAX_ASK_CHANNELS} ask channels: remove one first.`);
      const added = state.addAskChannel(guildId, channel);
      const base = added ? `Every question asked in <#${channel}> will be answered (in a thread).` : `<#${channel}> was already an ask channel: nothing changed.`;
      return done(messageContent ? base : `${base}\n${MESSAGE_CONTENT_NOTE}`);
    }
    const removed = state.removeAskChannel(guildId, channel);
    return done(removed ? `<#${channel}> is no longer an ask channel.` : `<#${channel}> was not an ask channel: nothing changed.`);
  }

  switch (sub) {
    case 'show':
      return replyPrivately(interaction, describeSettings(state.settings(guildId), messageContent));
    case 'rate-limit': {
      const max = interaction.options.getInteger('max', true);
      const windowSeconds = interaction.options.getInteger('window-seconds', true);
      if (max < 1 || max > 1000 || windowSeconds < 1 || windowSeconds > 86_400) {
        return replyPrivately(interaction, 'The limit must be 1–1000 searches per 1–86400 seconds.');
      }
      // The search pool is shared by every server: the operator's ceiling (.env) bounds what a server allows.
      const ceiling = rateCeiling(ctx.config);
      if (!withinCeiling({ max, windowSeconds }, ceiling)) {
        return replyPrivately(
          interaction,
          `${max} searches per ${windowSeconds} s is above what this bot's operator allows each member: at most ${ceiling.max} per ${ceiling.windowSeconds} s (no more at once, and no faster). The search pool is shared by every server the bot is in. Nothing was changed.`,
        );
      }
      state.setRateLimit(guildId, max, windowSeconds);
      return done(`Each member may now run ${max} searches per ${windowSeconds} s here.`);
    }
    case 'visibility': {
      const value = interaction.options.getString('default', true);
      if (value !== 'public' && value !== 'private') return replyPrivately(interaction, 'The default must be public or private.');
      state.setVisibility(guildId, value);
      return done(value === 'private' ? 'Answers are now private by default here (only the asker sees them, and can share them); `/ask private: false` still answers publicly.' : 'Answers are now public by default here; `/ask private: true` still answers privately.');
    }
    case 'reset':
      state.resetSettings(guildId);
      return done(`Back to the defaults.\n${describeSettings(state.settings(guildId), messageContent)}`);
    default:
      return replyPrivately(interaction, `Unknown setting "${sub}". An admin should run \`${commandLine('deploy-commands')}\` to refresh the command list.`);
  }
}
