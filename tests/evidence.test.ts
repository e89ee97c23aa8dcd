import { describe, expect, it } from 'vitest';
import { planQuery } from '../src/search/query.js';
import { topicShare, type RankedEvidence } from '../src/search/ranker/evidence.js';
import { questionInfo } from '../src/search/ranker/features.js';
import { CONFIDENCE_FEATURES, CONFIDENCE_SIGNS, loadRanker } from '../src/search/ranker/model.js';
import type { TermStats } from '../src/storage/backend.js';
import { analyze } from '../src/text/analyze.js';

/** Term statistics of the passages themselves (a real, if tiny, corpus). */
function statsOf(texts: string[]): TermStats {
  const df = new Map<string, number>();
  for (const t of texts) for (const term of new Set(analyze(t))) df.set(term, (df.get(term) ?? 0) + 1);
  return { docs: texts.length, df: (t) => df.get(t) ?? 0, vocabulary: () => [...df.keys()] };
}

const article = (articleId: string, title: string, text: string): RankedEvidence => ({ articleId, title, text });

// Real-looking news text: several articles on one story, and unrelated ones that share a word or two.
const grain = [
  article('a1', 'First grain ship leaves Odesa', 'The Razoni, carrying 26,000 tonnes of corn, left the port of Odesa on Monday under the grain deal brokered by Turkey and the UN.'),
  article('a2', 'Grain corridor opens', 'Ukraine said more ships would follow the first grain vessel out of Odesa once the corridor proved safe.'),
  article('a3', 'Turkey hails grain deal', 'Ankara said the grain deal signed in Istanbul showed that diplomacy could still work between Kyiv and Moscow.'),
  article('a4', 'Wheat prices fall', 'Wheat futures fell in Chicago as the first grain ship left Ukraine, easing fears of a global food crisis.'),
];
const scattered = [
  article('b1', 'Festival red carpet', 'A protester rushed the red carpet at the Cannes film festival premiere on Friday.'),
  article('b2', 'Wine exports slump', 'French wine exports fell sharply as shipping costs rose and demand in China weakened.'),
  article('b3', 'Budget row', 'The council said its budget could not stretch to new beige buses this year.'),
  article('b4', 'Cleaning staff strike', 'Hospital cleaners walked out over pay, leaving wards to be cleaned by nurses.'),
];
const stats = statsOf([...grain, ...scattered].map((a) => `${a.title}\n${a.text}`));
const share = (question: string, ranked: RankedEvidence[]): number => topicShare(questionInfo(planQuery(question, stats)), ranked);

describe('topic agreement (topicShare)', () => {
  it('is high when the top articles share the question’s words, low when each matches a different one', () => {
    const onTopic = share('when did the first grain ship leave odesa', grain);
    const offTopic = share('how do you get red wine out of a beige carpet', scattered);
    expect(onTopic).toBeGreaterThan(0.5);
    expect(offTopic).toBeLessThan(0.2);
    for (const v of [onTopic, offTopic]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });

  it('counts only words the top passage itself matches', () => {
    const q = 'when did the first grain ship leave odesa';
    // The Istanbul article matches only "grain" of the words the others share (first, ship, left, Odesa).
    const istanbulFirst = share(q, [grain[2]!, grain[0]!, grain[1]!, grain[3]!]);
    expect(istanbulFirst).toBeGreaterThan(0);
    expect(istanbulFirst).toBeLessThan(share(q, grain) / 2);
  });

  it('judges by articles, not passages: a second passage of the top article is no agreement', () => {
    const q = 'how do you get red wine out of a beige carpet';
    const same = [scattered[0]!, { ...scattered[0]!, text: 'The red carpet was replaced after the protest.' }];
    // No other article: nothing disagrees, so the top passage's own matched share (not 0, which would
    // refuse every answer in a one-article corpus).
    expect(share(q, same)).toBeGreaterThan(0);
    expect(share(q, same)).toBeGreaterThan(share(q, scattered));
  });

  it('is 0 without results or question words', () => {
    expect(share('grain ship', [])).toBe(0);
  });
});

describe('the confidence model', () => {
  it('uses topic agreement only to raise confidence (a known direction, sane on any corpus)', () => {
    expect(CONFIDENCE_SIGNS.topicShare).toBe(1);
    const ranker = loadRanker();
    const at = CONFIDENCE_FEATURES.indexOf('topicShare');
    const x = CONFIDENCE_FEATURES.map(() => 0.5);
    const low = ranker.confidence.probability(x.map((v, i) => (i === at ? 0 : v)));
    const high = ranker.confidence.probability(x.map((v, i) => (i === at ? 1 : v)));
    expect(high).toBeGreaterThanOrEqual(low);
  });
});
