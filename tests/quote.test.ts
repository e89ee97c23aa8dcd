import { describe, expect, it } from 'vitest';
import { answerType, hasFreshAnswer, selectQuote } from '../src/search/postprocess/quote.js';
import { analyze } from '../src/text/analyze.js';

const weights = (question: string): Map<string, number> => new Map(analyze(question).map((t) => [t, 1]));

describe('selectQuote', () => {
  const passage =
    'Moskva, the flagship of the Black Sea Fleet, sank on Thursday. The 510-crew missile cruiser was a symbol of Russian naval power. ' +
    'Officials gave no figure for casualties. Weather in the region was calm. Markets were closed for the holiday.';

  it('returns exact consecutive sentences of the passage, at most three, one marked best', () => {
    const q = 'How many sailors did the Black Sea Fleet flagship Moskva carry?';
    const quote = selectQuote(passage, weights(q), { maxSentences: 3, question: q });
    expect(passage).toContain(quote.text);
    expect(quote.sentences.length).toBeLessThanOrEqual(3);
    expect(quote.sentences.filter((s) => s.best)).toHaveLength(1);
    // The answer (a number the question does not contain) is in the quote.
    expect(quote.text).toContain('510-crew');
  });

  it('widens the quote to a neighbour that brings question words it lacks', () => {
    const text =
      '“We suggested that all residents of the Kherson region go to other regions,” Saldo said. “Take your children and leave,” he urged. The weather was mild.';
    const q = 'What did Saldo urge Kherson residents to do?';
    const quote = selectQuote(text, weights(q), { maxSentences: 3, question: q });
    expect(quote.text).toContain('he urged');
    expect(quote.text).not.toContain('weather');
  });

  it('includes the sentence a pronoun-led best sentence depends on', () => {
    const text = 'Vladimir Saldo addressed residents on Thursday. He urged them to take their children and leave the region.';
    const quote = selectQuote(text, weights('urged children leave'), { maxSentences: 3 });
    expect(quote.text).toBe(text);
    expect(quote.sentences[1]!.best).toBe(true);
  });
});

describe('selectQuote with the quote model’s sentence scores', () => {
  const text =
    'The ferry company announced a new timetable on Monday. Crossings will run every hour in summer. The harbour was repainted last year. ' +
    'Tickets are sold at the pier. Local shops reported more visitors. The company said 40 new crew members were hired for the season.';
  const words = weights('how many crew did the ferry company hire');

  it('adds a distant sentence the model rates well, after “…”, and keeps the one best', () => {
    const quote = selectQuote(text, words, { maxSentences: 3, sentenceScores: [0.9, 0.2, 0.01, 0.01, 0.02, 0.6] });
    expect(quote.sentences.map((s) => [s.text.slice(0, 20), s.best, s.gap === true])).toEqual([
      ['The ferry company an', true, false],
      ['Crossings will run e', false, false],
      ['The company said 40 ', false, true],
    ]);
    expect(quote.text).toBe('The ferry company announced a new timetable on Monday. Crossings will run every hour in summer. … The company said 40 new crew members were hired for the season.');
  });

  it('puts a detached sentence that comes first before the gap', () => {
    const quote = selectQuote(text, words, { maxSentences: 2, sentenceScores: [0.5, 0.01, 0.01, 0.01, 0.3, 0.9] });
    expect(quote.text).toBe('The ferry company announced a new timetable on Monday. … Local shops reported more visitors. The company said 40 new crew members were hired for the season.');
    expect(quote.sentences.map((s) => s.gap === true)).toEqual([false, true, false]);
  });

  it('adds nothing when the rest of the passage scores far below the best sentence', () => {
    const quote = selectQuote(text, words, { maxSentences: 3, sentenceScores: [0.9, 0.5, 0.01, 0.01, 0.02, 0.2] });
    expect(text).toContain(quote.text);
    expect(quote.sentences.some((s) => s.gap)).toBe(false);
  });
});

describe('answer types', () => {
  it('reads what kind of answer a question asks for', () => {
    expect(answerType('How many people were evacuated?')).toBe('number');
    expect(answerType('When did the bridge collapse?')).toBe('date');
    expect(answerType('Who urged residents to leave?')).toBe('name');
    expect(answerType('Which village was hit?')).toBe('name');
    expect(answerType('Why did the talks fail?')).toBeUndefined();
  });

  it('recognises a fresh answer, not one the question already holds', () => {
    const q = new Set(['how', 'many', 'ships', 'left', 'in', '2022']);
    expect(hasFreshAnswer('Three ships left the port in 2022.', 'number', q)).toBe(true);
    expect(hasFreshAnswer('Ships left the port in 2022.', 'number', q)).toBe(false);
    expect(hasFreshAnswer('The order came from Sergey Surovikin on Tuesday.', 'name', new Set(['who', 'gave', 'the', 'order']))).toBe(true);
    expect(hasFreshAnswer('the order came late.', 'name', new Set())).toBe(false);
  });
});
