import type { APIEmbed } from 'discord.js';
import type { Answer, ArticleSummary, QuoteSentence, SearchResult } from '../types.js';
import { partialReason, refusalReason } from '../search/postprocess/abstain.js';

/** Discord's message limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  embeds: 10,
  /** All embed text of one message together. */
  total: 6000,
} as const;

/** Every reply sets this: quoted articles and questions must never ping anyone. */
export const NO_MENTIONS = { parse: [] as never[] };

export const COLORS = { result: 0x5865f2, none: 0x99aab5, ok: 0x57f287, error: 0xed4245 } as const;

/**
 * Escapes markdown so quoted text shows as written and cannot break our layout: every character
 * that starts inline markup (bold, italics, code, spoilers, links, mentions) anywhere, and block
 * markup (headings, lists, quotes, subtext) at the start of every line. Discord hides a backslash before punctuation.
 * (discord.js's escapeMarkdown leaves runs like "***" unescaped.)
 */
export function escapeMarkup(text: string): string {
  return text
    .replace(/[\\*_~`|[\]<@]/g, '\\$&')
    .replace(/^([ \t]*)([>#+-])/gm, '$1\\$2')
    .replace(/^([ \t]*\d+)\./gm, '$1\\.');
}

/**
 * Text the bot repeats from a user (a question, a filter) in a message's text: links stay readable
 * but inert. Discord turns a URL in a message's text into a link preview (a picture, a video, an
 * invite card) under the bot's name, even where members may not embed links themselves. A backslash
 * before ":" or "." is hidden by Discord and breaks the link.
 */
export function inertLinks(text: string): string {
  return text.replace(/:\/\//g, '\\://').replace(/\b(discord(?:app)?)\.(gg|com\/invite)\//gi, '$1\\.$2/');
}

const ELLIPSIS = '…';

/** Cuts plain text to `max` characters at a word boundary, marking the cut with "…". */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= 1) return ELLIPSIS.slice(0, max);
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).trimEnd()}${ELLIPSIS}`;
}

/** Escapes then clips, shortening the raw text until the escaped result fits (escapes add characters). */
export function clipEscaped(text: string, max: number): string {
  let raw = text;
  let out = escapeMarkup(raw);
  while (out.length > max) {
    // Shrink in proportion: each raw character may have become two.
    const target = Math.min(raw.length - 1, Math.floor((raw.length * max) / out.length) - 1);
    if (target <= 1) return ELLIPSIS.slice(0, max);
    raw = clip(raw, target);
    out = escapeMarkup(raw);
  }
  return out;
}

const oneLine = (s: string): string => s.replace(/\s+/g, ' ').trim();

/**
 * The quote as a blockquote with the best sentence in bold, within `max` characters. Too long a
 * quote loses whole sentences — first those next to the best one from the end, then from the start,
 * and a detached sentence (one after a gap, chosen as a second answer) last — never the best one;
 * every cut and gap is marked with "…". Only a best sentence that alone is too long is cut inside.
 */
export function formatQuote(sentences: readonly QuoteSentence[], max: number): string {
  const list = sentences.map((s) => ({ text: oneLine(s.text), best: s.best, gap: s.gap === true })).filter((s) => s.text);
  if (list.length === 0) return '';
  let best = list.findIndex((s) => s.best);
  if (best < 0) best = 0;
  // A detached sentence stands apart from the best one's run: after a gap that follows the best, or before one that precedes it.
  const detached = (i: number): boolean => (i > best && list.slice(best + 1, i + 1).some((s) => s.gap)) || (i < best && list.slice(i + 1, best + 1).some((s) => s.gap));
  const kept = list.map(() => true);
  const render = (): string => {
    const parts: string[] = [];
    let skipped = false;
    list.forEach((s, i) => {
      if (!kept[i]) {
        skipped = true;
        return;
      }
      if (parts.length === 0 ? skipped : skipped || s.gap) parts.push(ELLIPSIS);
      parts.push(i === best ? `**${escapeMarkup(s.text)}**` : escapeMarkup(s.text));
      skipped = false;
    });
    if (skipped) parts.push(ELLIPSIS);
    return `> ${parts.join(' ')}`;
  };
  // Which sentence goes next: neighbours of the best from the end, then from the start; detached ones last.
  const order = [...list.keys()].filter((i) => i !== best).sort((a, b) => Number(detached(a)) - Number(detached(b)) || (a > best ? 0 : 1) - (b > best ? 0 : 1) || (a > best ? b - a : a - b));
  let out = render();
  for (const i of order) {
    if (out.length <= max) break;
    kept[i] = false;
    out = render();
  }
  if (out.length <= max) return out;
  // Only the best sentence is left and it is still too long: cut inside it.
  const before = `> ${best > 0 ? `${ELLIPSIS} ` : ''}**`;
  const after = `**${best < list.length - 1 ? ` ${ELLIPSIS}` : ''}`;
  return `${before}${clipEscaped(list[best]!.text, Math.max(1, max - before.length - after.length))}${after}`;
}

/** Only http(s) URLs become links: anything else would be rejected by Discord or be unsafe. */
export function safeUrl(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** Characters Discord counts toward the 6000 limit. */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0) +
    (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0)
  );
}

