import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Message,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import type { Confidence } from '../types.js';
import { CHAT_ALWAYS_REFUSED, offTopic, refusedAsChat } from '../search/postprocess/abstain.js';
import type { AnswerSession, BotContext } from './context.js';
import { answerMessage, headingLine, NO_MENTIONS, type AnswerView } from './format.js';
import { editReplyWithRetry } from './edit-retry.js';
import { logQuestion, recordVote } from './feedback.js';
import { searchText } from './input.js';
import { allowSearch, replyPrivately } from './reply.js';
import { askChannelIds } from './ask-channels.js';
import { chainAfter, threadContext } from './threads.js';

/**
 * Shows answers of /ask, /cite, "Find sources" and questions asked in messages (mentions, ask
 * channels, threads), and handles their buttons (paging, sharing, votes). One render path for all:
 * an interaction and a message only differ in how the page is sent. The search itself runs in the
 * search pool (ctx.search), off the event loop.
 */

export const ANSWER_PREFIX = 'ans';
const ACTIONS = ['more', 'prev', 'share', 'up', 'down', 'anyway'] as const;
type Action = (typeof ACTIONS)[number];

export function answerButtonId(action: Action, sessionId: string, offset: number): string {
  return `${ANSWER_PREFIX}:${action}:${sessionId}:${offset}`;
}

export function parseAnswerButtonId(id: string): { action: Action; sessionId: string; offset: number } | undefined {
  const [prefix, action, sessionId, offset] = id.split(':');
  const n = Number(offset);
  if (prefix !== ANSWER_PREFIX || !ACTIONS.includes(action as Action) || !sessionId || !Number.isInteger(n) || n < 0) return undefined;
  return { action: action as Action, sessionId, offset: n };
}

function view(session: AnswerSession): AnswerView {
  if (session.kind === 'ask') {
    return { heading: headingLine('Question:', session.text), noneText: 'No source in the corpus answers this.', filters: session.filters };
  }
  const label = session.messageUrl ? `Sources for [this message](${session.messageUrl}):` : 'Sources for:';
  return { heading: headingLine(label, session.text), noneText: 'No source in the corpus covers this claim.', filters: session.filters };
}

export type Page = { content: string; embeds: ReturnType<typeof answerMessage>['embeds']; components: ActionRowBuilder<ButtonBuilder>[]; allowedMentions: typeof NO_MENTIONS };

/** Searches one page of a session and renders it with its buttons. */
async function renderPage(ctx: BotContext, sessionId: string, session: AnswerSession, offset: number, shared = false): Promise<Page> {
  const answer = await ctx.search.ask(searchText(session.text), {
    k: session.k,
    offset,
    ...session.filters,
    evenIfUnsure: session.evenIfUnsure,
    ...(session.context?.length ? { context: session.context } : {}),
  });
  if (offset === 0 && !session.evenIfUnsure) session.followUp = answer.followUp;
  session.pages.set(offset, {
    mode: answer.mode,
    abstained: answer.abstained,
    confidence: answer.confidence?.probability,
    strong: !answer.abstained && answer.confidence?.strong === true,
    ...(answer.abstained && isChat(answer.confidence) ? { chat: true } : {}),
    results: answer.results.map((r) => ({ rank: r.rank, articleId: r.articleId, chunkId: r.chunkId, title: r.title, url: r.url })),
  });
  const message = answerMessage(answer, view(session));
  const button = (action: Action, label: string, style = ButtonStyle.Secondary): ButtonBuilder =>
    new ButtonBuilder().setCustomId(answerButtonId(action, sessionId, offset)).setLabel(label).setStyle(style);
  const rows: ActionRowBuilder<ButtonBuilder>[] = [];
  const nav: ButtonBuilder[] = [];
  if (!shared && offset > 0) nav.push(button('prev', 'Previous'));
  if (!shared && answer.more) nav.push(button('more', 'More results', ButtonStyle.Primary));
  if (!shared && session.ephemeral) nav.push(button('share', 'Share to channel', ButtonStyle.Success));
  // Refused for low confidence, but there were passages: the asker may see them, marked as such.
  if (!shared && answer.abstained && answer.confidence && !session.evenIfUnsure) nav.push(button('anyway', 'Show closest passages anyway'));
  if (nav.length) rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(nav));
  if (ctx.config.FEEDBACK === 'on') rows.push(new ActionRowBuilder<ButtonBuilder>().addComponents(button('up', '👍 Helpful'), button('down', '👎 Not helpful')));
  ctx.log.info(
    { kind: session.kind, offset, results: answer.results.length, abstained: answer.abstained, mode: answer.mode, tookMs: answer.tookMs, followUp: answer.followUp?.used.length ?? undefined },
    'answered',
  );
  return { ...message, components: rows, allowedMentions: NO_MENTIONS };
}

