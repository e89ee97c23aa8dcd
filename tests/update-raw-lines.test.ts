import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ARTICLE_CHARS } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { parseJsonl } from '../src/ingest/formats.js';
import { newStreamStats, streamCorpus } from '../src/ingest/stream.js';
import { Searcher } from '../src/search/searcher.js';
import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { tempDir, testSettings } from './support/corpus.js';

/** An update recognises unchanged JSONL lines by their bytes: only new and changed lines are parsed and cleaned. */
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-rawlines-'));
});
afterAll(() => cleanup());

const PLACES = ['Kalmar', 'Lindholm', 'Brennberg', 'Oskarshamn', 'Visby', 'Ystad', 'Falun', 'Mora', 'Lulea', 'Kiruna', 'Umea', 'Borås'];
const row = (i: number, extra = ''): string =>
  JSON.stringify({
    id: `r${i}`,
    title: `Harbour news from ${PLACES[i]}`,
    text: `The harbour master of ${PLACES[i]} reported that ${i + 3} cargo ships docked this week despite the gales.${extra}`,
    url: `https://example.org/r${i}`,
    date: '2022-06-01',
    outlet: 'Test Wire',
  });
const rows = (n: number): string[] => Array.from({ length: n }, (_, i) => row(i));

/** Everything an article row holds that a build decides, in id order (rowids differ between builds). */
async function articles(out: string): Promise<unknown[]> {
  const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
  try {
    return db.db
      .prepare(
        `SELECT a.id, a.title, a.url, a.date, a.outlet, a.source, a.hash, a.raw_hash, a.url_key, a.text_key,
          (SELECT group_concat(p.text, '|') FROM passages p WHERE p.article = a.rowid ORDER BY p.position) AS passages
         FROM articles a ORDER BY a.id`,
      )
      .all();
  } finally {
    db.close();
  }
}

/** A fresh full build of `corpus` in a new folder, to compare an updated index with. */
async function rebuilt(corpus: string, name: string): Promise<unknown[]> {
  const out = path.join(dir, name);
  await buildIndex({ corpus: [corpus], out, settings, rebuild: true });
  return articles(out);
}