function resultEmbed(result: SearchResult, budget: { title: number; outlet: number; description: number }): APIEmbed {
  const url = safeUrl(result.url);
  return {
    color: COLORS.result,
    title: clipEscaped(result.title || 'Untitled article', budget.title),
    ...(url ? { url } : {}),
    description: formatQuote(result.quoteSentences, budget.description),
    fields: [
      { name: 'Outlet', value: clipEscaped(result.outlet ?? 'Unknown', budget.outlet), inline: true },
      { name: 'Published', value: clipEscaped(result.date ?? 'Unknown', 40), inline: true },
    ],
    footer: { text: `Result ${result.rank}` },
  };
}

/** Room left for the footer note answerMessage adds to the last embed. */
const NOTE_ROOM = 200;

/**
 * One embed per result (at most 10), sharing the 6000-character message budget: each gets an equal
 * share, titles and outlets take a bounded part of it, and the quote gets what is left.
 */
export function resultEmbeds(results: readonly SearchResult[]): APIEmbed[] {
  const shown = results.slice(0, LIMITS.embeds);
  if (shown.length === 0) return [];
  const share = Math.floor((LIMITS.total - NOTE_ROOM) / shown.length);
  const title = Math.min(LIMITS.title, Math.floor(share / 4));
  const outlet = Math.min(LIMITS.fieldValue, Math.floor(share / 6));
  return shown.map((r) => {
    const skeleton = embedLength(resultEmbed(r, { title, outlet, description: 0 }));
    return resultEmbed(r, { title, outlet, description: Math.min(LIMITS.description, Math.max(40, share - skeleton)) });
  });
}

export interface AnswerView {
  /** Line above the results: what was asked, or what sources are sought for. */
  heading: string;
  /** Said when the core abstains. */
  noneText: string;
  filters?: { after?: string; before?: string; outlet?: string };
}

export function describeFilters(filters: AnswerView['filters']): string {
  if (!filters) return '';
  const parts = [
    filters.outlet ? `outlet “${clip(oneLine(filters.outlet), 80)}”` : '',
    filters.after ? `from ${filters.after}` : '',
    filters.before ? `until ${filters.before}` : '',
  ].filter(Boolean);
  return parts.length ? `Filters: ${inertLinks(escapeMarkup(parts.join(', ')))}` : '';
}

/** The message body of an answer page: content line plus embeds, within every limit. */
export function answerMessage(answer: Answer, view: AnswerView): { content: string; embeds: APIEmbed[] } {
  const filters = describeFilters(view.filters);
  const content = clip([view.heading, followUpLine(answer), filters, datesLine(answer), answer.abstained ? '' : confidenceLine(answer)].filter(Boolean).join('\n'), LIMITS.content);
  if (answer.abstained || answer.results.length === 0) {
    return {
      content,
      embeds: [
        {
          color: COLORS.none,
          title: answer.results.length === 0 && !answer.abstained ? 'No more results.' : view.noneText,
          description: [answer.abstained ? refusalReason(answer.confidence) : undefined, 'Try other words or fewer filters, or see what is indexed with /sources.'].filter(Boolean).join('\n'),
        },
      ],
    };
  }
  const embeds = resultEmbeds(answer.results);
  const last = embeds[embeds.length - 1]!;
  const mode = answer.mode === 'hybrid' ? 'keyword + semantic search' : 'keyword search';
  last.footer = { text: `${last.footer?.text ?? ''} · ${mode} · ${answer.tookMs} ms` };
  return { content, embeds };
}

