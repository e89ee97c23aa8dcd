import { MessageFlags, SlashCommandBuilder, time, TimestampStyles, type APIEmbed, type ChatInputCommandInteraction } from 'discord.js';
import type { BotContext } from '../src/bot/context.js';
import { editReplyWithRetry } from '../src/bot/edit-retry.js';
import { clip, COLORS, escapeMarkup, NO_MENTIONS } from '../src/bot/format.js';
import { keptSummary } from '../src/ingest/kept-sources.js';

export const data = new SlashCommandBuilder().setName('status').setDescription('Index size, search mode and model, last reindex');

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const [s, kept] = await Promise.all([ctx.search.status(), keptSummary(ctx.config.DATA_DIR)]);
  const last = ctx.lastReindex;
  const running = ctx.reindexer.running;
  const mode = s.mode === 'hybrid' ? 'Hybrid (keyword + semantic)' : 'Lexical only (keyword search)';
  const fields: APIEmbed['fields'] = [
    { name: 'Articles', value: s.articles.toLocaleString('en-US'), inline: true },
    { name: 'Passages', value: s.chunks.toLocaleString('en-US'), inline: true },
    { name: 'Mode', value: mode, inline: true },
    { name: 'Model', value: escapeMarkup(s.model), inline: true },
    { name: 'Index built', value: time(new Date(s.createdAt), TimestampStyles.RelativeTime), inline: true },
    // Questions about what happened after this date are refused: say where the news stops.
    { name: 'Newest article', value: s.newestDate ?? 'undated', inline: true },
    {
      name: 'Last reindex',
      value: last
        ? `${time(last.at, TimestampStyles.RelativeTime)} by <@${last.by}>: ${last.ok ? `${last.report?.articles ?? 0} articles` : `failed (${escapeMarkup(clip(last.error ?? '', 200))})`}`
        : 'None since the bot started',
      inline: false,
    },
  ];
  if (kept.files || kept.removed) {
    const parts = [kept.files ? `${kept.files} file${kept.files === 1 ? '' : 's'} added` : '', kept.removed ? `${kept.removed} article${kept.removed === 1 ? '' : 's'} removed` : ''];
    fields.push({ name: 'Sources from chat', value: `${parts.filter(Boolean).join(', ')} (/sources add and remove)`, inline: false });
  }
  if (s.modelError) fields.push({ name: 'Why lexical only', value: escapeMarkup(clip(s.modelError, 1000)), inline: false });
  if (running) fields.push({ name: 'Reindex running', value: `Started ${time(running.startedAt, TimestampStyles.RelativeTime)} by <@${running.by}>`, inline: false });
  await editReplyWithRetry(interaction, {
    embeds: [{ color: COLORS.result, title: 'Archivist status', fields, footer: { text: `Up since ${ctx.startedAt.toISOString()}` } }],
    allowedMentions: NO_MENTIONS,
  }, ctx.log, { ephemeral: true });
}
