/**
 * SessionStore when its random ids repeat: the random source is replaced so a draw can be made to
 * repeat a live id (6 random bytes rarely do, but a repeat must neither overwrite a live answer nor
 * leave a stale id that eviction loops on).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';

/** Byte strings the next randomBytes calls return, in order (then real random bytes again). */
const queued: Buffer[] = [];

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  const randomBytes = (size: number): Buffer => queued.shift() ?? real.randomBytes(size);
  return { ...real, default: { ...real, randomBytes }, randomBytes };
});

const { SessionStore } = await import('../../src/bot/sessions.js');

const bytes = (fill: number): Buffer => Buffer.alloc(6, fill);

beforeEach(() => {
  queued.length = 0;
});

describe('SessionStore ids drawn twice', () => {
  it('a repeated id is drawn anew: both answers kept, and the busiest server still gives up its own oldest', () => {
    const store = new SessionStore<string>(60_000, 3);
    queued.push(bytes(1), bytes(1), bytes(2));
    const first = store.put('a question about harbour cranes', 'A');
    const second = store.put('a question about glacier tours', 'B');
    expect(second).not.toBe(first);
    expect([store.get(first), store.get(second)]).toEqual(['a question about harbour cranes', 'a question about glacier tours']);
    const more = [store.put('orchard frost 1', 'A'), store.put('orchard frost 2', 'A')];
    // A holds the most: its oldest goes, not B's only one.
    expect(store.get(first)).toBeUndefined();
    expect(store.get(second)).toBe('a question about glacier tours');
    expect(more.map((id) => store.get(id))).toEqual(['orchard frost 1', 'orchard frost 2']);
  });

  it('an id repeated after its first entry expired, then a full store: eviction ends', () => {
    let now = 0;
    const store = new SessionStore<string>(1000, 1, () => now);
    queued.push(bytes(3), bytes(3), bytes(4), bytes(5));
    const old = store.put('an expired question about ferries', 'A');
    now = 500;
    store.put('a question about ferries, asked again', 'B');
    now = 1600;
    // Expired: removed from B, its group now, but (before the fix) left in A's Set as well.
    expect(store.get(old)).toBeUndefined();
    store.put('a question about tram lines', 'A');
    const last = store.put('a question about canal locks', 'C');
    expect(store.get(last)).toBe('a question about canal locks');
  });

  it('draws that keep repeating replace the old entry cleanly', () => {
    const store = new SessionStore<string>(60_000, 2);
    queued.push(...Array.from({ length: 40 }, () => bytes(7)));
    const ids = ['lighthouse', 'windmill', 'aqueduct'].map((text, n) => store.put(text, n % 2 ? 'A' : 'B'));
    expect(new Set(ids).size).toBe(1);
    expect(store.get(ids[0]!)).toBe('aqueduct');
    queued.length = 0;
    const fresh = [store.put('viaduct', 'A'), store.put('causeway', 'B')];
    expect(fresh.map((id) => store.get(id))).toEqual(['viaduct', 'causeway']);
  });
});
