import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { planQuery } from '../src/search/query.js';
import { PASSAGE_FEATURES, passageFeatures } from '../src/search/ranker/features.js';
import { questionInfo } from '../src/search/ranker/question.js';
import { Searcher } from '../src/search/searcher.js';
import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { analyze } from '../src/text/analyze.js';
import { DEFAULT_RELATED, pruneRelated, RelatedCollector, relatedTerms, type RelatedOptions } from '../src/text/related.js';
import { tempDir, testSettings } from './support/corpus.js';

/**
 * Related words learned from the corpus (src/text/related.ts): words used in the same company are
 * found, unrelated ones are not, the result does not depend on passage order, and a build stores
 * them so that questions get them as 'corpus' alternatives.
 */

const PEOPLE = ['journalist', 'activist', 'blogger', 'lawyer', 'student', 'priest', 'teacher', 'pilot'];
const PLACES = ['Minsk', 'Tbilisi', 'Baku', 'Yerevan', 'Almaty', 'Bishkek'];
const FRUIT = ['apple', 'pear', 'plum', 'cherry', 'quince'];

/** A made-up wire corpus: "jailed" and "detained" (and "troops"/"soldiers") share their company; orchards are another topic. */
function sentences(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 48; i++) {
    const who = PEOPLE[i % PEOPLE.length]!;
    const where = PLACES[i % PLACES.length]!;
    // Alternating by blocks of eight, so both words meet every person and place.
    const verb = Math.floor(i / 8) % 2 ? 'jailed' : 'detained';
    out.push(`Police in ${where} ${verb} a ${who} on protest charges, and a court refused bail to the ${who} this week.`);
    const army = Math.floor(i / 8) % 2 ? 'troops' : 'soldiers';
    out.push(`Hundreds of ${army} crossed the border near ${where} with tanks and artillery, the defence ministry said.`);
    const fruit = FRUIT[i % FRUIT.length]!;
    out.push(`Farmers planted ${fruit} trees in the orchard after the spring flood, and volunteers watered the ${fruit} saplings.`);
  }
  return out;
}

const SMALL: RelatedOptions = { ...DEFAULT_RELATED, minCount: 5, minSimilarity: 0.3 };
const neighbours = (related: ReturnType<typeof relatedTerms>, word: string): string[] => (related[analyze(word)[0]!] ?? []).map(([t]) => t);

describe('related words from co-occurrence', () => {
  const passages = sentences().map((s) => analyze(s));
  const related = relatedTerms(passages, SMALL);

  it('finds words used in the same company', () => {
    expect(neighbours(related, 'jailed')).toContain(analyze('detained')[0]);
    expect(neighbours(related, 'detained')).toContain(analyze('jailed')[0]);
    expect(neighbours(related, 'troops')).toContain(analyze('soldiers')[0]);
  });

  it('does not relate words of unrelated topics', () => {
    const orchard = new Set(analyze('planted trees orchard flood volunteers watered saplings'));
    for (const t of neighbours(related, 'jailed')) expect(orchard.has(t), t).toBe(false);
  });

  it('keeps similarities in (0, 1], most similar first, at most `neighbours` per term', () => {
    for (const list of Object.values(related)) {
      expect(list.length).toBeLessThanOrEqual(SMALL.neighbours);
      for (let i = 0; i < list.length; i++) {
        expect(list[i]![1]).toBeGreaterThanOrEqual(SMALL.minSimilarity);
        expect(list[i]![1]).toBeLessThanOrEqual(1);
        if (i) expect(list[i]![1]).toBeLessThanOrEqual(list[i - 1]![1]);
      }
    }
  });

  it('is deterministic and independent of passage order', () => {
    expect(relatedTerms(passages, SMALL)).toEqual(related);
    const reversed = [...passages].reverse();
    expect(relatedTerms(reversed, SMALL)).toEqual(related);
  });

  it('learns the same in a worker thread as in this one', async () => {
    const collector = new RelatedCollector();
    for (const p of passages) collector.add(p);
    expect(await collector.computeInWorker(SMALL)).toEqual(related);
  });

  it('an aborted build stops the worker and rejects with the abort reason', async () => {
    const collector = new RelatedCollector();
    for (const p of passages) collector.add(p);
    const controller = new AbortController();
    const job = collector.computeInWorker(SMALL, controller.signal);
    controller.abort(new Error('stop'));
    await expect(job).rejects.toThrow('stop');
  });

  it('pruning keeps only terms, and neighbours, that the index still uses', () => {
    const jail = analyze('jailed')[0]!;
    const detain = analyze('detained')[0]!;
    const pruned = pruneRelated(related, (t) => t !== detain);
    expect(pruned[detain]).toBeUndefined();
    expect(pruned[jail]!.map(([t]) => t)).not.toContain(detain);
    expect(pruned[jail]!.length).toBe(related[jail]!.length - 1);
    expect(Object.values(pruned).flat().some(([t]) => t === detain)).toBe(false);
  });

  it('gives nothing for a corpus too small to learn from', () => {
    expect(relatedTerms([analyze('A single short passage.')], DEFAULT_RELATED)).toEqual({});
  });

  it('a related word enters the question plan as a corpus alternative and is counted by its own feature', () => {
    const stats = { docs: 5000, df: (t: string) => (passages.some((p) => p.includes(t)) ? 40 : 0) };
    const lookup = (t: string): Array<[string, number]> | undefined => related[t];
    const plan = planQuery('why was the blogger jailed', stats, { related: lookup, relatedScale: 0.5 });
    const jail = plan.concepts.find((c) => c.term === analyze('jailed')[0])!;
    const detain = jail.alternatives.find((a) => a.term === analyze('detained')[0]);
    expect(detain).toMatchObject({ kind: 'corpus' });
    expect(detain!.share).toBeGreaterThan(0);
    expect(detain!.share).toBeLessThanOrEqual(0.5);
    expect(plan.boosts.get(detain!.term)).toBe(detain!.share);
    // Kept out of the keyword query when asked, but still seen by the ranker.
    const featuresOnly = planQuery('why was the blogger jailed', stats, { related: lookup, relatedScale: 0.5, relatedRetrieval: false });
    expect(featuresOnly.boosts.has(detain!.term)).toBe(false);
    const [hit] = passageFeatures(questionInfo(featuresOnly), [
      { text: 'Police detained a blogger in Minsk.', title: 'Arrest', position: 0, keywordScore: 1, keywordRank: 0, fusedRank: 0 },
    ]);
    expect(hit!.values[PASSAGE_FEATURES.indexOf('coverCorpus')]).toBeGreaterThan(0);
  });
});

