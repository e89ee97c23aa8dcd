import { rm } from 'node:fs/promises';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  SlashCommandBuilder,
  type APIEmbed,
  type AutocompleteInteraction,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
} from 'discord.js';
import { addRemoval, forgetRemovals, keepFile, REMOVALS_FILE, RemovalsError, type RemovedArticle } from '../src/ingest/kept-sources.js';
import { attachmentUrlProblem } from '../src/bot/attachment-hosts.js';
import { checkAttachment, type CheckedFile, type RejectedFile } from '../src/bot/attachments.js';
import { articleChoices } from '../src/bot/choices.js';
import type { BotContext } from '../src/bot/context.js';
import { editReplyWithRetry } from '../src/bot/edit-retry.js';
import { clip, COLORS, escapeMarkup, LIMITS, NO_MENTIONS, sourcesEmbed } from '../src/bot/format.js';
import { updateIndex } from '../src/bot/index-update.js';
import { indexChangeRefusal, isAdmin, mayChangeIndexNow } from '../src/bot/permissions.js';
import { allowSearch, replyPrivately } from '../src/bot/reply.js';
import { SourcesBusyError, withSourcesLock } from '../src/bot/sources-lock.js';

const PAGE = 10;
const MAX_QUERY = 60;
/** Attachment options of /sources add: file1 is required; SOURCES_MAX_FILES says how many are used. */
const FILE_OPTIONS = Array.from({ length: 10 }, (_, i) => `file${i + 1}`);
/** Autocomplete must answer within Discord's 3 s even when the search pool is busy: after this, no suggestions (and the queued lookup is dropped). */
const SUGGEST_TIMEOUT_MS = 1500;

export const data = new SlashCommandBuilder()
  .setName('sources')
  .setDescription('The indexed articles: list them; admins add files or remove an article')
  .addSubcommand((s) =>
    s
      .setName('list')
      .setDescription('List the indexed articles (title, outlet, date)')
      .addStringOption((o) => o.setName('query').setDescription('Only articles with these words in the title or outlet').setMaxLength(MAX_QUERY)),
  )
  .addSubcommand((s) => {
    s.setName('add').setDescription('Add articles from files: txt, md, html, json, jsonl, csv (admins only)');
    for (const [i, name] of FILE_OPTIONS.entries()) {
      s.addAttachmentOption((o) => o.setName(name).setDescription(i === 0 ? 'A file of articles' : 'Another file').setRequired(i === 0));
    }
    return s;
  })
  .addSubcommand((s) =>
    s
      .setName('remove')
      .setDescription('Remove one article from the index, for good (admins only)')
      .addStringOption((o) => o.setName('article').setDescription('Start typing its title').setRequired(true).setAutocomplete(true).setMaxLength(100)),
  );

// The query fits in the custom id (prefix + offset + 60 chars < 100), so paging survives restarts.
export const buttonPrefix = 'sources';
const pageId = (offset: number, query: string): string => `${buttonPrefix}:${offset}:${query}`;

async function page(ctx: BotContext, query: string, offset: number) {
  const { total, items } = await ctx.search.listArticles(query, offset, PAGE);
  const buttons: ButtonBuilder[] = [];
  if (offset > 0) buttons.push(new ButtonBuilder().setCustomId(pageId(Math.max(0, offset - PAGE), query)).setLabel('Previous').setStyle(ButtonStyle.Secondary));
  if (offset + PAGE < total) buttons.push(new ButtonBuilder().setCustomId(pageId(offset + PAGE, query)).setLabel('Next').setStyle(ButtonStyle.Primary));
  return {
    embeds: [sourcesEmbed(items, offset, total, query)],
    components: buttons.length ? [new ActionRowBuilder<ButtonBuilder>().addComponents(buttons)] : [],
    allowedMentions: NO_MENTIONS,
  };
}

