import {
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  time,
  TimestampStyles,
  type APIEmbed,
  type ChatInputCommandInteraction,
} from 'discord.js';
import type { BuildProgress } from '../src/indexer/build.js';
import type { BotContext } from '../src/bot/context.js';
import { clip, COLORS, escapeMarkup } from '../src/bot/format.js';
import { LongReply } from '../src/bot/long-reply.js';
import { refreshOutlets } from '../src/bot/index-update.js';
import { indexChangeRefusal } from '../src/bot/permissions.js';
import { publicText } from '../src/bot/redact.js';
import { replyPrivately } from '../src/bot/reply.js';

export const data = new SlashCommandBuilder()
  .setName('reindex')
  .setDescription('Rebuild the search index from the corpus (admins only)')
  .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
  .setContexts(InteractionContextType.Guild);

const STAGES: Record<BuildProgress['stage'], string> = {
  load: 'Loading articles',
  chunk: 'Cutting passages',
  model: 'Loading the embedding model',
  embed: 'Embedding passages',
  hnsw: 'Building the vector index',
  lexical: 'Building the keyword index',
  merge: 'Merging the keyword segments',
  related: 'Learning related words',
  write: 'Writing the index',
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  // Before anything else: the check may ask Discord who the operator is, and starting must stay one step.
  const why = await indexChangeRefusal(interaction, ctx, '/reindex can be run');
  if (why) {
    ctx.log.warn({ user: interaction.user.id, guild: interaction.guildId }, 'refused /reindex');
    return replyPrivately(interaction, why);
  }
  const reply = new LongReply(interaction, ctx.log);
  // Start before any await: checking and starting in one synchronous step is what makes a second,
  // simultaneous /reindex see this one as running.
  const outcome = ctx.reindexer.start(interaction.user.id, (p) => {
    const count = p.total > 1 ? ` ${p.done.toLocaleString('en-US')}/${p.total.toLocaleString('en-US')}` : '';
    reply.progress({ content: `⏳ Reindexing… ${STAGES[p.stage]}${count}${p.message ? `\n-# ${escapeMarkup(clip(publicText(p.message), 300))}` : ''}` });
  });
  if (!outcome) {
    const running = ctx.reindexer.running;
    // Who started it stays out: they may be a member of another server.
    const since = running ? ` (started ${time(running.startedAt, TimestampStyles.RelativeTime)})` : '';
    return replyPrivately(interaction, `A reindex is already running${since}. Wait for it to finish; /status shows when it does.`);
  }
  // If acknowledging fails the build still runs and is swapped in; the result then goes to the channel.
  await interaction.deferReply().catch((err: unknown) => ctx.log.warn({ err }, 'reindex: could not defer the reply'));
  ctx.log.info({ user: interaction.user.id }, 'reindex started');
  const result = await outcome;

  let embed: APIEmbed;
  if (result.ok) {
    // The build committed a new generation (or swapped in a rebuilt index); each search worker picks
    // it up in place (new segments, deletion marks, vectors), answering from the old state meanwhile.
    try {
      await ctx.search.reopen();
    } catch (err) {
      const error = `the new index was built but could not be opened: ${(err as Error).message}`;
      ctx.lastReindex = { at: new Date(), by: interaction.user.id, ok: false, error };
      ctx.log.error({ err }, 'reindex: opening the new index failed');
      await reply.finish({ content: '', embeds: [failedEmbed()] });
      return;
    }
    const r = result.report;
    ctx.lastReindex = { at: new Date(), by: interaction.user.id, ok: true, report: r };
    ctx.indexProblem = undefined;
    ctx.log.info({ articles: r.articles, chunks: r.chunks, mode: r.mode, ms: result.ms }, 'reindex done');
    ctx.announceReindex();
    await refreshOutlets(ctx);
    embed = {
      color: COLORS.ok,
      title: '✅ Reindex complete',
      description: `Indexed **${r.articles.toLocaleString('en-US')}** articles (**${r.chunks.toLocaleString('en-US')}** passages) from ${r.files} files in ${seconds(result.ms)}. Now answering from the new index.`,
      fields: [
        { name: 'Mode', value: r.mode === 'hybrid' ? `Hybrid (${escapeMarkup(r.model)}: ${r.embedded} embedded, ${r.reused} reused)` : 'Lexical only', inline: false },
        { name: 'Skipped', value: `${r.duplicates} duplicates, ${r.problems.length} bad inputs`, inline: true },
      ],
    };
  } else if (result.busy) {
    // Another process (another shard's /reindex, or `npm run index`) holds the index's lock.
    ctx.log.info({ error: result.error }, 'reindex refused: another build is running');
    await reply.finish({ content: 'A reindex or a change of the sources is already running (possibly on another shard or from the command line). Wait for it to finish; every shard answers from the new index when it does.' });
    return;
  } else {
    ctx.lastReindex = { at: new Date(), by: interaction.user.id, ok: false, error: result.error };
    ctx.log.error({ error: result.error, ms: result.ms }, 'reindex failed');
    embed = failedEmbed();
  }
  await reply.finish({ content: '', embeds: [embed] });
}

/** The reply is public: why it failed (paths, database details) is for whoever runs the index, in /status and the log. */
function failedEmbed(): APIEmbed {
  return {
    color: COLORS.error,
    title: '❌ Reindex failed',
    description: "The previous index is unchanged and still answering. Whoever may reindex sees why with /status (and the bot's operator in its log).",
  };
}
