import { describe, expect, it } from 'vitest';
import { planQuery } from '../src/search/query.js';
import { editDistance, everydaySpelling, VariantFinder } from '../src/search/variants.js';

describe('spelling variants', () => {
  it('computes bounded edit distance', () => {
    expect(editDistance('zelenski', 'zelenskyy')).toBe(2);
    expect(editDistance('kherson', 'kherson')).toBe(0);
    expect(editDistance('shoigu', 'shoygu')).toBe(1);
    expect(editDistance('abcdefgh', 'zzzzzzzz', 2)).toBe(3);
    // Two neighbouring letters swapped is one slip, not two edits.
    expect(editDistance('kherosn', 'kherson')).toBe(1);
    expect(editDistance('cahnnel', 'channel', 1)).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
  });

  it('finds corpus terms one or two edits away that share a prefix', () => {
    const finder = new VariantFinder(['zelenskyy', 'zelensky', 'zeal', 'shoygu', 'kherson', 'khersonsky', 'kharkiv']);
    expect(finder.find('zelenski').sort()).toEqual(['zelensky', 'zelenskyy']);
    expect(finder.find('shoigu')).toEqual(['shoygu']);
    expect(finder.find('kherson')).toEqual([]);
    expect(finder.find('kyiv')).toEqual([]);
    expect(finder.find('kherosn')).toEqual(['kherson']);
  });
});

describe('slips in words the corpus never uses', () => {
  it('finds what a slip inside the first letters meant: the terms fewest edits away, first letter kept', () => {
    const finder = new VariantFinder(['ferri', 'ferment', 'lighthous', 'lightn', 'harbour', 'harbor']);
    // "fre…" and "lihg…" share no three-letter prefix with the meant word; find() (names) keeps to the prefix.
    expect(finder.corrections('frerri')).toEqual(['ferri']);
    expect(finder.find('frerri')).toEqual([]);
    expect(finder.corrections('lihghthous')).toEqual(['lighthous']);
    // Two terms one edit away are both kept; a term two edits away is not, once one is one edit away.
    expect(finder.corrections('harbou')).toEqual(['harbor', 'harbour']);
    expect(finder.corrections('gerri')).toEqual([]);
  });

  it('reads a token that is no English word as the commonest everyday word one edit away', () => {
    expect(everydaySpelling('hiuse')).toBe('house');
    expect(everydaySpelling('whhich')).toBe('which');
    expect(everydaySpelling('accordihg')).toBe('according');
    // A word, however rare, is no slip; nor is a token far from any word.
    expect(everydaySpelling('ferry')).toBeUndefined();
    expect(everydaySpelling('qxzvb')).toBeUndefined();
  });

  it('plans a question with a slip as the question it meant', () => {
    const vocabulary = ['lighthous', 'keeper', 'hous', 'ferri', 'strike', 'harbour', 'put', 'putin'];
    const stats = { docs: 50_000, df: (t: string) => (vocabulary.includes(t) ? 300 : 0) };
    const variants = new VariantFinder(vocabulary);
    const plan = (q: string) => planQuery(q, stats, { variants }).concepts.map((c) => [c.term, c.alternatives.map((a) => a.term), Math.round(c.weight * 10) / 10]);
    const clean = plan('the keeper of the ferry harbour house');
    // A slipped stop word is left out like the word; a slipped word counts as the word it meant, and weighs what it weighs.
    // A slip of four letters is read as a corpus term before an everyday word ("put").
    expect(plan('thier putn')).toEqual([['putn', ['putin'], expect.any(Number)]]);
    expect(plan('whhich keeper of the ferrry harbour hiuse')).toEqual([
      ['keeper', [], clean[0]![2]],
      ['ferrri', ['ferri'], clean[1]![2]],
      ['harbour', [], clean[2]![2]],
      ['hius', ['hous'], clean[3]![2]],
    ]);
  });
});
