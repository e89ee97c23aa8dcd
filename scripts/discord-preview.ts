import type { APIEmbed } from 'discord.js';

/**
 * An HTML page that shows a bot message (content + embeds, exactly as sent) the way Discord's dark
 * theme draws it, for screenshots in the docs. Renders the markdown subset our replies use: escapes,
 * **bold**, *italics*, [links](url), "> " quotes and "-# " small text.
 */

export interface PreviewMessage {
  content: string;
  embeds: APIEmbed[];
}

export interface PreviewOptions {
  botName: string;
  /** The slash command shown above the reply, as Discord does for interaction replies. */
  command?: { user: string; name: string };
  /** Shown as the message time ("Today at 12:00"). */
  time: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

// Escaped ASCII punctuation is parked in the Private Use Area while markup is matched, so "\*" stays a star.
const PARK = 0xe000;

/** Inline markdown of one line to HTML. */
export function inlineMarkdown(text: string): string {
  const parked = text.replace(/\\([!-/:-@[-`{-~])/g, (_, c: string) => String.fromCharCode(PARK + c.charCodeAt(0)));
  const html = escapeHtml(parked)
    .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>')
    .replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')
    .replace(/\*(\S(?:.*?\S)?)\*/g, '<em>$1</em>');
  return html.replace(/[\ue000-\ue0ff]/g, (c) => escapeHtml(String.fromCharCode(c.charCodeAt(0) - PARK)));
}

/** Block markdown (quotes, small text, paragraphs) of a message text to HTML. */
export function markdown(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('> ')) return `<blockquote>${inlineMarkdown(line.slice(2))}</blockquote>`;
      if (line.startsWith('-# ')) return `<div class="subtext">${inlineMarkdown(line.slice(3))}</div>`;
      return `<div>${inlineMarkdown(line)}</div>`;
    })
    .join('\n');
}

const hex = (color: number | undefined): string => `#${(color ?? 0x1e1f22).toString(16).padStart(6, '0')}`;

function embedHtml(embed: APIEmbed): string {
  const parts: string[] = [];
  if (embed.author) parts.push(`<div class="author">${escapeHtml(embed.author.name)}</div>`);
  if (embed.title) {
    const title = inlineMarkdown(embed.title);
    parts.push(`<div class="title">${embed.url ? `<a href="${escapeHtml(embed.url)}">${title}</a>` : title}</div>`);
  }
  if (embed.description) parts.push(`<div class="description">${markdown(embed.description)}</div>`);
  if (embed.fields?.length) {
    const fields = embed.fields.map((f) => `<div class="field${f.inline ? ' inline' : ''}"><div class="field-name">${inlineMarkdown(f.name)}</div><div class="field-value">${markdown(f.value)}</div></div>`);
    parts.push(`<div class="fields">${fields.join('')}</div>`);
  }
  // Discord draws footers as plain text.
  if (embed.footer) parts.push(`<div class="footer">${escapeHtml(embed.footer.text)}</div>`);
  return `<div class="embed" style="border-left-color: ${hex(embed.color)}">${parts.join('\n')}</div>`;
}

// Sizes and colours of Discord's dark theme; overflow hidden so a long answer is cut, not scrolled.
const STYLE = `
  body { margin: 0; overflow: hidden; background: #313338; color: #dbdee1; font: 16px/1.375 "Noto Sans", "Liberation Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
  .message { display: grid; grid-template-columns: 56px 1fr; padding: 8px 16px 8px 0; }
  .reply-to { grid-column: 2; font-size: 14px; color: #b5bac1; margin-bottom: 4px; }
  .reply-to b { color: #f2f3f5; font-weight: 500; }
  .reply-to .cmd { color: #949cf7; }
  .avatar { grid-row: span 3; width: 40px; height: 40px; margin-left: 16px; border-radius: 50%; background: #5865f2; color: #fff; font-weight: 700; display: flex; align-items: center; justify-content: center; }
  .header { grid-column: 2; display: flex; align-items: center; gap: 6px; }
  .name { color: #f2f3f5; font-weight: 500; }
  .app { background: #5865f2; color: #fff; font-size: 10px; font-weight: 600; padding: 1px 5px; border-radius: 3px; }
  .time { color: #949ba4; font-size: 12px; margin-left: 2px; }
  .content { grid-column: 2; }
  .subtext { font-size: 13px; color: #949ba4; }
  blockquote { margin: 4px 0; padding: 0 0 0 12px; border-left: 4px solid #4e5058; }
  a { color: #00a8fc; text-decoration: none; }
  strong { color: #f2f3f5; }
  .embed { grid-column: 2; max-width: 520px; margin-top: 8px; background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 6px 16px 12px 12px; }
  .author { font-size: 14px; font-weight: 600; color: #f2f3f5; margin-top: 8px; }
  .title { font-weight: 600; margin-top: 8px; }
  .description { font-size: 14px; margin-top: 8px; }
  .fields { display: flex; flex-wrap: wrap; gap: 8px 24px; margin-top: 8px; font-size: 14px; }
  .field { flex-basis: 100%; }
  .field.inline { flex-basis: auto; min-width: 140px; }
  .field-name { font-weight: 600; color: #f2f3f5; margin-bottom: 2px; }
  .footer { font-size: 12px; color: #b5bac1; margin-top: 8px; }
`;

/** The whole page: one message by the bot, with the command that asked for it above. */
export function messageHtml(message: PreviewMessage, options: PreviewOptions): string {
  const command = options.command
    ? `<div class="reply-to"><b>${escapeHtml(options.command.user)}</b> used <span class="cmd">/${escapeHtml(options.command.name)}</span></div>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(options.botName)}</title><style>${STYLE}</style></head>
<body><div class="message">
${command}
<div class="avatar">${escapeHtml(options.botName.slice(0, 1))}</div>
<div class="header"><span class="name">${escapeHtml(options.botName)}</span><span class="app">APP</span><span class="time">${escapeHtml(options.time)}</span></div>
<div class="content">${markdown(message.content)}</div>
${message.embeds.map(embedHtml).join('\n')}
</div></body></html>
`;
}
