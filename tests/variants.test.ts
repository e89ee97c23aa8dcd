import { describe, expect, it } from 'vitest';
import { editDistance, VariantFinder } from '../src/search/variants.js';

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
