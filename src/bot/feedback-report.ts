import { commandLine } from '../command-line.js';
import type { APIEmbed } from 'discord.js';
import type { FeedbackReport } from './state/store.js';
import { clipEscaped, COLORS, embedLength, LIMITS, safeUrl } from './format.js';

/**
 * `/feedback report` as one embed within Discord's limits: totals, a per-day table (last 14 days)
 * and the most down-voted questions with their top source.
 */
export function reportEmbed(report: FeedbackReport): APIEmbed {
  const t = report.totals;
  const share = (n: number): string => (t.asked ? ` (${Math.round((100 * n) / t.asked)}%)` : '');
  const n = (v: number): string => v.toLocaleString('en-US');
  const summary = [
    `**${n(t.asked)}** questions asked: **${n(t.answered)}** answered${share(t.answered)}, **${n(t.refused)}** refused${share(t.refused)} ("no source answers this").`,
    `Votes: **${n(t.up)}** 👍 · **${n(t.down)}** 👎.`,
  ].join('\n');
  const pad = (v: string | number, n: number): string => String(v).padStart(n);
  const table = [
    `${'day'.padEnd(10)} ${pad('asked', 5)} ${pad('answ', 5)} ${pad('refus', 5)} ${pad('up', 4)} ${pad('down', 4)}`,
    ...report.days.map((d) => `${d.day} ${pad(d.asked, 5)} ${pad(d.answered, 5)} ${pad(d.refused, 5)} ${pad(d.up, 4)} ${pad(d.down, 4)}`),
  ].join('\n');
  const description = `${summary}\n\n**Last ${report.days.length} days** (UTC)\n\`\`\`\n${table}\n\`\`\``;

  const lines = report.mostDownVoted.map((q, i) => {
    const url = safeUrl(q.topUrl ?? undefined);
    const title = q.topTitle ? clipEscaped(q.topTitle, 90) : undefined;
    const source = !title ? 'no source shown (refused)' : url ? `[${title}](${url.replace(/\)/g, '%29')})` : title;
    return `${i + 1}. “${clipEscaped(q.question, 120)}” — ${q.down} 👎 / ${q.up} 👍${q.kind === 'ask' ? '' : ` (${q.kind})`}\n   Top source: ${source}`;
  });
  // Whole lines only, within a field's limit (a clipped markdown link would break).
  const kept: string[] = [];
  for (const line of lines) {
    if ([...kept, line].join('\n').length > LIMITS.fieldValue) break;
    kept.push(line);
  }
  const embed: APIEmbed = {
    color: COLORS.result,
    title: 'Feedback report for this server',
    description,
    fields: [{ name: 'Most down-voted questions', value: kept.length ? kept.join('\n') : 'None yet.', inline: false }],
    footer: { text: `Questions and votes of this server only. ${commandLine('export-feedback')} turns votes into training data for ${commandLine('train-ranker')}.` },
  };
  if (embedLength(embed) > LIMITS.total) throw new Error(`feedback report embed is ${embedLength(embed)} characters`);
  return embed;
}