describe('a build stores the related words of its corpus', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('archivist-related-'));
  });
  afterAll(() => cleanup());

  it('learns them at index time and a searcher plans questions with them', async () => {
    const lines = sentences().map((text, i) => JSON.stringify({ id: `r${i}`, title: `Wire ${i}`, text, date: '2022-06-01', outlet: 'Test Wire' }));
    const corpus = path.join(dir, 'wire.jsonl');
    await writeFile(corpus, lines.join('\n'));
    const out = path.join(dir, 'index');
    const report = await buildIndex({ corpus: [corpus], out, settings: testSettings({ RELATED_WORDS: true }), lexicalOnly: true });
    expect(report.stageMs.related).toBeGreaterThanOrEqual(0);

    const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
    // The default settings need 10 occurrences: "jailed" (24) and "detained" (24) have them.
    const stored = db.related(analyze('jailed')[0]!)?.map(([t]) => t);
    db.close();
    expect(stored).toContain(analyze('detained')[0]);

    const searcher = await Searcher.open(out, testSettings(), { model: 'never' });
    try {
      const pool = await searcher.pool('which blogger was jailed');
      const jail = pool!.info.plan.concepts.find((c) => c.term === analyze('jailed')[0])!;
      expect(jail.alternatives.some((a) => a.kind === 'corpus' && a.term === analyze('detained')[0])).toBe(true);
    } finally {
      searcher.close();
    }
  });

  it('an update in place keeps them, without the words no passage uses any more', async () => {
    const out = path.join(dir, 'index');
    const detain = analyze('detained')[0]!;
    const read = async (term: string): Promise<string[] | undefined> => {
      const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
      try {
        return db.related(term)?.map(([t]) => t);
      } finally {
        db.close();
      }
    };
    const police = analyze('police')[0]!;
    const border = analyze('border')[0]!;
    const before = { police: await read(police), border: await read(border) };
    expect(before.police).toContain(detain);
    expect(before.border?.length).toBeGreaterThan(0);
    expect(before.border).not.toContain(detain);
    // The same wire with every "detained" passage gone: 'detained' leaves the vocabulary.
    const lines = sentences()
      .map((text, i) => ({ id: `r${i}`, title: `Wire ${i}`, text, date: '2022-06-01', outlet: 'Test Wire' }))
      .filter((a) => !/\bdetained\b/.test(a.text))
      .map((a) => JSON.stringify(a));
    await writeFile(path.join(dir, 'wire.jsonl'), lines.join('\n'));
    const report = await buildIndex({ corpus: [path.join(dir, 'wire.jsonl')], out, settings: testSettings({ RELATED_WORDS: true }), lexicalOnly: true });
    expect(report).toMatchObject({ kind: 'update', removed: 24 });
    expect(await read(police)).toEqual(before.police!.filter((t) => t !== detain));
    expect(await read(detain)).toBeUndefined();
    // The rest are the last full build's, not learned again from the smaller corpus.
    expect(await read(border)).toEqual(before.border);
  });

  it('without RELATED_WORDS (the default) a build learns none, and questions plan without them', async () => {
    const out = path.join(dir, 'index-off');
    const report = await buildIndex({ corpus: [path.join(dir, 'wire.jsonl')], out, settings: testSettings(), lexicalOnly: true });
    expect(report.stageMs.related).toBeUndefined();
    const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
    expect(db.allRelated()).toEqual({});
    db.close();
    const searcher = await Searcher.open(out, testSettings(), { model: 'never' });
    try {
      const pool = await searcher.pool('which blogger was jailed');
      expect(pool!.info.plan.concepts.flatMap((c) => c.alternatives).some((a) => a.kind === 'corpus')).toBe(false);
    } finally {
      searcher.close();
    }
  });

  it('an index written before related words existed reads as having none', async () => {
    const file = (await resolveIndex(path.join(dir, 'index'))).file;
    const db = IndexDatabase.open(file, { readonly: false });
    db.db.exec('DROP TABLE related');
    expect(db.related(analyze('jailed')[0]!)).toBeUndefined();
    db.close();
  });
});
