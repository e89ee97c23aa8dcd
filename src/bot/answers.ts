import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  MessageFlags,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type MessageContextMenuCommandInteraction,
} from 'discord.js';
import type { AnswerSession, BotContext } from './context.js';
import { answerMessage, headingLine, NO_MENTIONS, type AnswerView } from './format.js';
import { editReplyWithRetry } from './edit-retry.js';
import { logQuestion, recordVote } from './feedback.js';
import { searchText } from './input.js';
import { allowSearch, replyPrivately } from './reply.js';

/**
 * Shows answers of /ask, /cite and "Find sources" and handles their buttons (paging, sharing,
 * votes). The search itself runs in the search pool (ctx.search), off the event loop.
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

type Page = { content: string; embeds: ReturnType<typeof answerMessage>['embeds']; components: ActionRowBuilder<ButtonBuilder>[]; allowedMentions: typeof NO_MENTIONS };

/** Searches one page of a session and renders it with its buttons. */
async function renderPage(ctx: BotContext, sessionId: string, session: AnswerSession, offset: number, shared = false): Promise<Page> {
  const answer = await ctx.search.ask(searchText(session.text), { k: session.k, offset, ...session.filters, evenIfUnsure: session.evenIfUnsure });
  session.pages.set(offset, {
    mode: answer.mode,
    abstained: answer.abstained,
    confidence: answer.confidence?.probability,
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
  ctx.log.info({ kind: session.kind, offset, results: answer.results.length, abstained: answer.abstained, mode: answer.mode, tookMs: answer.tookMs }, 'answered');
  return { ...message, components: rows, allowedMentions: NO_MENTIONS };
}

/**
 * Answers a checked question or claim: defer first (the search may take a moment while the
 * model warms up, and Discord allows 3 s), then edit in the results.
 */
export async function answer(
  interaction: ChatInputCommandInteraction | MessageContextMenuCommandInteraction,
  ctx: BotContext,
  session: Omit<AnswerSession, 'pages' | 'ownerId'>,
): Promise<void> {
  const full: AnswerSession = { ...session, ownerId: interaction.user.id, pages: new Map() };
  const sessionId = ctx.sessions.put(full);
  // Queue the search at once, while the deferral goes out: its place in the queue is the arrival order.
  const page = renderPage(ctx, sessionId, full, 0);
  page.catch(() => undefined); // handled below; this only keeps a failure during the deferral from going unhandled
  await interaction.deferReply(session.ephemeral ? { flags: MessageFlags.Ephemeral } : {});
  const rendered = await page;
  // Logged before the reply goes out, so a vote on it always finds its question.
  const first = full.pages.get(0);
  if (first) full.questionId = logQuestion(ctx, { guildId: interaction.guildId, channelId: interaction.channelId }, full, first);
  await editReplyWithRetry(interaction, rendered, ctx.log, { ephemeral: session.ephemeral });
}

export async function handleAnswerButton(interaction: ButtonInteraction, ctx: BotContext): Promise<void> {
  const parsed = parseAnswerButtonId(interaction.customId);
  const session = parsed && ctx.sessions.get(parsed.sessionId);
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
    if (!(await allowSearch(interaction, ctx))) return;
    await interaction.deferReply();
    const page = await renderPage(ctx, sessionId, session, offset, true);
    await editReplyWithRetry(interaction, { ...page, content: `${page.content}\n-# Shared by ${interaction.user}` }, ctx.log);
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
