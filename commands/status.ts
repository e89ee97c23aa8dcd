import { MessageFlags, SlashCommandBuilder, time, TimestampStyles, type APIEmbed, type ChatInputCommandInteraction } from 'discord.js';
import type { BotContext } from '../src/bot/context.js';
import { editReplyWithRetry } from '../src/bot/edit-retry.js';
import { clip, COLORS, escapeMarkup, NO_MENTIONS } from '../src/bot/format.js';
import { maySeeIndexErrors } from '../src/bot/permissions.js';
import { keptSummary } from '../src/ingest/kept-sources.js';

export const data = new SlashCommandBuilder().setName('status').setDescription('Index size, search mode and model, last reindex');

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const [s, kept] = await Promise.all([ctx.search.status(), keptSummary(ctx.config.DATA_DIR)]);
  const last = ctx.lastReindex;
  const running = ctx.reindexer.running;
  // Errors can name server paths and the database's host: only for those who run the index (the
  // operator), not for every server's admins. Who ran a reindex stays out: they may be in another server.
  const insider = await maySeeIndexErrors(interaction, ctx);
  const who = (by: string): string => (by === interaction.user.id ? 'by you' : 'by an admin');
  const why = (error: string): string => (insider ? escapeMarkup(clip(error, 200)) : "the bot's operator sees why in its log");
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
        ? `${time(last.at, TimestampStyles.RelativeTime)} ${who(last.by)}: ${last.ok ? `${last.report?.articles ?? 0} articles` : `failed (${why(last.error ?? '')})`}`
        : 'None since the bot started',
      inline: false,
    },
  ];
  if (kept.files || kept.removed) {
    const parts = [kept.files ? `${kept.files} file${kept.files === 1 ? '' : 's'} added` : '', kept.removed ? `${kept.removed} article${kept.removed === 1 ? '' : 's'} removed` : ''];
    fields.push({ name: 'Sources from chat', value: `${parts.filter(Boolean).join(', ')} (/sources add and remove)`, inline: false });
  }
  if (s.modelError) fields.push({ name: 'Why lexical only', value: insider ? escapeMarkup(clip(s.modelError, 1000)) : "The embedding model could not be loaded (the bot's operator sees why in its log, or with `npm run status`).", inline: false });
  // A question failed on a damaged or missing index (router.ts, messages.ts) and no new index came since.
  const problem = ctx.indexProblem;
  if (problem) {
    const said = 'The index is damaged or missing; searches fail until the operator rebuilds it.';
    fields.push({
      name: '⚠️ Index problem',
      value: insider ? `${said}\nSeen ${time(problem.at, TimestampStyles.RelativeTime)}: ${escapeMarkup(clip(problem.message, 800))}` : said,
      inline: false,
    });
  }
  if (running) fields.push({ name: 'Reindex running', value: `Started ${time(running.startedAt, TimestampStyles.RelativeTime)} ${who(running.by)}`, inline: false });
  await editReplyWithRetry(interaction, {
    embeds: [{ color: COLORS.result, title: 'Archivist status', fields, footer: { text: `Up since ${ctx.startedAt.toISOString()}` } }],
    allowedMentions: NO_MENTIONS,
  }, ctx.log, { ephemeral: true });
}