/**
 * Answers a checked question or claim: defer first (the search may take a moment while the
 * model warms up, and Discord allows 3 s), then edit in the results.
 */
export async function answer(
  interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction,
  ctx: BotContext,
  session: Omit<AnswerSession, 'pages' | 'ownerId' | 'guildId'>,
): Promise<void> {
  // In a thread the bot answers in, /ask carries the thread's earlier questions (a follow-up).
  const thread = session.kind === 'ask' && interaction.channel?.isThread() ? interaction.channel : undefined;
  const known = thread ? ctx.threads.get(thread.id) : undefined;
  const defer = async (): Promise<string | undefined> => {
    if (session.ephemeral) {
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      return undefined;
    }
    // A public answer can be continued in a thread on it, whose id is the answer message's: note its id.
    return (await interaction.deferReply({ withResponse: true })).resource?.message?.id;
  };
  let deferral: Promise<string | undefined> | undefined;
  let context = known ?? undefined;
  if (thread && known === undefined) {
    // Not in memory (a restart): Discord is asked, so acknowledge first (Discord allows 3 s).
    deferral = defer();
    deferral.catch(() => undefined); // awaited below; this only keeps a failure meanwhile from going unhandled
    context = await threadContext(ctx.threads, thread, interaction.client.user.id, askChannelIds(ctx, interaction.guildId), ctx.log);
  }
  const { full, page } = start(ctx, { ...session, ...(context?.length ? { context } : {}) }, interaction.user.id, interaction.guildId);
  const messageId = await (deferral ?? defer());
  const rendered = await page;
  logFirstPage(ctx, { guildId: interaction.guildId, channelId: interaction.channelId }, full);
  await editReplyWithRetry(interaction, rendered, ctx.log, { ephemeral: session.ephemeral });
  if (session.ephemeral || session.kind !== 'ask') return;
  const chain = chainAfter(full.text, full.context, full.followUp);
  if (messageId) ctx.threads.set(messageId, chain);
  if (thread && context) ctx.threads.set(thread.id, chain);
}

/** Records the session and queues its first search at once: its place in the queue is the arrival order. */
function start(ctx: BotContext, session: Omit<AnswerSession, 'pages' | 'ownerId' | 'guildId'>, ownerId: string, guildId: string | null): { full: AnswerSession; page: Promise<Page> } {
  const full: AnswerSession = { ...session, ownerId, guildId, pages: new Map() };
  // Grouped by server: a full store drops the busiest server's oldest buttons, not every server's.
  const page = renderPage(ctx, ctx.sessions.put(full, guildId ?? 'dm'), full, 0);
  page.catch(() => undefined); // awaited by the caller; this only keeps a failure meanwhile from going unhandled
  return { full, page };
}

/** Logs the question (FEEDBACK=on) before its answer goes out, so a vote on it always finds its question. */
function logFirstPage(ctx: BotContext, where: { guildId: string | null; channelId: string | null }, full: AnswerSession): void {
  const first = full.pages.get(0);
  if (first) full.questionId = logQuestion(ctx, where, full, first);
}

/**
 * When a message's answer is sent: `always` (the bot was asked by name: a refusal is an answer too),
 * `strong` (nobody asked it: only a strong match), `unless-refused` (a message in the bot's own
 * thread, a conversation with it: a strong or partial match, never the refusal).
 */
export type Speak = 'always' | 'strong' | 'unless-refused';

/** What became of a question asked in a message: its answer, or why nothing was sent. */
export type InChannel = { message: Message; chain: string[] } | { skipped: 'quiet' | 'chat' };

/**
 * Answers a question asked in a message (a mention, an ask channel, a thread): the same page as
 * /ask, sent by `send` (a reply, a message in a new thread, or an edit of an earlier answer); its
 * buttons work the same. Returns the answer message and the thread chain to record for it — or why
 * nothing was sent: `speak` ruled the answer out (quiet), or, with `chatIsHelp`, the search refused
 * it as chat (the caller gives the short help instead of a refusal).
 */
