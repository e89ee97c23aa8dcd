/** /feedback report's embed stays within Discord's limits whatever the questions and titles are, and shows only what it may. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { logQuestion } from '../../src/bot/feedback.js';
import { reportEmbed } from '../../src/bot/feedback-report.js';
import { createLogger } from '../../src/bot/logger.js';
import { embedLength, LIMITS } from '../../src/bot/format.js';
import { BotState, type FeedbackReport } from '../../src/bot/state/store.js';
import { tempDir } from '../support/corpus.js';

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

describe('what the report may show', () => {
  it('a private question and another member\'s message are counted, never stored or shown as text', async () => {
    const { dir, cleanup } = await tempDir('archivist-private-');
    try {
      const state = BotState.open(dir, { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' });
      const ctx = { config: { FEEDBACK: 'on' }, state, log: createLogger({ level: 'silent', secrets: [] }) } as unknown as Parameters<typeof logQuestion>[0];
      const where = { guildId: '222222222222222222', channelId: null };
      const page = { mode: 'hybrid', abstained: false, results: [{ rank: 1, articleId: 'a', chunkId: 1, title: 'Ferry to Kalmar resumes', url: 'https://example.org/f' }] };
      const asked = [
        { kind: 'ask' as const, text: 'Is the night ferry to Kalmar running again?', filters: {}, ephemeral: false },
        { kind: 'ask' as const, text: 'my private worry about the Kalmar ferry', filters: {}, ephemeral: true },
        { kind: 'cite' as const, text: 'a neighbour said the Kalmar ferry sank', filters: {}, ephemeral: false, othersText: true },
      ];
      for (const [n, session] of asked.entries()) {
        const id = logQuestion(ctx, where, session, page)!;
        state.recordVote({ questionId: id, offset: 0, userId: `77777777777777777${n}`, vote: 'down', results: [] });
      }
      const report = state.report(where.guildId);
      expect(report.totals).toMatchObject({ asked: 3, down: 3 });
      expect(report.mostDownVoted.map((q) => q.question)).toEqual(['Is the night ferry to Kalmar running again?']);
      const shown = JSON.stringify(reportEmbed(report));
      expect(shown).not.toContain('private worry');
      expect(shown).not.toContain('neighbour');
      expect(state.votes().map((v) => v.question)).toEqual(['Is the night ferry to Kalmar running again?']);
      state.close();
      const bytes = Buffer.concat(await Promise.all(['state.db', 'state.db-wal'].map((f) => readFile(path.join(dir, f)).catch(() => Buffer.alloc(0)))));
      expect(bytes.includes(Buffer.from('Is the night ferry'))).toBe(true);
      expect(bytes.includes(Buffer.from('private worry'))).toBe(false);
      expect(bytes.includes(Buffer.from('neighbour'))).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