export async function execute(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const sub = interaction.options.getSubcommand();
  if (sub === 'add') return add(interaction, ctx);
  if (sub === 'remove') return remove(interaction, ctx);
  if (!mayList(interaction, ctx)) return replyPrivately(interaction, LIST_REFUSED);
  if (!(await allowSearch(interaction, ctx))) return;
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const query = (interaction.options.getString('query') ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_QUERY);
  await editReplyWithRetry(interaction, await page(ctx, query, 0), ctx.log, { ephemeral: true });
}

/**
 * The list is for admins (server admins, and whoever may change the index): every page is a lookup
 * in the shared search pool, so it is also taken from the same allowances as a search.
 */
const mayList = (interaction: ChatInputCommandInteraction | ButtonInteraction, ctx: BotContext): boolean => isAdmin(interaction, ctx) || mayChangeIndexNow(interaction, ctx);
const LIST_REFUSED = 'Only server administrators (or members of an admin role: /settings show lists them) can list the indexed articles.';

export async function handleButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  if (!mayList(interaction, ctx)) return replyPrivately(interaction, LIST_REFUSED);
  if (!(await allowSearch(interaction, ctx))) return;
  const [, offset, ...rest] = interaction.customId.split(':');
  const n = Math.max(0, Number(offset) || 0);
  // Acknowledge first: the page comes from the search pool, which may be busy.
  await interaction.deferUpdate();
  await editReplyWithRetry(interaction, await page(ctx, rest.join(':').slice(0, MAX_QUERY), n), ctx.log, { ephemeral: true });
}

/** Suggestions per person per minute (keystrokes; apart from the search allowance, which they would use up). */
const SUGGESTIONS_PER_MINUTE = 60;

/**
 * `remove article:` suggestions, for those who may remove: the index's articles by title (a title
 * index lookup in the search pool). None when over the limit, or when the pool cannot answer
 * within the deadline — then the queued lookup is dropped rather than run for nobody.
 */
