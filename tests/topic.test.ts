import { describe, expect, it } from 'vitest';
import { newestOf, offTopic, refusalReason, refusedByRule } from '../src/search/postprocess/abstain.js';
import { planQuery } from '../src/search/query.js';
import { MIN_PHRASE_PASSAGES, MIN_TOPICALITY, phraseEvidence, topicEvidence, topicality } from '../src/search/ranker/topic.js';
import { backgroundShare } from '../src/text/background.js';

/** Topicality: a word of the corpus's topics against everyday English (made-up corpus statistics). */

/** A made-up corpus of 20,000 passages about a port strike: these are its document frequencies. */
const DF: Record<string, number> = { docker: 900, strike: 2500, port: 3000, union: 1800, wage: 700, cook: 6, pasta: 2, dinner: 30, tonight: 40, parti: 150 };
const stats = { docs: 20_000, df: (t: string) => DF[t] ?? 0 };

describe('everyday English background (SUBTLEX-US)', () => {
  it('knows everyday words far better than rare ones, and never gives zero', () => {
    expect(backgroundShare('dinner')).toBeGreaterThan(backgroundShare('docker') * 10);
    expect(backgroundShare('qzxv')).toBeGreaterThan(0);
  });
});

describe('topicality', () => {
  it('is high for the corpus’s own subject words and low for everyday ones it rarely uses', () => {
    const plan = { docs: stats.docs };
    expect(topicality(plan, { term: 'docker', df: DF.docker! })).toBeGreaterThan(MIN_TOPICALITY);
    expect(topicality(plan, { term: 'strike', df: DF.strike! })).toBeGreaterThan(MIN_TOPICALITY);
    expect(topicality(plan, { term: 'dinner', df: DF.dinner! })).toBeLessThan(MIN_TOPICALITY);
    expect(topicality(plan, { term: 'pasta', df: DF.pasta! })).toBeLessThan(MIN_TOPICALITY);
  });

  it('follows the corpus: the same everyday word is topical where the corpus is about it', () => {
    const cookery = { docs: 20_000 };
    expect(topicality(cookery, { term: 'pasta', df: 2500 })).toBeGreaterThan(MIN_TOPICALITY);
  });

  it('a question with one word of the corpus’s topics is on topic, one with none is not, and the refusal names its words', () => {
    const on = topicEvidence(planQuery('how much did the dockers ask for in the wage talks', stats));
    expect(on.word).toBe('dockers');
    expect(offTopic({ topic: on })).toBe(false);
    const off = topicEvidence(planQuery('any tips on cooking pasta for a dinner party tonight?', stats));
    expect(off.topicality).toBeLessThan(MIN_TOPICALITY);
    const c = { coverage: 0.9, topic: off };
    expect(refusedByRule(c)).toBe(true);
    expect(refusalReason(c)).toMatch(/\(tips, cooking, pasta, dinner, party, tonight\).*everyday English/);
  });

  it('contractions are no topic, however often the passages quote them: a reply in chat stays off topic', () => {
    // Quotes in news say "don't" and "you're" a lot; the everyday counts split them, so they once scored as rare topic words.
    const quoting = { docs: 20_000, df: (t: string) => ({ dont: 4000, your: 3000, wrong: 300 })[t] ?? DF[t] ?? 0 };
    const e = topicEvidence(planQuery("nah i don't think so, you're wrong", quoting));
    expect(e.words).not.toContain('dont');
    expect(e.words).not.toContain('youre');
    expect(offTopic({ topic: e })).toBe(true);
    // A word that merely looks like one ("shell", "ill") is still a word.
    expect(topicEvidence(planQuery('why did shell leave the port', stats)).words).toContain('shell');
  });

  it('numbers and words the corpus never uses count for nothing: such a question has no topical word', () => {
    const e = topicEvidence(planQuery('what is 4096 divided by 12 in zorbles', stats));
    expect(e.topicality).toBe(-Infinity);
    expect(e.word).toBeUndefined();
  });
});

describe('a phrase of everyday words that the passages use together', () => {
  const story = (i: number): string => `Day ${i} of the harbour festival: the harbour festival crowds kept growing, organisers said.`;

  it('is the question’s pair of consecutive words found side by side in the most passages, stop words between them skipped', () => {
    const passages = [story(1), story(2), 'The festival of the harbour opened.', 'A harbour near the old town hosts a festival.', story(3), 'Harbour. Festival.'];
    // "festival of the harbour" is the pair the other way round, and "harbour near the old town … festival" no pair at all.
    expect(phraseEvidence('when did the Harbour Festival end?', passages)).toEqual({ phrase: 'harbour festival', passages: 4 });
    expect(phraseEvidence('when did the festival end', passages)).toBeUndefined();
    // Numbers are no topic: "day 1" in every passage is no phrase.
    expect(phraseEvidence('what happened on day 1', [story(1), story(1)])).toBeUndefined();
  });

  it('makes a question of everyday words one about the corpus’s topics only when enough of the best passages use it', () => {
    const everyday = topicEvidence(planQuery('who came to the dinner party', stats));
    expect(everyday.topicality).toBeLessThan(MIN_TOPICALITY);
    const few = { ...everyday, phrase: { phrase: 'dinner party', passages: MIN_PHRASE_PASSAGES - 1 } };
    const many = { ...everyday, phrase: { phrase: 'dinner party', passages: MIN_PHRASE_PASSAGES } };
    expect(offTopic({ topic: everyday })).toBe(true);
    expect(offTopic({ topic: few })).toBe(true);
    expect(offTopic({ topic: many })).toBe(false);
    expect(refusedByRule({ coverage: 0.9, topic: many })).toBe(false);
    // Chat is judged by its own rules: an everyday request stays refused whatever phrase it shares.
    expect(refusedByRule({ coverage: 0.9, topic: many, chat: 'everyday' })).toBe(true);
  });
});

describe('after the corpus, judged on the matching articles', () => {
  it('takes the newest of their dates, whatever their precision, and ignores undated ones', () => {
    expect(newestOf(['2022-03-01', undefined, '2022-11', '2022-10-30'])).toBe('2022-11');
    expect(newestOf([undefined])).toBeUndefined();
  });

  it('says the matching articles are too old when the index itself has a later one', () => {
    const c = { coverage: 1, afterCorpus: { year: 2024, newestDate: '2022-12-30', ofMatches: true as const } };
    expect(refusedByRule(c)).toBe(true);
    expect(refusalReason(c)).toBe('The articles that match this question are dated 2022-12-30 or earlier, so none can report what happened in 2024.');
  });
});