/** Which earlier question a follow-up carried over (small text under the heading); nothing on a new topic. */
export function followUpLine(answer: Answer): string {
  const used = answer.followUp?.used ?? [];
  if (used.length === 0) return '';
  const quoted = used.map((q) => `“${inertLinks(clipEscaped(oneLine(q), 200))}”`).join(' ← ');
  return `-# ↪ Following up on: ${quoted}`;
}

/** The dates the question's time words chose ("this week"), so the asker sees why older articles are missing. */
export function datesLine(answer: Answer): string {
  const d = answer.dates;
  if (!d || answer.results.length === 0) return '';
  const phrase = `“${clipEscaped(oneLine(d.phrase), 40)}”`;
  return d.held ? `-# 📅 ${phrase}: articles dated ${d.after} to ${d.before}` : `-# 📅 ${phrase}: nothing dated ${d.after} to ${d.before} answers this closely; these are from any date`;
}

/** How sure the answer is, in words (small text under the heading). */
export function confidenceLine(answer: Answer): string {
  if (answer.results.length === 0) return '';
  if (answer.lowConfidence) return '-# ⚠️ Low confidence: the closest passages, which may not answer this.';
  if (answer.confidence?.strong) return '-# Strong match';
  const why = partialReason(answer.confidence);
  return why ? `-# Partial match: ${why}` : '-# Partial match';
}

/** A question or claim as a quoted heading line. */
export function headingLine(label: string, text: string): string {
  return `**${label}** ${inertLinks(clipEscaped(oneLine(text), 600))}`;
}

/**
 * An answer's embeds as plain text, for a channel where the bot lacks Embed Links: Discord would
 * drop the embeds and show the heading alone. Each source keeps its title, outlet, date, quote and
 * link (in <>, not previewed); whole sources while they fit in one message, `note` saying why.
 */
export function answerAsText(content: string, embeds: readonly APIEmbed[], note: string): string {
  let out = `${content}\n-# ${note}`;
  for (const [i, e] of embeds.entries()) {
    const meta = (e.fields ?? []).map((f) => f.value).filter((v) => v !== 'Unknown');
    const head = [e.title ? `**${e.title}**` : '', meta.join(', ')].filter(Boolean).join(' — ');
    const block = ['', head, e.description ?? '', e.url ? `<${e.url}>` : ''].filter((line, n) => n === 0 || line).join('\n');
    if (out.length + block.length <= LIMITS.content) out += block;
    // The first source is shown even if cut; later ones only whole.
    else if (i === 0) out += clip(block, LIMITS.content - out.length);
    else break;
  }
  return out;
}

/** The article list of /sources, one line each, in one embed. */
export function sourcesEmbed(items: readonly ArticleSummary[], offset: number, total: number, query: string): APIEmbed {
  const lines = items.map((a, i) => {
    const title = clipEscaped(a.title || 'Untitled article', 200);
    const url = safeUrl(a.url);
    const link = url ? `[${title}](${url.replace(/\)/g, '%29')})` : `**${title}**`;
    const meta = [a.outlet ? clipEscaped(a.outlet, 80) : 'Unknown outlet', a.date ?? 'undated'].join(' · ');
    return `${offset + i + 1}. ${link}\n   ${meta}`;
  });
  const shownTo = offset + items.length;
  return {
    color: COLORS.result,
    title: query ? clipEscaped(`Indexed articles matching “${oneLine(query)}”`, LIMITS.title) : 'Indexed articles',
    description: clip(lines.join('\n') || 'No indexed article matches.', LIMITS.description),
    footer: { text: total ? `${offset + 1}–${shownTo} of ${total}` : '0 articles' },
  };
}
