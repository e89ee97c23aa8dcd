import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { buildPostgres } from '../src/indexer/postgres.js';
import type { KeywordHit, KeywordQueryTerm, SearchBackend } from '../src/storage/backend.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { poolSql, type Sql } from '../src/storage/postgres/sql.js';
import type { SearchFilters } from '../src/types.js';
import { tempDir, testSettings } from './support/corpus.js';
import { testDatabase } from './support/postgres.js';
import { seededRandom } from './support/random.js';

/**
 * The PostgreSQL keyword search gives the embedded index's exact BM25F top k: the same ids in the same
 * order, the same scores to the last bit and the same matched words, for random queries, boosts, k and
 * filters over a generated corpus (a Zipf-like vocabulary: a few words in most passages, most words rare),
 * through a run of tied scores, and after an update in place.
 */
const db = await testDatabase();

/** Made-up words (letters only, so the analyser keeps each as one term). */
const SYLLABLES = ['ka', 'ro', 'mi', 'tu', 'le', 'van', 'sor', 'pe', 'dil', 'gau', 'ne', 'bro'];
const word = (i: number): string => `${SYLLABLES[i % 12]}${SYLLABLES[Math.floor(i / 12) % 12]}${SYLLABLES[Math.floor(i / 144) % 12]}x`;
const VOCABULARY = Array.from({ length: 600 }, (_, i) => word(i));
const OUTLETS = ['Harbour Gazette', 'Odd Wire', 'Evening Ledger'];
/** Articles that differ only in one word each: a query for "kestrel" scores them all alike. */
const TIED = 30;

