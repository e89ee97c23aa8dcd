import { describe, expect, it } from 'vitest';
import { articleChoices, outletChoices } from '../../src/bot/choices.js';
import { OutletCache } from '../../src/bot/outlets.js';
import type { OutletCount } from '../../src/storage/backend.js';

/** The outlet cache behind `/ask outlet:` autocomplete, and the choices Discord is sent. */
const OUTLETS: OutletCount[] = [
  { name: 'Kyiv Independent', articles: 40 },
  { name: 'Euromaidan Press', articles: 30 },
  { name: 'Kyiv Post', articles: 20 },
  { name: 'Associated Press', articles: 10 },
];

async function cache(list: OutletCount[] = OUTLETS): Promise<OutletCache> {
  const source = { listOutlets: async (prefix: string, limit: number) => list.filter((o) => o.name.toLowerCase().startsWith(prefix)).slice(0, limit) };
  const c = new OutletCache(source);
  await c.refresh();
  return c;
}

describe('OutletCache', () => {
  it('suggests by case-insensitive prefix, most articles first, then outlets with a later word starting with it', async () => {
    const c = await cache();
    expect(c.suggest('KYIV').map((o) => o.name)).toEqual(['Kyiv Independent', 'Kyiv Post']);
    expect(c.suggest('  kyiv p ').map((o) => o.name)).toEqual(['Kyiv Post']);
    expect(c.suggest('press').map((o) => o.name)).toEqual(['Euromaidan Press', 'Associated Press']);
    expect(c.suggest('').map((o) => o.name)).toEqual(OUTLETS.map((o) => o.name));
    expect(c.suggest('bbc')).toEqual([]);
  });

  it('never returns more than Discord shows (25), and keeps the old list when a refresh fails', async () => {
    const many = Array.from({ length: 60 }, (_, i) => ({ name: `Outlet ${i}`, articles: 60 - i }));
    const c = await cache(many);
    expect(c.suggest('outlet')).toHaveLength(25);
    expect(c.suggest('')).toHaveLength(25);
    const failing = new OutletCache({ listOutlets: async () => Promise.reject(new Error('pool closed')) });
    await expect(failing.refresh()).rejects.toThrow('pool closed');
    expect(failing.size).toBe(0);
  });
});

describe('choices', () => {
  it('fit Discord: names and values of at most 100 characters, at most 25', () => {
    const long = 'A'.repeat(150);
    const outlets = outletChoices([{ name: 'Kyiv Post', articles: 1 }, { name: long, articles: 3 }, { name: `${'B'.repeat(95)}`, articles: 12_345 }]);
    expect(outlets[0]).toEqual({ name: 'Kyiv Post (1 article)', value: 'Kyiv Post' });
    // A name too long to be a value cannot be chosen: left out rather than cut (the filter would not match).
    expect(outlets.map((c) => c.value)).not.toContain(long);
    expect(outlets[1]!.name.length).toBeLessThanOrEqual(100);
    expect(outlets[1]!.name).toMatch(/… \(12,345 articles\)$/);
    const articles = articleChoices([
      { id: 'a1', title: 'T'.repeat(120), outlet: 'Wire', date: '2022-01-01', source: 's' },
      { id: 'x'.repeat(101), title: 'Too long an id', source: 's' },
      { id: 'a2', title: 'Plain', source: 's' },
    ]);
    expect(articles.map((c) => c.value)).toEqual(['a1', 'a2']);
    expect(articles[0]!.name.length).toBeLessThanOrEqual(100);
    expect(articles[1]!.name).toBe('Plain');
  });
});
