import { describe, expect, it } from 'vitest';
import { chatOf, refusalReason, refusedAsChat } from '../src/search/postprocess/abstain.js';
import { chatKind } from '../src/search/ranker/chat.js';
import { EverydayModel, everydayFeatures, everydayModel, everydayTokens } from '../src/search/ranker/everyday.js';

// Made-up messages, none from any question set.
describe('the everyday-request model', () => {
  it('reads words, not typing habits', () => {
    expect(everydayTokens("What's the PIN for card 4417?")).toEqual(['whats', 'the', 'pin', 'for', 'card', '#']);
    expect(everydayTokens('what’s   up')).toEqual(everydayTokens("whats up"));
    expect(everydayFeatures('turn it up')).toEqual(['^turn', 'turn', 'turn it', 'it', 'it up', 'up']);
    expect(everydayFeatures('?!')).toEqual([]);
  });

  it('scores by the weights it is given, with length-normalised features', () => {
    const m = new EverydayModel({ trainedOn: 'test', bias: -1, threshold: 0.5, weights: { oven: 4, '^preheat': 2 } });
    // "preheat the oven" has six features (^preheat, preheat, preheat the, the, the oven, oven), two weighted.
    const z = -1 + (4 + 2) / Math.sqrt(6);
    expect(m.probability('preheat the oven')).toBeCloseTo(1 / (1 + Math.exp(-z)), 10);
    expect(m.isEveryday('preheat the oven')).toBe(true);
    expect(m.probability('the senate vote')).toBeCloseTo(1 / (1 + Math.exp(1)), 10);
    expect(m.probability('')).toBe(0);
  });

  it('names everyday requests to an assistant that no chat rule names', () => {
    for (const q of ['switch your voice to a deeper one', 'whats the gas mileage on this sedan', 'whats 15 percent of 80']) {
      expect(chatKind(q), q).toBeUndefined();
      expect(chatOf(q), q).toBe('everyday');
    }
  });

  // A statistical model misses some: what it must do is flag most requests and no news question.
  const requests = [
    'how much is left on my gift card',
    'switch your voice to a deeper one',
    'put milk and eggs on the grocery list',
    'whats the gas mileage on this sedan',
    'when does my car need new brake pads',
    'whats 15 percent of 80',
    'remind me to water the plants at six',
    'what time does the pharmacy on elm street close',
    'can i pay my phone bill with a credit card',
    'find me a cheap hotel in lisbon for the weekend',
  ];
  const news = [
    'who won the mayoral election in the harbour town',
    'what did the central bank say about inflation',
    'how much did the city spend on the new bridge',
    'how many people were evacuated after the dam burst',
    'why did the union call off the rail strike',
    'Which country agreed to host the climate summit after the talks in Bonn collapsed last month?',
    'what happened to the grain ships stuck in port',
    'when did the minister announce the new sanctions',
  ];

  it('flags most everyday requests and no question about reported events', () => {
    const model = everydayModel();
    expect(requests.filter((q) => model.isEveryday(q)).length).toBeGreaterThanOrEqual(6);
    for (const q of news) expect(model.isEveryday(q), q).toBe(false);
    const mean = (qs: string[]): number => qs.reduce((s, q) => s + model.probability(q), 0) / qs.length;
    expect(mean(requests) - mean(news)).toBeGreaterThan(0.5);
    // With the rules, most are named as chat, and no news question is.
    expect(requests.filter((q) => chatOf(q) !== undefined).length).toBeGreaterThanOrEqual(7);
    for (const q of news) expect(chatOf(q), q).toBeUndefined();
  });

  it('refuses a flagged message unless it names a word of the corpus\'s topics, strong match or not, and says why', () => {
    expect(refusedAsChat({ chat: 'everyday', confident: false, topic: { topicality: 5, words: ['toaster'] } })).toBe(true);
    expect(refusedAsChat({ chat: 'everyday', confident: true, topic: { topicality: 5, words: ['toaster'] } })).toBe(true);
    expect(refusedAsChat({ chat: 'everyday', confident: false, topic: { topicality: 13, words: ['refinery'] } })).toBe(false);
    expect(refusalReason({ coverage: 0.9, chat: 'everyday', confident: false, topic: { topicality: 5, words: ['toaster'] } })).toMatch(/everyday request/);
  });
});