describe('recognising unchanged JSONL lines by their bytes', () => {
  it('re-cleans only the changed line, follows moved lines, and ends identical to a full rebuild', async () => {
    const corpus = path.join(dir, 'one');
    await mkdir(corpus, { recursive: true });
    const out = path.join(dir, 'one-index');
    const lines = rows(10);
    await writeFile(path.join(corpus, 'wire.jsonl'), `${lines.join('\n')}\n`);
    expect(await buildIndex({ corpus: [corpus], out, settings })).toMatchObject({ kind: 'full', articles: 10 });

    lines[4] = row(4, ' The harbour also opened a new ferry terminal.');
    await writeFile(path.join(corpus, 'wire.jsonl'), `${lines.join('\n')}\n`);
    const update = await buildIndex({ corpus: [corpus], out, settings });
    expect(update).toMatchObject({ kind: 'update', changed: 1, added: 0, removed: 0, unchanged: 9, reread: { recognised: 9, parsedLines: 1, cleaned: 1 } });
    expect(await articles(out)).toEqual(await rebuilt(corpus, 'one-full-1'));
    const searcher = await Searcher.open(out, settings);
    expect((await searcher.ask('Which harbour opened a new ferry terminal?')).results[0]!.articleId).toBe('r4');
    await searcher.close();

    // A line inserted at the top moves every other line down: they are recognised, only their sources change.
    lines.unshift(row(10));
    await writeFile(path.join(corpus, 'wire.jsonl'), `${lines.join('\n')}\n`);
    const moved = await buildIndex({ corpus: [corpus], out, settings });
    expect(moved).toMatchObject({ added: 1, changed: 0, removed: 0, unchanged: 10, reread: { recognised: 10, parsedLines: 1, cleaned: 1 } });
    expect(await articles(out)).toEqual(await rebuilt(corpus, 'one-full-2'));

    // A line moved to another file: recognised too (the line key does not depend on the file).
    const last = lines.pop()!;
    await writeFile(path.join(corpus, 'wire.jsonl'), `${lines.join('\n')}\n`);
    await writeFile(path.join(corpus, 'extra.ndjson'), `${last}\n`);
    const other = await buildIndex({ corpus: [corpus], out, settings });
    expect(other).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 11, reread: { recognised: 11, parsedLines: 0, cleaned: 0 } });
    expect(await articles(out)).toEqual(await rebuilt(corpus, 'one-full-3'));
  });

  it('keeps duplicates, exclusions and bad lines (reported by file and line) exactly as a full build does', async () => {
    const corpus = path.join(dir, 'two');
    await mkdir(corpus, { recursive: true });
    const out = path.join(dir, 'two-index');
    const bad = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]); // `{"<invalid UTF-8>"}`
    const sameUrl = JSON.stringify({ id: 'copy', title: 'Copy', text: 'A different text that carries the same address as the article on line one.', url: 'https://example.org/r0' });
    const body = Buffer.concat([
      Buffer.from(`${rows(4).join('\n')}\n${row(1)}\n{"id": "broken"\n`),
      bad,
      Buffer.from(`\n${sameUrl}\n${row(5)}\n`),
    ]);
    await writeFile(path.join(corpus, 'wire.jsonl'), body);
    const full = await buildIndex({ corpus: [corpus], out, settings });
    expect(full).toMatchObject({ kind: 'full', articles: 5, duplicates: 2 });
    const problems = (r: { problems: Array<{ source: string; line?: number; message: string }> }) => r.problems.map((p) => `${path.basename(p.source)}:${p.line} ${p.message.replace(/[:(].*/, '').trim()}`);
    expect(problems(full)).toEqual(['wire.jsonl:6 malformed JSON line', 'wire.jsonl:7 not valid UTF-8 text']);

    // Nothing changed: every indexed line recognised (the copy of line 2 too); the line that was
    // only ever a duplicate is not indexed, so it is cleaned again, and found a duplicate again.
    const again = await buildIndex({ corpus: [corpus], out, settings });
    expect(again).toMatchObject({ kind: 'update', unchanged: 5, duplicates: 2, reread: { recognised: 6, parsedLines: 3, cleaned: 1 } });
    expect(problems(again)).toEqual(problems(full));

    // An excluded article is recognised, then left out (and its copies stay out).
    const excluded = await buildIndex({ corpus: [corpus], out, settings, exclude: new Set(['r1']) });
    expect(excluded).toMatchObject({ kind: 'update', removed: 1, excluded: 1, duplicates: 2, reread: { recognised: 6, cleaned: 1 } });
    expect(((await articles(out)) as Array<{ id: string }>).map((a) => a.id)).toEqual(['r0', 'r2', 'r3', 'r5']);
  });

  it('upgrades an index whose raw keys were made from the fields: its first update parses every line but cleans none and rewrites the keys, the next parses none', async () => {
    const corpus = path.join(dir, 'three');
    await mkdir(corpus, { recursive: true });
    const out = path.join(dir, 'three-index');
    const lines = rows(8);
    const file = path.join(corpus, 'wire.jsonl');
    await writeFile(file, `${lines.join('\n')}\n`);
    await buildIndex({ corpus: [corpus], out, settings });
    const current = await articles(out);

    // The keys an index built before line keys holds: a hash of the parsed fields and the settings.
    const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: false });
    const setKey = db.db.prepare('UPDATE articles SET raw_hash = ? WHERE id = ?');
    for (const line of lines) {
      const raw = parseJsonl(line, file).articles[0]!;
      const old = JSON.stringify([raw.id ?? null, raw.title, raw.text, raw.url ?? null, raw.rawDate ?? null, raw.outlet ?? null, 'mdy', DEFAULT_MAX_ARTICLE_CHARS]);
      setKey.run(createHash('sha1').update(old).digest('hex'), raw.id);
    }
    db.close();
    expect(await articles(out)).not.toEqual(current);

    const first = await buildIndex({ corpus: [corpus], out, settings });
    expect(first).toMatchObject({ kind: 'update', added: 0, changed: 0, removed: 0, unchanged: 8, reread: { recognised: 8, parsedLines: 8, cleaned: 0 } });
    expect(await articles(out)).toEqual(current);
    const second = await buildIndex({ corpus: [corpus], out, settings });
    expect(second).toMatchObject({ kind: 'update', unchanged: 8, reread: { recognised: 8, parsedLines: 0, cleaned: 0 } });

    // An old-keyed line that changed is cleaned as any changed line is.
    const db2 = IndexDatabase.open((await resolveIndex(out)).file, { readonly: false });
    db2.db.prepare("UPDATE articles SET raw_hash = 'old' WHERE id = 'r2'").run();
    db2.close();
    lines[2] = row(2, ' The harbour also opened a new ferry terminal.');
    await writeFile(file, `${lines.join('\n')}\n`);
    const third = await buildIndex({ corpus: [corpus], out, settings });
    expect(third).toMatchObject({ kind: 'update', changed: 1, unchanged: 7, reread: { recognised: 7, parsedLines: 1, cleaned: 1 } });
    expect(await articles(out)).toEqual(await rebuilt(corpus, 'three-full'));
  });

  it('keys a line of several articles by their fields, and still recognises them', async () => {
    const corpus = path.join(dir, 'four');
    await mkdir(corpus, { recursive: true });
    const out = path.join(dir, 'four-index');
    const both = `[${row(0)}, ${row(1)}]`;
    await writeFile(path.join(corpus, 'wire.jsonl'), `${both}\n${row(2)}\n`);
    expect(await buildIndex({ corpus: [corpus], out, settings })).toMatchObject({ kind: 'full', articles: 3 });
    const again = await buildIndex({ corpus: [corpus], out, settings });
    expect(again).toMatchObject({ kind: 'update', unchanged: 3, reread: { recognised: 3, cleaned: 0 } });
    expect(await articles(out)).toEqual(await rebuilt(corpus, 'four-full'));
  });
});

