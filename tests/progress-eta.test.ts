import { describe, expect, it } from 'vitest';
import { etaSeconds, formatEta } from '../src/cli/progress.js';

describe('the progress ETA', () => {
  it("is the stage's average rate since it started, applied to what is left", () => {
    // 100 of 1,000 units in 30 s: 270 s left, however fast the last few updates were.
    expect(etaSeconds(30, 100, 900)).toBe(270);
    expect(etaSeconds(0.5, 100, 900)).toBeUndefined();
    expect(etaSeconds(30, 0, 900)).toBeUndefined();
  });

  it('reads as seconds, minutes or hours', () => {
    expect(formatEta(undefined)).toBe('…');
    expect(formatEta(42.4)).toBe('42 s');
    expect(formatEta(605)).toBe('10 min 05 s');
    expect(formatEta(7500)).toBe('2 h 05 min');
  });
});