export async function autocomplete(interaction: AutocompleteInteraction, ctx: BotContext): Promise<void> {
  const focused = interaction.options.getFocused(true);
  if (focused.name !== 'article' || !mayChangeIndexNow(interaction, ctx)) return interaction.respond([]);
  if (ctx.limiter.take(`suggest:${interaction.user.id}`, SUGGESTIONS_PER_MINUTE, 60_000) > 0) {
    ctx.log.debug({ user: interaction.user.id }, 'article suggestions: over the limit');
    return interaction.respond([]);
  }
  const deadline = AbortSignal.timeout(SUGGEST_TIMEOUT_MS);
  const list = await ctx.search.listArticles(focused.value.slice(0, MAX_QUERY), 0, 25, deadline).catch((err: unknown) => {
    if (deadline.aborted) ctx.log.debug({ typed: focused.value.length }, 'article suggestions: the search pool did not answer in time; dropped');
    else ctx.log.warn({ err }, 'article suggestions failed');
    return undefined;
  });
  // Past our deadline there is still time (Discord's 3 s) to say "no suggestions" instead of nothing.
  await interaction.respond(list && !deadline.aborted ? articleChoices(list.items) : []);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const count = (n: number, what: string): string => `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;

/** Why this member may not change the shared index, or undefined when they may (permissions.ts decides). */
function refusal(interaction: ChatInputCommandInteraction, ctx: BotContext, what: string): Promise<string | undefined> {
  return indexChangeRefusal(interaction, ctx, `Sources can be ${what === 'add' ? 'added' : 'removed'}`);
}

async function refuse(interaction: ChatInputCommandInteraction, ctx: BotContext, what: string, why: string): Promise<void> {
  ctx.log.warn({ user: interaction.user.id, guild: interaction.guildId }, `refused /sources ${what}`);
  return replyPrivately(interaction, why);
}

/**
 * `/sources add`: each attachment is downloaded and checked on its own (one bad file never stops
 * the others), the good ones are kept in DATA_DIR/sources, then one update in place indexes them.
 */
async function add(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const why = await refusal(interaction, ctx, 'add');
  if (why) return refuse(interaction, ctx, 'add', why);
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const started = performance.now();
  const { DATA_DIR: dataDir, SOURCES_MAX_FILES: maxFiles } = ctx.config;
  const attachments = FILE_OPTIONS.map((name) => interaction.options.getAttachment(name)).filter((a) => a !== null);
  const rejected: RejectedFile[] = [];
  const checked: CheckedFile[] = [];
  for (const [i, a] of attachments.entries()) {
    if (i >= maxFiles) {
      rejected.push({ ok: false, name: a.name, error: `not added: at most ${maxFiles} files per command (SOURCES_MAX_FILES); send it again` });
      continue;
    }
    const badHost = attachmentUrlProblem(a.url, ctx.config);
    if (badHost) {
      ctx.log.warn({ user: interaction.user.id, host: URL.canParse(a.url) ? new URL(a.url).host : undefined }, 'sources add: attachment not from Discord\'s CDN');
      rejected.push({ ok: false, name: a.name, error: badHost });
      continue;
    }
    const file = await checkAttachment(
      { name: a.name, url: a.url, size: a.size },
      dataDir,
      { maxBytes: ctx.config.SOURCES_MAX_FILE_MB * 1_048_576 },
      { dateOrder: ctx.config.DATE_ORDER, maxArticleChars: ctx.config.MAX_ARTICLE_CHARS },
    );
    if (file.ok) checked.push(file);
    else rejected.push(file);
  }
  ctx.log.info({ user: interaction.user.id, accepted: checked.length, rejected: rejected.map((r) => r.error) }, 'sources add: files checked');
  const rejectedLines = rejected.map((r) => `❌ **${escapeMarkup(r.name)}**: ${escapeMarkup(r.error)}`);
  if (checked.length === 0) {
    await finish(interaction, ctx, { color: COLORS.error, title: 'Nothing added', description: rejectedLines.join('\n') });
    return;
  }
  let embed: APIEmbed;
  try {
    // From keeping the files to judging the update's result, no other change of the sources runs
    // (on any shard), so "nothing new from this file" can only mean it was indexed before.
    embed = await withSourcesLock(dataDir, () => keepAndIndex(interaction, ctx, checked, rejectedLines, started));
  } catch (err) {
    if (!(err instanceof SourcesBusyError)) throw err;
    for (const f of checked) await rm(f.staged, { force: true });
    embed = { color: COLORS.error, title: 'Nothing added', description: [...rejectedLines, '', 'Other changes of the sources kept the index busy for too long. Send the files again later.'].join('\n') };
  }
  await finish(interaction, ctx, embed);
}

/** Keeps the checked files, indexes them with one update in place and describes the outcome (under the sources lock). */
async function keepAndIndex(interaction: ChatInputCommandInteraction, ctx: BotContext, checked: CheckedFile[], rejectedLines: string[], started: number): Promise<APIEmbed> {
  const dataDir = ctx.config.DATA_DIR;
  const accepted: Array<CheckedFile & { kept: string }> = [];
  for (const f of checked) accepted.push({ ...f, kept: await keepFile(dataDir, f.staged, f.name) });
  // Adding an article again from chat takes it off the removal list.
  let unremoved: RemovedArticle[];
  try {
    unremoved = await forgetRemovals(dataDir, accepted.flatMap((f) => f.articleIds));
  } catch (err) {
    if (!(err instanceof RemovalsError)) throw err;
    for (const f of accepted) await rm(f.kept, { force: true });
    return { color: COLORS.error, title: 'Nothing added', description: escapeMarkup(err.message) };
  }
  await interaction
    .editReply({ content: `⏳ Indexing ${count(accepted.length, 'file')}…`, allowedMentions: NO_MENTIONS })
    .catch((err: unknown) => ctx.log.warn({ err }, 'sources add: could not show progress'));
  const outcome = await updateIndex(ctx, interaction.user.id, { track: accepted.map((f) => f.kept), underSourcesLock: true });
  if (!outcome.ok) {
    // Nothing changed in the index: drop the kept copies and restore the removal list, so a later build does not pick them up.
    for (const f of accepted) await rm(f.kept, { force: true });
    for (const r of unremoved) await addRemoval(dataDir, r);
    ctx.log.error({ error: outcome.error }, 'sources add: the update failed');
    const why = outcome.busy
      ? 'Another build of the index is running (on another shard or from the command line). Send the files again when it is done.'
      : `The index could not be updated: ${clip(outcome.error, 1200)}\nThe previous index is unchanged and still answering.`;
    return { color: COLORS.error, title: 'Nothing added', description: [...rejectedLines, '', escapeMarkup(why)].join('\n') };
  }

  const report = outcome.report;
  const lines: string[] = [];
  let articles = 0;
  let passages = 0;
  for (const f of accepted) {
    const got = report.tracked?.[f.kept] ?? { articles: 0, passages: 0 };
    const already = f.articleIds.length - got.articles;
    const notes = f.notes.map((n) => `\n-# ${escapeMarkup(clip(n, 200))}`).join('');
    if (got.articles === 0) {
      // Every article of it was indexed already (no other build could have read this copy: the lock): the copy would only ever be a duplicate.
      await rm(f.kept, { force: true });
      lines.push(`➖ **${escapeMarkup(f.name)}**: already indexed (${count(f.articleIds.length, 'article')}), nothing added${notes}`);
      continue;
    }
    articles += got.articles;
    passages += got.passages;
    const dup = already > 0 ? `; ${count(already, 'article')} already indexed, not added again` : '';
    lines.push(`✅ **${escapeMarkup(f.name)}**: ${count(got.articles, 'article')}, ${count(got.passages, 'passage')} added${dup}${notes}`);
  }
  const how = report.kind === 'update' ? 'by an update in place' : `by a full build (${report.fullReason ?? 'needed'})`;
  ctx.log.info({ user: interaction.user.id, articles, passages, ms: Math.round(performance.now() - started) }, 'sources added');
  return {
    color: articles > 0 ? COLORS.ok : COLORS.none,
    title: articles > 0 ? `📥 Added ${count(articles, 'article')} (${count(passages, 'passage')})` : 'Nothing new to add',
    description: [...lines, ...rejectedLines].join('\n'),
    footer: {
      text: `Done in ${seconds(performance.now() - started)} (indexed ${how} in ${seconds(outcome.ms)}); the index now has ${count(report.articles, 'article')}. Added files are kept in the data folder, so a full /reindex keeps them.`,
    },
  };
}

