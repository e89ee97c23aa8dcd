import { describe, expect, it } from 'vitest';
import { planQuery } from '../src/search/query.js';
import { asksAdvice, topicShare, type RankedEvidence } from '../src/search/ranker/evidence.js';
import { questionInfo } from '../src/search/ranker/question.js';
import { countedConcepts, unitNear } from '../src/search/ranker/units.js';
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

describe('the unit a question measures in (unitNear)', () => {
  const unit = (question: string, passage: string): number => unitNear(questionInfo(planQuery(question, stats)), passage);
  const grainShip = 'The Razoni, carrying 26,000 tonnes of corn, left the port of Odesa on Monday with a crew of 12.';

  it('"how many X" wants a number next to X, not any number about the topic', () => {
    for (const q of ['how many crew members were aboard the first grain ship', 'how many of the 12 crew members were Syrian']) {
      const info = questionInfo(planQuery(q, stats));
      expect(info.plan.concepts[countedConcepts(info)[0]!]!.term, q).toBe('crew');
    }
    // The whole noun phrase counts: the passage may name the thing by its last word only.
    expect(unit('how many shell casings were found at the scene', 'Police found 63 bullet casings at the scene.')).toBe(1);
    expect(unit('how many shell casings were found at the scene', 'Police found the gun at the scene on 3 May.')).toBe(0);
    expect(unit('how many crew members were aboard the first grain ship', grainShip)).toBe(1);
    expect(unit('how many crew members were aboard the first grain ship', 'The Razoni, carrying 26,000 tonnes of corn, left the port of Odesa on Monday.')).toBe(0);
    // A number the question already holds is no answer.
    expect(unit('how many of the 12 crew members were Syrian', 'All 12 crew members were safe, the owner said.')).toBe(0);
  });

  // [question, passage, 1 if the passage holds a number in the asked unit]
  it.each([
    ['how much did the council spend on the new buses', 'The council spent £4.5m on 30 new buses.', 1],
    ['how much did the council spend on the new buses', 'The council bought 30 new buses, delivered in 2021.', 0],
    ['what share of the vote did the president get', 'The president won 58.5% of the vote in the runoff.', 1],
    ['what share of the vote did the president get', 'The president won the runoff against 11 rivals.', 0],
    ['how long is the border between the two countries', 'The 970km border has never been fully marked.', 1],
    ['how long is the border between the two countries', 'Two countries have clashed along the border since 1991.', 0],
    // Durations in words, and money or shares asked for without "how much".
    ['how long was the striker banned for the tackle', 'He was suspended for three matches and six weeks of training.', 1],
    ['what was the transfer fee for the goalkeeper', 'The goalkeeper signed a contract until the end of the season.', 0],
    ['what was the transfer fee for the goalkeeper', 'The club paid €12m for the goalkeeper.', 1],
    ['what % of the vote did the party get', 'The party came second in the election.', 0],
    // "How big" a crowd or a following is a count as often as a measure.
    ['how big was the facebook group', 'The group had 9,500 members.', 1],
    ['how big was the facebook group', 'The group was private.', 0],
    // An age, in the ways reports give one; a passage about the person with no age does not answer.
    ['how old is the new lighthouse keeper', 'The keeper, Morwenna Trist, 47, took the post in April.', 1],
    ['how old is the new lighthouse keeper', 'A 63-year-old keeper has run the light since the storm.', 1],
    ['how old is the new lighthouse keeper', 'The lighthouse keeper, aged 29, lives on the island alone.', 1],
    ['how old is the new lighthouse keeper', 'The new keeper took the post in April after 12 applicants were interviewed.', 0],
    // A population, asked for without "how many".
    ['what is the population of the island town', 'The island town is home to about 4,200 people.', 1],
    ['what is the population of the island town', 'The town has a population of 4,200.', 1],
    ['what is the population of the island town', 'The island town was founded in 1820 and has 3 harbours.', 0],
    ['how old is the new lighthouse keeper', 'Meet The 63-Year-Old Keeper Of The Light', 1],
  ] as const)('money, shares, lengths, sizes, ages and populations want a number in that unit: %s / %s', (question, passage, expected) => {
    expect(unit(question, passage)).toBe(expected);
  });

  it('never lowers confidence for questions that name no unit', () => {
    expect(unit('who brokered the grain deal', 'No numbers here.')).toBe(1);
    expect(unit('when did the first grain ship leave odesa', 'No date here.')).toBe(1);
    expect(unit('how many were there', 'Nothing.')).toBe(1);
    // "population" or "age" without asking for the number.
    expect(unit('why is the population of the island town shrinking', 'Young families left the island town for the mainland.')).toBe(1);
    expect(unit('which age group voted most for the harbour plan', 'Pensioners backed the harbour plan.')).toBe(1);
  });
});

describe('advice and how-to questions (asksAdvice)', () => {
  const advice = (q: string): number => (asksAdvice(q) ? 1 : 0);

  it('marks questions asking for advice, a recipe or a how-to', () => {
    for (const q of ['how do i stop my cat scratching the sofa', 'how to set up a python venv', 'best budget gaming mouse under 50 bucks?', 'any good laptop for video editing', 'is the new film worth watching', 'any tips for growing tomatoes on a balcony']) {
      expect(advice(q), q).toBe(1);
    }
  });

  it('leaves questions about events alone, even when they start with "how"', () => {
    for (const q of ['how did the grain ship leave odesa', 'how many crew members were aboard', 'who brokered the grain deal', 'what is the best-selling car in ukraine this year']) {
      expect(advice(q), q).toBe(0);
    }
  });
});

describe('the confidence model', () => {
  it.each(['topicShare', 'unitNear'] as const)('uses %s only to raise confidence (a known direction, sane on any corpus)', (feature) => {
    expect(CONFIDENCE_SIGNS[feature]).toBe(1);
    const ranker = loadRanker();
    const at = CONFIDENCE_FEATURES.indexOf(feature);
    const x = CONFIDENCE_FEATURES.map(() => 0.5);
    const low = ranker.confidence.probability(x.map((v, i) => (i === at ? 0 : v)));
    const high = ranker.confidence.probability(x.map((v, i) => (i === at ? 1 : v)));
    // Sign-constrained: training may find no use for it (weight 0), never a use that lowers confidence.
    expect(high).toBeGreaterThanOrEqual(low);
  });
});