describe('reading JSONL lines a chunk at a time', () => {
  it('keeps every line whole and numbered across 1 MB read chunks, a line longer than a chunk too', async () => {
    const corpus = path.join(dir, 'chunks');
    await mkdir(corpus, { recursive: true });
    const file = path.join(corpus, 'big.jsonl');
    // Lines of varied lengths, so line ends fall everywhere relative to the chunk boundaries.
    const lines = Array.from({ length: 3000 }, (_, i) => row(i % PLACES.length, ` Note ${i}: ${'the tide rose and fell again. '.repeat(i % 60)}`).replace(`"r${i % PLACES.length}"`, `"c${i}"`).replace(/example\.org\/r\d+/, `example.org/c${i}`));
    lines.splice(1500, 0, row(0, ` ${'A very long harbour report. '.repeat(60_000)}`).replace('"r0"', '"long"').replace('example.org/r0', 'example.org/long'));
    const body = `${lines.join('\n')}\n`;
    await writeFile(file, body);
    expect(Buffer.byteLength(body)).toBeGreaterThan(3 * 2 ** 20);
    const stats = newStreamStats();
    const sources = new Map<string, string>();
    for await (const item of streamCorpus([corpus], stats)) if (item.kind === 'article') sources.set(item.article.id, item.article.source);
    expect(sources.size).toBe(3001);
    expect(stats.duplicates).toBe(0);
    expect(sources.get('c0')).toBe(`${file}:1`);
    expect(sources.get('c1499')).toBe(`${file}:1500`);
    expect(sources.get('long')).toBe(`${file}:1501`);
    expect(sources.get('c1500')).toBe(`${file}:1502`);
    expect(sources.get('c2999')).toBe(`${file}:3001`);
    expect(stats.bytesDone).toBe(Buffer.byteLength(body));
    expect(stats.problems.map((p) => p.line)).toEqual([1501]); // the long text, cut to the maximum length
  });
});