/** How many matches of the typed text are searched for one whose whole title it is. */
const EXACT_TITLE_LOOKUP = 25;
const foldTitle = (title: string): string => title.normalize('NFKC').replace(/\s+/g, ' ').trim().toLowerCase();
const sameTitle = (a: string, b: string): boolean => foldTitle(a) === foldTitle(b);

/**
 * `/sources remove`: puts the article on the removal list (DATA_DIR/removed-articles.json, which
 * every build reads) and runs the update in place that takes it out of the index.
 */
async function remove(interaction: ChatInputCommandInteraction, ctx: BotContext): Promise<void> {
  const why = await refusal(interaction, ctx, 'remove');
  if (why) return refuse(interaction, ctx, 'remove', why);
  const typed = interaction.options.getString('article', true).trim();
  if (!typed) return replyPrivately(interaction, 'Type part of a title and pick an article from the suggestions.');
  await interaction.deferReply({ flags: MessageFlags.Ephemeral });
  const started = performance.now();
  const { total, items } = await ctx.search.listArticles(typed, 0, EXACT_TITLE_LOOKUP);
  // Removal is for good: only what a suggestion supplies (an id) or a whole title names one article.
  // Words typed and sent without picking ("shipyard") are a search, however few articles match.
  const byTitle = items.filter((a) => sameTitle(a.title, typed));
  const article = items.find((a) => a.id === typed) ?? (byTitle.length === 1 ? byTitle[0] : undefined);
  if (!article) {
    const quoted = `“${escapeMarkup(clip(typed, 100))}”`;
    const content =
      total === 0
        ? `No article in the index matches ${quoted}. Pick one from the suggestions as you type its title. Nothing was changed.`
        : total === 1
          ? `1 article matches ${quoted}: “${escapeMarkup(clip(items[0]!.title, 200))}”. To remove it, pick it from the suggestions (or type its whole title). Nothing was changed.`
          : `${count(total, 'article')} match ${quoted}: pick one from the suggestions as you type its title. Nothing was changed.`;
    await editReplyWithRetry(interaction, { content, allowedMentions: NO_MENTIONS }, ctx.log, { ephemeral: true });
    return;
  }
  const entry: RemovedArticle = { id: article.id, title: article.title, outlet: article.outlet, url: article.url, at: new Date().toISOString(), by: interaction.user.id };
  const label = `“${escapeMarkup(clip(article.title, 200))}”${article.outlet || article.date ? ` (${escapeMarkup([article.outlet, article.date].filter(Boolean).join(', '))})` : ''}`;
  let embed: APIEmbed;
  try {
    embed = await withSourcesLock(ctx.config.DATA_DIR, () => removeAndIndex(interaction, ctx, entry, label, started));
  } catch (err) {
    if (!(err instanceof SourcesBusyError)) throw err;
    embed = { color: COLORS.error, title: 'Nothing removed', description: `${label}\n\nOther changes of the sources kept the index busy for too long. Try again later.` };
  }
  await finish(interaction, ctx, embed);
}

