import { describe, expect, it } from 'vitest';
import { isOnlyFraming, withoutFraming } from '../src/search/framing.js';
import { planQuery } from '../src/search/query.js';
import { chatOf } from '../src/search/postprocess/abstain.js';

/** Made-up sentences only (eval/questions/README.md). */
const stats = { docs: 50_000, df: (t: string) => ({ lighthous: 40, keeper: 300, strike: 900, ferri: 120 })[t] ?? 5_000 };
const terms = (q: string): string[] => planQuery(q, stats).concepts.map((c) => c.term);

describe('chat framing', () => {
  it('leaves greetings, fillers and the bot’s name out of the query', () => {
    expect(terms('hey bot, who kept the lighthouse lol')).toEqual(['kept', 'lighthous']);
    expect(terms('hi all! quick q: who kept the lighthouse?? thanks')).toEqual(['kept', 'lighthous']);
    expect(terms('yo archivist who kept the lighthouse pls')).toEqual(['kept', 'lighthous']);
  });

  it('leaves requests to know or to find out, keeping what they ask about', () => {
    expect(terms('does anyone know why the ferry strike ended')).toEqual(['ferri', 'strike', 'end']);
    expect(terms('can you find me that story about the ferry strike')).toEqual(['ferri', 'strike']);
    expect(terms('i wanna know when the ferry strike ended')).toEqual(['ferri', 'strike', 'end']);
    expect(terms('what happened to the lighthouse keeper')).toEqual(['lighthous', 'keeper']);
    expect(terms("what's the latest with the ferry strike")).toEqual(['ferri', 'strike']);
    expect(terms('any news about the ferry strike?')).toEqual(['ferri', 'strike']);
    expect(terms('what do we know about the lighthouse keeper')).toEqual(['lighthous', 'keeper']);
    expect(terms('find articles about the ferry strike')).toEqual(['ferri', 'strike']);
    expect(terms('do you have anything on the lighthouse keeper')).toEqual(['lighthous', 'keeper']);
    expect(terms('why is everyone talking about the ferry strike rn')).toEqual(['ferri', 'strike']);
  });

  it('leaves a pasted link out of the query', () => {
    expect(terms('why did the ferry strike end https://media.example.com/clip/dancing-cat-81723.gif')).toEqual(['ferri', 'strike', 'end']);
    expect(terms('www.example.org/lighthouse-keeper-story who kept the lighthouse')).toEqual(['kept', 'lighthous']);
    // A link alone is searched as it came, like any message that is nothing but framing.
    expect(isOnlyFraming('https://example.com/x')).toBe(true);
  });

  it('keeps the same words when they say something: thanks to, news outlets, happenings of a story', () => {
    expect(terms('thanks to whom did the ferry strike end')).toContain('thank');
    expect(terms('which news outlet broke the ferry strike')).toContain('new');
    expect(terms('who wrote the lighthouse keeper report')).toEqual(['wrote', 'lighthous', 'keeper', 'report']);
  });

  it('searches a message that is nothing but framing as it came, and says it names nothing', () => {
    expect(withoutFraming('what happened?')).toBe('what happened?');
    expect(terms('any news?')).toEqual(['new']);
    for (const m of ['thanks!', 'hi bot', 'who are you?', 'lol pls', 'hey there 👋']) expect(isOnlyFraming(m)).toBe(true);
    for (const m of ['good bot', 'help', 'hey bot, who kept the lighthouse']) expect(isOnlyFraming(m)).toBe(false);
  });

  it('reads a question wrapped in a request to know as the question, and a request for a thing as a request', () => {
    expect(chatOf('can u tell me who kept the lighthouse on the north cape before the storm')).toBeUndefined();
    expect(chatOf('could u tell me the calories in a glass of orange juice')).toBe('everyday');
  });
});