export async function answerInChannel(
  ctx: BotContext,
  session: Omit<AnswerSession, 'pages' | 'ownerId' | 'guildId' | 'kind' | 'ephemeral'>,
  ownerId: string,
  where: { guildId: string | null; channelId: string | null },
  send: (page: Page) => Promise<Message>,
  speak: Speak = 'always',
  chatIsHelp = false,
): Promise<InChannel> {
  const { full, page } = start(ctx, { ...session, kind: 'ask', ephemeral: false }, ownerId, where.guildId);
  const rendered = await page;
  const first = full.pages.get(0);
  if (speak === 'strong' && !first?.strong) return { skipped: 'quiet' };
  if (speak === 'unless-refused' && (!first || first.abstained || first.results.length === 0)) return { skipped: 'quiet' };
  if (chatIsHelp && first?.chat) return { skipped: 'chat' };
  logFirstPage(ctx, where, full);
  const message = await send(rendered);
  return { message, chain: chainAfter(full.text, full.context, full.followUp) };
}

/**
 * Refused as chat that asks nothing the corpus could hold: a greeting, talk about the bot, a service
 * asked of it, or other chat (tonight's plans, advice) naming none of the corpus's topics. Chat about
 * a topic the corpus covers ("what happens in Kherson tomorrow?") keeps its refusal, which says why.
 */
export function isChat(c: Confidence | undefined): boolean {
  if (!c?.chat || !refusedAsChat(c)) return false;
  // Greetings, talk about the bot and services asked of it are refused whatever words they share with the corpus.
  return CHAT_ALWAYS_REFUSED.has(c.chat) || offTopic(c);
}

export async function handleAnswerButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const parsed = parseAnswerButtonId(interaction.customId);
  const found = parsed && ctx.sessions.get(parsed.sessionId);
  // A button names its answer by id only: pressed from another server (a forged interaction), it is
  // treated as unknown, so no server votes on, shares or pages another's answer (or learns it exists).
  if (found && found.guildId !== interaction.guildId) ctx.log.warn({ user: interaction.user.id, guild: interaction.guildId }, "refused a button of another server's answer");
  const session = found && found.guildId === interaction.guildId ? found : undefined;
  if (!parsed || !session) {
    await replyPrivately(interaction, 'This answer has expired (buttons work for an hour, and not across bot restarts). Run the command again.');
    return;
  }
  const { action, sessionId, offset } = parsed;

  if (action === 'up' || action === 'down') {
    if (ctx.config.FEEDBACK === 'off') {
      await replyPrivately(interaction, 'Feedback is turned off on this bot: nothing was recorded.');
      return;
    }
    if (session.questionId === undefined) {
      await replyPrivately(interaction, "This answer could not be logged when it was given (see the bot's logs), so the vote cannot be recorded. Ask again to vote.");
      return;
    }
    const outcome = recordVote(ctx, session.questionId, offset, interaction.user.id, action, session.pages.get(offset));
    const emoji = action === 'up' ? '👍' : '👎';
    await replyPrivately(interaction, outcome === 'changed' ? `Thanks — your vote was changed to ${emoji}.` : outcome === 'unchanged' ? `You already voted ${emoji} on this answer; it counts once.` : `Thanks — your ${emoji} was recorded.`);
    return;
  }

  if (action === 'share') {
    // The same page shared again would post the same passages twice: the second press points to the first.
    session.shared ??= new Map();
    const shared = session.shared;
    const key = `${offset}${session.evenIfUnsure ? ':anyway' : ''}`;
    if (shared.has(key)) {
      const link = shared.get(key);
      await replyPrivately(interaction, `You already shared this answer to the channel${link ? `: ${link}` : ''}.`);
      return;
    }
    // Marked before any wait, so a quick double press is caught too; unmarked if the share fails.
    shared.set(key, undefined);
    try {
      if (!(await allowSearch(interaction, ctx))) {
        shared.delete(key);
        return;
      }
      const posted = (await interaction.deferReply({ withResponse: true })).resource?.message;
      if (posted) shared.set(key, posted.url);
      const page = await renderPage(ctx, sessionId, session, offset, true);
      await editReplyWithRetry(interaction, { ...page, content: `${page.content}\n-# Shared by ${interaction.user}` }, ctx.log);
    } catch (err) {
      shared.delete(key);
      throw err;
    }
    return;
  }

  // Paging (and revealing low-confidence passages) rewrites the message in place, so only its owner may do it on a public answer.
  if (interaction.user.id !== session.ownerId) {
    await replyPrivately(interaction, 'Only the person who asked can page through this answer. Run the command yourself to get your own.');
    return;
  }
  if (!(await allowSearch(interaction, ctx))) return;
  if (action === 'anyway') session.evenIfUnsure = true;
  const next = action === 'more' ? offset + session.k : action === 'anyway' ? 0 : Math.max(0, offset - session.k);
  await interaction.deferUpdate();
  await editReplyWithRetry(interaction, await renderPage(ctx, sessionId, session, next), ctx.log, { ephemeral: true });
}