/** Puts the article on the removal list and runs the update that takes it out (under the sources lock). */
async function removeAndIndex(interaction: ChatInputCommandInteraction, ctx: BotContext, entry: RemovedArticle, label: string, started: number): Promise<APIEmbed> {
  try {
    await addRemoval(ctx.config.DATA_DIR, entry);
  } catch (err) {
    if (!(err instanceof RemovalsError)) throw err;
    return { color: COLORS.error, title: 'Nothing removed', description: escapeMarkup(err.message) };
  }
  const outcome = await updateIndex(ctx, interaction.user.id, { underSourcesLock: true });
  if (!outcome.ok) {
    await forgetRemovals(ctx.config.DATA_DIR, [entry.id]);
    ctx.log.error({ error: outcome.error, article: entry.id }, 'sources remove: the update failed');
    const why = outcome.busy
      ? 'Another build of the index is running (on another shard or from the command line). Try again when it is done.'
      : `The index could not be updated: ${clip(outcome.error, 1200)}`;
    return { color: COLORS.error, title: 'Nothing removed', description: `${label}\n\n${escapeMarkup(why)}\nThe index is unchanged.` };
  }
  ctx.log.info({ user: interaction.user.id, article: entry.id, ms: Math.round(performance.now() - started) }, 'source removed');
  return {
    color: COLORS.ok,
    title: '🗑️ Article removed',
    description: `${label} no longer answers questions. It stays removed across reindexes (listed in the data folder's ${REMOVALS_FILE}); adding it again with \`/sources add\` brings it back.`,
    footer: { text: `Done in ${seconds(performance.now() - started)}; the index now has ${count(outcome.report.articles, 'article')}.` },
  };
}

async function finish(interaction: ChatInputCommandInteraction, ctx: BotContext, embed: APIEmbed): Promise<void> {
  const body = { ...embed, title: clip(embed.title ?? '', LIMITS.title), description: clip(embed.description ?? '', LIMITS.description) };
  await editReplyWithRetry(interaction, { content: '', embeds: [body], allowedMentions: NO_MENTIONS }, ctx.log, { ephemeral: true });
}
