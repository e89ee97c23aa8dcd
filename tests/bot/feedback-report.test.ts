/** /feedback report's embed stays within Discord's limits whatever the questions and titles are. */
import { describe, expect, it } from 'vitest';
import { reportEmbed } from '../../src/bot/feedback-report.js';
import { embedLength, LIMITS } from '../../src/bot/format.js';
import type { FeedbackReport } from '../../src/bot/state/store.js';

const days = Array.from({ length: 14 }, (_, i) => ({ day: `2026-11-${String(i + 10).padStart(2, '0')}`, asked: 12_345, answered: 12_000, refused: 345, up: 999, down: 1_234 }));

describe('reportEmbed', () => {
  it('fits Discord limits with long questions and titles, keeping whole lines and links', () => {
    const report: FeedbackReport = {
      totals: { asked: 999_999, answered: 900_000, refused: 99_999, up: 12_345, down: 54_321 },
      days,
      mostDownVoted: Array.from({ length: 5 }, (_, i) => ({
        question: `**Why** ${'very long question '.repeat(40)} ${i}`,
        kind: i % 2 ? 'cite' : 'ask',
        down: 10 - i,
        up: i,
        topTitle: `A [title] with (parens) ${'and more words '.repeat(30)}`,
        topUrl: 'https://example.org/a_(b)',
      })),
    };
    const embed = reportEmbed(report);
    expect(embedLength(embed)).toBeLessThanOrEqual(LIMITS.total);
    expect(embed.description!.length).toBeLessThanOrEqual(LIMITS.description);
    const worst = embed.fields![0]!.value;
    expect(worst.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    expect(worst).toMatch(/^1\. “\\\*\\\*Why\\\*\\\* very long question/);
    expect(worst).toContain('](https://example.org/a_(b%29)');
    // Every listed question comes with its source line.
    const lines = worst.split('\n');
    expect(lines.length % 2).toBe(0);
    expect(embed.description).toContain('**999,999** questions asked: **900,000** answered (90%), **99,999** refused (10%)');
  });

  it('says when nothing was down-voted, and a refused top answer has no source', () => {
    const none = reportEmbed({ totals: { asked: 0, answered: 0, refused: 0, up: 0, down: 0 }, days, mostDownVoted: [] });
    expect(none.fields![0]!.value).toBe('None yet.');
    const refused = reportEmbed({ totals: { asked: 1, answered: 0, refused: 1, up: 0, down: 1 }, days, mostDownVoted: [{ question: 'q', kind: 'ask', down: 1, up: 0, topTitle: null, topUrl: null }] });
    expect(refused.fields![0]!.value).toBe('1. “q” — 1 👎 / 0 👍\n   Top source: no source shown (refused)');
  });
});
