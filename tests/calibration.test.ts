import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { analyze } from '../src/text/analyze.js';
import { tempDir, testSettings } from './support/corpus.js';

/**
 * A calibration property of the shipped confidence model, on generated pairs over a small made-up
 * corpus: a question whose key word the top passage lacks never gets more confidence than the same
 * question asked about what that passage does hold. Every town and project below is invented.
 */

const TOWNS = ['Velmora', 'Tarsk', 'Orvane', 'Quillby', 'Drenmouth', 'Hallowick', 'Brisket Vale', 'Cordane'];
const PROJECTS = ['bridge', 'hospital', 'stadium', 'library', 'harbour', 'tramway', 'reservoir', 'observatory'];
const MAYORS = ['Ilse Marrow', 'Tobin Acre', 'Reka Sollis', 'Pavel Drune', 'Nadia Fenwick', 'Oskar Lumb', 'Yara Pellin', 'Conn Adley'];

/** Town i funds project i (and only that one); every project is funded by exactly one town. */
function article(i: number): { file: string; body: string } {
  const town = TOWNS[i]!;
  const project = PROJECTS[i]!;
  const amount = 12 + i * 7;
  const text = [
    `The ${town} council approved ${amount} million crowns for the new ${project} on Tuesday, mayor ${MAYORS[i]} said.`,
    `Work on the ${project} is due to start in the spring, and the council expects it to take three years.`,
    `Opposition members in ${town} said the vote was rushed and asked for an independent audit of the costs.`,
  ].join(' ');
  const file = `${town.toLowerCase().replace(/\s+/g, '-')}.md`;
  return { file, body: `---\ntitle: ${town} council funds a new ${project}\ndate: 2022-0${1 + (i % 9)}-15\noutlet: Made-up Wire\n---\n\n${text}\n` };
}

describe('calibration on generated pairs (made-up corpus)', { timeout: 120_000 }, () => {
  let cleanup: () => Promise<void>;
  let searcher: Searcher;

  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const corpus = path.join(t.dir, 'corpus');
    await mkdir(corpus, { recursive: true });
    for (let i = 0; i < TOWNS.length; i++) {
      const a = article(i);
      await writeFile(path.join(corpus, a.file), a.body);
    }
    const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
    await buildIndex({ corpus: [corpus], out: path.join(t.dir, 'index'), settings, lexicalOnly: true });
    searcher = await Searcher.open(path.join(t.dir, 'index'), settings);
  });
  afterAll(async () => {
    await searcher?.close();
    await cleanup?.();
  });

  const ask = async (q: string) => {
    const a = await searcher.ask(q, { k: 3, evenIfUnsure: true });
    const top = a.results[0];
    return { p: a.confidence?.probability ?? 0, terms: new Set(analyze(`${top?.title ?? ''}\n${top?.passage ?? ''}`)) };
  };

  const templates = [
    (town: string, project: string) => `how much did the ${town} council approve for the new ${project}`,
    (town: string, project: string) => `when does work on the ${town} ${project} start`,
    (town: string, project: string) => `who said ${town} approved money for a ${project}?`,
  ];

  it('is never more confident when the top passage lacks a key word of the question', async () => {
    let pairs = 0;
    for (const [t, template] of templates.entries()) {
      for (let i = 0; i < TOWNS.length; i++) {
        // The same question about a project this town did not fund (a different one per template).
        const other = PROJECTS[(i + 1 + t) % PROJECTS.length]!;
        const answered = await ask(template(TOWNS[i]!, PROJECTS[i]!));
        const lacking = await ask(template(TOWNS[i]!, other));
        // Generated as intended: no passage holds both the town and the other project, so the top one lacks a key word.
        const key = [...analyze(TOWNS[i]!), ...analyze(other)];
        expect(key.every((k) => lacking.terms.has(k)), template(TOWNS[i]!, other)).toBe(false);
        expect(lacking.p, `${template(TOWNS[i]!, other)} vs ${template(TOWNS[i]!, PROJECTS[i]!)}`).toBeLessThanOrEqual(answered.p);
        pairs++;
      }
    }
    expect(pairs).toBe(templates.length * TOWNS.length);
  });

  it('and a question with a name the corpus never uses gets less confidence than the one it answers', async () => {
    for (let i = 0; i < TOWNS.length; i++) {
      const answered = await ask(`what did mayor ${MAYORS[i]} say about the ${PROJECTS[i]}`);
      const unknown = await ask(`what did mayor Zebulon Quarry say about the ${PROJECTS[i]}`);
      expect(unknown.p).toBeLessThan(answered.p);
    }
  });
});