function corpus(seed: number, count: number, changed = new Set<number>()): string {
  const random = seededRandom(seed);
  // Zipf: the word of rank r is drawn with weight 1 / (r + 1).
  const weights = VOCABULARY.map((_, r) => 1 / (r + 1));
  const total = weights.reduce((s, w) => s + w, 0);
  const draw = (): string => {
    let x = random() * total;
    for (const [r, w] of weights.entries()) {
      x -= w;
      if (x <= 0) return VOCABULARY[r]!;
    }
    return VOCABULARY[0]!;
  };
  const sentence = (): string => {
    const s = Array.from({ length: 5 + Math.floor(random() * 10) }, draw).join(' ');
    return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
  };
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const sentences = Array.from({ length: 2 + Math.floor(random() * (i % 7 === 0 ? 40 : 8)) }, sentence);
    if (changed.has(i)) sentences.push('Revised with a further paragraph about the harbour.');
    const date = `2022-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    lines.push(JSON.stringify({ id: `g${i}`, title: `${draw()} ${draw()} ${draw()}`, date, outlet: OUTLETS[i % 3], text: sentences.join(' ') }));
  }
  for (let i = 0; i < TIED; i++) {
    const own = word(1000 + i * 7);
    lines.push(JSON.stringify({ id: `t${i}`, title: `Tied ${own} notice`, date: '2022-05-05', outlet: 'Odd Wire', text: `The kestrel crossed the ${own} estuary at dawn and landed quietly.` }));
  }
  // One sentence (never split) repeating a word past the 255 a field's count is capped at, and the 256 positions a tsvector keeps.
  lines.push(JSON.stringify({ id: 'long', title: 'Thundax thundax bulletin', date: '2022-07-07', outlet: 'Odd Wire', text: `${Array(320).fill('thundax').join(' ')} ends here.` }));
  return `${lines.join('\n')}\n`;
}

describe.skipIf(!db)('PostgreSQL keyword search equals the embedded index', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sql: Sql;
  let embedded: EmbeddedBackend;
  let postgres: PostgresBackend;
  const settings = testSettings();
  const file = (): string => path.join(dir, 'generated.jsonl');

  const build = async (): Promise<void> => {
    await embedded?.close();
    await postgres?.close();
    const corpusFiles = [file()];
    await buildIndex({ corpus: corpusFiles, out: path.join(dir, 'index'), settings, lexicalOnly: true });
    await buildPostgres({ sql, corpus: corpusFiles, settings, lexicalOnly: true, batchArticles: 60 });
    embedded = await EmbeddedBackend.open(path.join(dir, 'index'), { efSearch: 64 });
    postgres = await PostgresBackend.open(sql, { efSearch: 64 }, false);
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    sql = poolSql(db!.url, { max: 2 });
    await writeFile(file(), corpus(11, 420));
    await build();
  }, 300_000);
  afterAll(async () => {
    await embedded?.close();
    await postgres?.close();
    await sql?.close();
    await db?.drop();
    await cleanup?.();
  });

  const both = async (query: KeywordQueryTerm[], k: number, filters?: SearchFilters): Promise<{ a: KeywordHit[]; b: KeywordHit[] }> => {
    const run = async (backend: SearchBackend): Promise<KeywordHit[]> => backend.keywordCandidates(query, k, filters ? await backend.filterFor(filters) : undefined);
    return { a: await run(embedded), b: await run(postgres) };
  };

  /** Random queries: 1–8 corpus words (common and rare), a word the corpus lacks, boosts including 0, k from 1 to 150, some filters. */
  const randomQueries = async (seed: number, count: number): Promise<{ compared: number; nonEmpty: number }> => {
    const random = seededRandom(seed);
    const vocabulary = [...embedded.terms.vocabulary()].sort();
    const boosts = [1, 1, 1, 0.6, 0.25, 0];
    const filters: Array<SearchFilters | undefined> = [undefined, undefined, undefined, { outlet: 'gazette' }, { after: '2022-06-01' }, { before: '2022-03-31', outlet: 'wire' }];
    let nonEmpty = 0;
    for (let n = 0; n < count; n++) {
      const query: KeywordQueryTerm[] = Array.from({ length: 1 + Math.floor(random() * 8) }, () => ({
        term: vocabulary[Math.floor(random() ** 2 * vocabulary.length)]!,
        boost: boosts[Math.floor(random() * boosts.length)]!,
      }));
      if (n % 10 === 0) query.push({ term: 'nowhereword', boost: 1 });
      const k = [1, 5, 10, 100, 150][n % 5]!;
      const { a, b } = await both(query, k, filters[n % filters.length]);
      expect(b, JSON.stringify({ query, k })).toEqual(a);
      if (a.length) nonEmpty++;
    }
    return { compared: count, nonEmpty };
  };

  it('gives the same ids, scores (bit for bit) and matched words for random queries, boosts, k and filters', async () => {
    expect(postgres.terms.docs).toBe(embedded.terms.docs);
    for (const term of [...embedded.terms.vocabulary()].slice(0, 500)) expect(postgres.terms.df(term), term).toBe(embedded.terms.df(term));
    const { nonEmpty } = await randomQueries(5, 150);
    expect(nonEmpty).toBeGreaterThan(120);
    // The corpus has common words (in over a third of the passages) as well as rare ones.
    const dfs = VOCABULARY.map((w) => embedded.terms.df(w)).filter((n) => n > 0);
    expect(Math.max(...dfs)).toBeGreaterThan(embedded.terms.docs / 3);
    expect(Math.min(...dfs)).toBeLessThan(10);
  }, 120_000);

  it('cuts exactly through a run of tied scores, fetching past the first k + 8 when they all tie with the k-th', async () => {
    const before = postgres.keywordCounts.refetched;
    const { a, b } = await both([{ term: 'kestrel', boost: 1 }], 10);
    expect(b).toEqual(a);
    expect(a).toHaveLength(10);
    expect(new Set(a.map((h) => h.score)).size).toBe(1);
    // Ties go to the lower id, in both.
    expect(a.map((h) => h.id)).toEqual([...a.map((h) => h.id)].sort((x, y) => x - y));
    expect(postgres.keywordCounts.refetched).toBe(before + 1);
    // With a second word that only some of them have, the tied run is cut inside.
    const mixed = await both([{ term: 'kestrel', boost: 1 }, { term: embedded.terms.df(word(1000)) ? word(1000) : 'kestrel', boost: 0.5 }], 5);
    expect(mixed.b).toEqual(mixed.a);
  });

  it('caps a word’s count in a passage as the embedded index does', async () => {
    const { a, b } = await both([{ term: 'thundax', boost: 1 }], 3);
    expect(a).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('stays equal after an update in place that removes, changes and keeps articles', async () => {
    await writeFile(file(), corpus(11, 380, new Set([3, 50, 51, 200])));
    await build();
    expect(postgres.terms.docs).toBe(embedded.terms.docs);
    await randomQueries(9, 80);
  }, 300_000);
});
