import { describe, expect, it } from 'vitest';
import { answerMessage, clip, clipEscaped, embedLength, formatQuote, LIMITS, safeUrl, sourcesEmbed } from '../../src/bot/format.js';
import type { Answer, SearchResult } from '../../src/types.js';

const sentence = (n: number, words = 12): string => `Sentence ${n} ${'word '.repeat(words).trim()}.`;

function result(rank: number, overrides: Partial<SearchResult> = {}): SearchResult {
  return {
    rank,
    score: 1,
    title: `Title ${rank}`,
    outlet: 'Outlet',
    date: '2022-10-01',
    url: 'https://example.org/a',
    source: 'corpus/a.txt',
    articleId: `a${rank}`,
    chunkId: rank,
    quote: '',
    quoteSentences: [
      { text: sentence(1), best: false },
      { text: sentence(2), best: true },
      { text: sentence(3), best: false },
    ],
    passage: '',
    ...overrides,
  };
}

const answer = (results: SearchResult[], abstained = false): Answer => ({ question: 'q', abstained, mode: 'lexical', results, more: false, tookMs: 1, timings: {} });

describe('formatQuote', () => {
  it('renders a blockquote with the best sentence in bold', () => {
    expect(formatQuote(result(1).quoteSentences, 4096)).toBe(`> ${sentence(1)} **${sentence(2)}** ${sentence(3)}`);
  });

  it('drops whole sentences, never the best one, and marks the cuts with …', () => {
    const s = result(1).quoteSentences;
    const full = formatQuote(s, 4096).length;
    const noLast = formatQuote(s, full - 1);
    expect(noLast).toBe(`> ${sentence(1)} **${sentence(2)}** …`);
    const bestOnly = formatQuote(s, noLast.length - 1);
    expect(bestOnly).toBe(`> … **${sentence(2)}** …`);
  });

  it('drops the best sentence’s neighbours before a detached answer sentence, marking every cut', () => {
    const s = [
      { text: sentence(1), best: false },
      { text: sentence(2), best: true },
      { text: sentence(3), best: false },
      { text: sentence(4), best: false, gap: true },
    ];
    const full = formatQuote(s, 4096);
    expect(full).toBe(`> ${sentence(1)} **${sentence(2)}** ${sentence(3)} … ${sentence(4)}`);
    // One sentence too many: the neighbour after the best goes first, and its place shows a cut.
    const three = formatQuote(s, full.length - 1);
    expect(three).toBe(`> ${sentence(1)} **${sentence(2)}** … ${sentence(4)}`);
    const two = formatQuote(s, three.length - 1);
    expect(two).toBe(`> … **${sentence(2)}** … ${sentence(4)}`);
    expect(formatQuote(s, two.length - 1)).toBe(`> … **${sentence(2)}** …`);
  });

  it('cuts inside the best sentence at a word only when it alone is too long', () => {
    const out = formatQuote([{ text: sentence(1, 400), best: true }], 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out).toMatch(/^> \*\*Sentence 1 (word )+word…\*\*$/);
  });

  it('escapes markdown in quoted text', () => {
    const out = formatQuote([{ text: 'A *starred* _word_ and `code` with ||spoiler|| and [a](http://x)', best: true }], 4096);
    expect(out).toContain('\\*starred\\*');
    expect(out).toContain('\\_word\\_');
    expect(out).toContain('\\`code\\`');
    expect(out).toContain('\\|\\|spoiler\\|\\|');
    expect(out).not.toMatch(/[^\\]\[a\]\(/);
  });
});

describe('clip and clipEscaped', () => {
  it('cuts at a word boundary with an ellipsis', () => {
    expect(clip('one two three four', 10)).toBe('one two…');
    expect(clip('short', 10)).toBe('short');
  });
  it('keeps escaped text within the limit even when escapes add characters', () => {
    const out = clipEscaped('*'.repeat(300), 100);
    expect(out.length).toBeLessThanOrEqual(100);
    expect(out).toMatch(/^(\\\*)+…$/);
  });
});

describe('answerMessage', () => {
  it('fits ten long results within every Discord limit', () => {
    const long = Array.from({ length: 3 }, (_, i) => ({ text: sentence(i, 300), best: i === 1 }));
    const results = Array.from({ length: 12 }, (_, i) => result(i + 1, { title: 'T'.repeat(400), outlet: 'O'.repeat(2000), quoteSentences: long }));
    const msg = answerMessage(answer(results), { heading: 'x'.repeat(3000), noneText: 'none' });
    expect(msg.embeds).toHaveLength(LIMITS.embeds);
    expect(msg.content.length).toBeLessThanOrEqual(LIMITS.content);
    const total = msg.embeds.reduce((n, e) => n + embedLength(e), 0);
    expect(total).toBeLessThanOrEqual(LIMITS.total);
    for (const e of msg.embeds) {
      expect(e.title!.length).toBeLessThanOrEqual(LIMITS.title);
      expect(e.description!.length).toBeLessThanOrEqual(LIMITS.description);
      expect(e.description).toMatch(/^> .*\*\*.+\*\*/);
      for (const f of e.fields!) expect(f.value.length).toBeLessThanOrEqual(LIMITS.fieldValue);
    }
  });

  it('links the title only to http(s) URLs', () => {
    expect(answerMessage(answer([result(1)]), { heading: '', noneText: '' }).embeds[0]!.url).toBe('https://example.org/a');
    expect(answerMessage(answer([result(1, { url: 'javascript:alert(1)' })]), { heading: '', noneText: '' }).embeds[0]!.url).toBeUndefined();
    expect(safeUrl('not a url')).toBeUndefined();
  });

  it('marks sentences skipped inside a quote with “…”', () => {
    const r = { ...result(1), quoteSentences: [{ text: 'First.', best: true }, { text: 'Far below.', best: false, gap: true }] };
    expect(answerMessage(answer([r]), { heading: 'q', noneText: '' }).embeds[0]!.description).toBe('> **First.** … Far below.');
  });

  it('says which dates the question’s time words chose', () => {
    const dated: Answer = { ...answer([result(1)]), dates: { after: '2024-05-02', before: '2024-05-11', phrase: 'this **week**', held: true } };
    expect(answerMessage(dated, { heading: 'q', noneText: '' }).content).toContain('-# 📅 “this \\*\\*week\\*\\*”: articles dated 2024-05-02 to 2024-05-11');
    const older: Answer = { ...dated, dates: { ...dated.dates!, held: false } };
    expect(answerMessage(older, { heading: 'q', noneText: '' }).content).toContain('nothing dated 2024-05-02 to 2024-05-11 answers this closely; these are from any date');
    expect(answerMessage(answer([result(1)]), { heading: 'q', noneText: '' }).content).not.toContain('📅');
  });

  it('says the abstention text when the core abstains', () => {
    const msg = answerMessage(answer([], true), { heading: 'h', noneText: 'No source in the corpus answers this.' });
    expect(msg.embeds).toHaveLength(1);
    expect(msg.embeds[0]!.title).toBe('No source in the corpus answers this.');
    expect(msg.embeds[0]!.description).not.toMatch(/newest article/);
  });

  it('says why when a rule refused: a question about a year after the newest article', () => {
    const refused: Answer = {
      ...answer([], true),
      confidence: { probability: 0.9, confident: true, strong: false, features: [], coverage: 0.9, quoteCoverage: 0.9, afterCorpus: { year: 2024, newestDate: '2022-12-30' } },
    };
    const msg = answerMessage(refused, { heading: 'h', noneText: 'No source in the corpus answers this.' });
    expect(msg.embeds[0]!.description).toMatch(/^The newest article in the index is dated 2022-12-30, so none can report what happened in 2024\.\nTry other words/);
  });
});

describe('sourcesEmbed', () => {
  it('lists title, outlet and date, escaping titles', () => {
    const e = sourcesEmbed([{ id: '1', title: 'A *bold* [title]', outlet: 'Wire', date: '2024-01-02', url: 'https://e.org/x)y', source: 's' }], 0, 1, '');
    expect(e.description).toBe('1. [A \\*bold\\* \\[title\\]](https://e.org/x%29y)\n   Wire · 2024-01-02');
    expect(e.footer?.text).toBe('1–1 of 1');
  });
});
