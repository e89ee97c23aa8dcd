import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coreConfigSchema } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { openOrBuild } from '../src/open.js';
import { Searcher } from '../src/search/searcher.js';
import { IndexDatabase } from '../src/storage/database.js';
import { IndexError } from '../src/storage/errors.js';
import { resolveIndex } from '../src/storage/folder.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { writeGeneratedCorpus } from './support/synthetic-corpus.js';
import { runIndexChild } from './support/run-index-child.js';

/** The engine: in-place updates, the index folder's safety rules, and real indexing processes. */
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-engine-'));
});
afterAll(() => cleanup());

const article = (id: string, title: string, text: string, extra: Record<string, string> = {}): string =>
  JSON.stringify({ id, title, text, url: `https://example.org/${id}`, date: '2022-06-01', outlet: 'Test Wire', ...extra });

const FERRY = 'The night ferry to Kalmar island resumed service on Monday after the storm damaged its ramp, the port authority said.';
const ORCHARD = 'Volunteers replanted four hundred apple trees in the Lindholm orchard that the spring flood had washed away.';
const TUNNEL = 'Engineers found that the Brennberg tunnel lining had cracked and closed the road for three weeks of repairs.';
const FERRY_NEW = 'The night ferry to Kalmar island was cancelled again on Friday because a tugboat collided with the pier.';
const BAKERY = 'A cooperative bakery in Oskarshamn started delivering rye bread by cargo bicycle to elderly residents.';

describe('updates in place', () => {
  let corpus: string;
  let out: string;

  beforeAll(async () => {
    corpus = path.join(dir, 'inplace');
    await mkdir(corpus, { recursive: true });
    await cp(SEED_CORPUS, path.join(corpus, 'seeds'), { recursive: true });
    await writeFile(path.join(corpus, 'wire.jsonl'), [article('x1', 'Ferry service', FERRY), article('x2', 'Orchard replanted', ORCHARD), article('x3', 'Tunnel closed', TUNNEL)].join('\n'));
    out = path.join(dir, 'inplace-index');
  });

  it('touches only new, changed and removed articles; a running searcher picks the change up', async () => {
    const first = await buildIndex({ corpus: [corpus], out, settings });
    expect(first).toMatchObject({ kind: 'full', articles: 5 });
    const searcher = await Searcher.open(out, settings);
    const orchardBefore = await searcher.ask('How many apple trees did volunteers replant in the Lindholm orchard?');
    expect(orchardBefore.results[0]!.articleId).toBe('x2');
    const generation = searcher.info.generation;

    // x1 changes, x3 goes, x4 arrives; x2 and the seeds stay as they are.
    await writeFile(path.join(corpus, 'wire.jsonl'), [article('x1', 'Ferry service', `${FERRY} ${FERRY_NEW}`), article('x2', 'Orchard replanted', ORCHARD), article('x4', 'Bakery', BAKERY)].join('\n'));
    const update = await buildIndex({ corpus: [corpus], out, settings });
    expect(update).toMatchObject({ kind: 'update', added: 1, changed: 1, removed: 1, unchanged: 3, articles: 5 });

    expect(await searcher.refresh()).toBe(true);
    expect(searcher.info.generation).toBe(generation + 1);
    const ferry = await searcher.ask('Why was the night ferry to Kalmar cancelled on Friday?');
    expect(ferry.results[0]!.articleId).toBe('x1');
    expect(ferry.results[0]!.quote).toContain('tugboat collided');
    const bakery = await searcher.ask('How does the Oskarshamn bakery deliver rye bread?');
    expect(bakery.results[0]!.articleId).toBe('x4');
    const tunnel = await searcher.ask('Why was the Brennberg tunnel closed?');
    expect(tunnel.results.map((r) => r.articleId)).not.toContain('x3');
    // An untouched article keeps its passages (same ids): it was not re-indexed.
    const orchardAfter = await searcher.ask('How many apple trees did volunteers replant in the Lindholm orchard?');
    expect(orchardAfter.results[0]!.chunkId).toBe(orchardBefore.results[0]!.chunkId);
    expect((await searcher.listArticles()).items.map((a) => a.id)).not.toContain('x3');
    await searcher.close();

    // Nothing changed: nothing re-indexed.
    const again = await buildIndex({ corpus: [corpus], out, settings });
    expect(again).toMatchObject({ kind: 'update', added: 0, changed: 0, removed: 0, unchanged: 5 });
  });

  it('pushes date and outlet filters down to SQL (dates inclusive, a month-only date covers its month)', async () => {
    const { file } = await resolveIndex(out);
    const db = IndexDatabase.open(file, { readonly: true });
    const ids = (filters: Parameters<IndexDatabase['articlesMatching']>[0]): string[] => [...(db.articlesMatching(filters) ?? [])].sort();
    expect(db.articlesMatching({})).toBeUndefined();
    expect(ids({ outlet: 'test wire' })).toEqual(['x1', 'x2', 'x4']);
    expect(ids({ after: '2022-10-31', before: '2022-10-31' })).toHaveLength(1); // the seed dated 2022-10
    expect(ids({ after: '2023-01-01' })).toHaveLength(1); // the seed dated 2023-11
    expect(ids({ before: '2022-06-01' })).toEqual(['x1', 'x2', 'x4']);
    expect(ids({ before: '2022-05-31' })).toEqual([]);
    db.close();
    const searcher = await Searcher.open(out, settings);
    const filtered = await searcher.ask('night ferry Kalmar', { outlet: 'euromaidan' });
    expect(filtered.results.every((r) => r.outlet?.startsWith('Euromaidan'))).toBe(true);
    await searcher.close();
  });
});

describe('the index folder never loses a good index', () => {
  const config = (indexDir: string) => ({ ...coreConfigSchema.parse({}), ...settings, CORPUS_PATHS: SEED_CORPUS, INDEX_DIR: indexDir });

  async function goodIndex(name: string): Promise<string> {
    const corpus = path.join(dir, `${name}-corpus.jsonl`);
    await writeFile(corpus, [article('g1', 'Ferry service', FERRY), article('g2', 'Orchard replanted', ORCHARD), article('g3', 'Tunnel closed', TUNNEL)].join('\n'));
    const out = path.join(dir, name);
    await buildIndex({ corpus: [corpus], out, settings });
    return out;
  }

  it('an empty or missing pointer with good data: the newest complete index answers, nothing is rebuilt', async () => {
    const out = await goodIndex('pointer');
    const files = (await readdir(out)).sort();
    for (const pointer of ['', null, 'index-00000000T000000Z-gone00.db\n']) {
      if (pointer === null) await rm(path.join(out, 'current'));
      else await writeFile(path.join(out, 'current'), pointer);
      const notices: string[] = [];
      const searcher = await openOrBuild(config(out), out, { onNotice: (m) => notices.push(m), onBuilt: () => notices.push('BUILT') });
      expect(notices).toEqual([expect.stringMatching(/current (was empty|was missing|named index-00000000T000000Z-gone00\.db, which is missing); using the newest complete index/)]);
      expect(searcher.status().articles).toBe(3); // not the 2-article default corpus
      expect((await searcher.ask('Why was the Brennberg tunnel closed?')).results[0]!.articleId).toBe('g3');
      await searcher.close();
      const ours = (fs: string[]): string[] => fs.filter((f) => f !== 'current' && !/-(wal|shm)$/.test(f)).sort();
      expect(ours(await readdir(out))).toEqual(ours(files));
    }
    // The next `npm run index` repairs the pointer.
    await buildIndex({ corpus: [path.join(dir, 'pointer-corpus.jsonl')], out, settings });
    expect((await readFile(path.join(out, 'current'), 'utf8')).trim()).toMatch(/^index-.*\.db$/);
  });

  it('a corrupt database gives one line naming the fix; --rebuild replaces it', async () => {
    const out = await goodIndex('corrupt');
    const { file } = await resolveIndex(out);
    await writeFile(file, 'this is not a database '.repeat(500));
    await expect(Searcher.open(out, settings)).rejects.toThrow(/^The index database .* is damaged \(.*\): rebuild it with `npm run index -- --rebuild --out \S+`\.$/);
    await expect(openOrBuild(config(out), out)).rejects.toThrow(IndexError);
    await expect(buildIndex({ corpus: [path.join(dir, 'corrupt-corpus.jsonl')], out, settings })).rejects.toThrow(/--rebuild/);
    const rebuilt = await buildIndex({ corpus: [path.join(dir, 'corrupt-corpus.jsonl')], out, settings, rebuild: true });
    expect(rebuilt).toMatchObject({ kind: 'full', articles: 3 });
    const searcher = await Searcher.open(out, settings);
    expect(searcher.status().articles).toBe(3);
    await searcher.close();
  });

  it('the old JSON index format is detected, never built over, and converted by --rebuild', async () => {
    const out = path.join(dir, 'old-format');
    await mkdir(path.join(out, 'build-20250101T000000Z-abcdef'), { recursive: true });
    await writeFile(path.join(out, 'build-20250101T000000Z-abcdef', 'manifest.json'), '{"format": 1}');
    await writeFile(path.join(out, 'current'), 'build-20250101T000000Z-abcdef\n');
    const message = `old JSON format (build-* folders), which this version no longer reads: run \`npm run index -- --rebuild --out ${out}\` to convert it.`;
    await expect(Searcher.open(out, settings)).rejects.toThrow(message);
    await expect(openOrBuild(config(out), out)).rejects.toThrow(message);
    await expect(buildIndex({ corpus: [SEED_CORPUS], out, settings })).rejects.toThrow(message);
    const converted = await buildIndex({ corpus: [SEED_CORPUS], out, settings, rebuild: true });
    expect(converted.kind).toBe('full');
    const searcher = await Searcher.open(out, settings);
    expect(searcher.status().articles).toBe(2);
    await searcher.close();
  });

  it('a folder with no index at all is built on first use', async () => {
    const out = path.join(dir, 'fresh');
    let built = false;
    const searcher = await openOrBuild(config(out), out, { onBuilt: () => (built = true) });
    expect(built).toBe(true);
    expect(searcher.status().articles).toBe(2);
    await searcher.close();
  });
});

/** Runs tests/support/index-child.ts in the test's folder. */
const indexChild = (args: string[], onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void) => runIndexChild(args, { cwd: dir }, onLine);

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting');
}

const result = (lines: string[]): { ok: boolean; kind?: string; error?: string } => JSON.parse(lines.at(-1) ?? '{}') as { ok: boolean; kind?: string; error?: string };

describe('real indexing processes', () => {
  let big: string;
  let changed: string;

  beforeAll(async () => {
    big = path.join(dir, 'big.jsonl');
    await writeGeneratedCorpus(big, 1500);
    // The same corpus with every article changed: an update that has real work to do.
    changed = path.join(dir, 'big-changed.jsonl');
    const lines = (await readFile(big, 'utf8')).trim().split('\n').map((l) => {
      const row = JSON.parse(l) as { text: string };
      row.text = `${row.text} Late addition to the report.`;
      return JSON.stringify(row);
    });
    await writeFile(changed, `${lines.join('\n')}\n`);
  });

  it('kill -9 in the middle of an update leaves the previous state answering; the next run takes the stale lock over', async () => {
    const out = path.join(dir, 'killed');
    await buildIndex({ corpus: [big], out, settings });
    for (const at of ['stage chunk', 'stage lexical', 'stage write']) {
      const run = await indexChild([out, changed], (line, kill) => {
        if (line === at) kill('SIGKILL');
      });
      expect(run.signal, at).toBe('SIGKILL');
      const searcher = await Searcher.open(out, settings);
      expect(searcher.status().articles).toBe(1500);
      const answer = await searcher.ask('Generated report 42 harbour council');
      expect(answer.results.every((r) => !r.passage.includes('Late addition'))).toBe(true);
      await searcher.close();
    }
    const rerun = await indexChild([out, changed]);
    expect(result(rerun.lines)).toMatchObject({ ok: true, kind: 'update' });
    expect(rerun.code).toBe(0);
    const searcher = await Searcher.open(out, settings);
    expect((await searcher.ask('Late addition to the report')).results.length).toBeGreaterThan(0);
    await searcher.close();
  }, 240_000);

  it('kill -9 during a --rebuild leaves the previous index live; the leftover is cleaned up later', async () => {
    const out = path.join(dir, 'killed-rebuild');
    await buildIndex({ corpus: [SEED_CORPUS], out, settings });
    const live = (await resolveIndex(out)).file;
    const run = await indexChild([out, '--rebuild', big], (line, kill) => {
      if (line === 'stage load') setTimeout(() => kill('SIGKILL'), 300);
    });
    expect(run.signal).toBe('SIGKILL');
    expect((await resolveIndex(out)).file).toBe(live);
    const searcher = await Searcher.open(out, settings);
    expect(searcher.status().articles).toBe(2);
    await searcher.close();
    await buildIndex({ corpus: [SEED_CORPUS], out, settings });
    expect((await readdir(out)).filter((f) => f.endsWith('.db'))).toEqual([path.basename(live)]);
  }, 120_000);

  it('SIGTERM to `npm run index` stops the build, removes its staging files and lock, and the previous index answers', async () => {
    const out = path.join(dir, 'sigterm');
    await buildIndex({ corpus: [SEED_CORPUS], out, settings });
    const before = (await readdir(out)).sort();
    // Through npm, as users run it: the signal must reach the build, not just the wrapper.
    const child = spawn('npm', ['run', '--silent', 'index', '--', '--rebuild', '--lexical-only', '--corpus', big, '--out', out], {
      cwd: REPO,
      env: { ...process.env, ALLOW_REMOTE_MODELS: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/Reading articles/.test(stderr) && child.exitCode === null && !child.killed) child.kill('SIGTERM');
    });
    await once(child, 'close');
    // npm itself exits at once; the build reports its own stop on the same stderr.
    // On a loaded machine the signal's way through npm and tsx to the build can take seconds.
    for (let i = 0; i < 400 && !/cancelled/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    expect(stderr).toMatch(/Stopping the build \(SIGTERM\)/);
    expect(stderr).toMatch(/Index build cancelled; the previous index, if any, is unchanged/);
    await waitFor(async () => !(await readdir(out)).some((f) => f.includes('lock')));
    const ours = (fs: string[]): string[] => fs.filter((f) => !/-(wal|shm)$/.test(f)).sort();
    expect(ours(await readdir(out))).toEqual(ours(before));
    const searcher = await Searcher.open(out, settings);
    expect(searcher.status().articles).toBe(2);
    await searcher.close();
  }, 120_000);

  it('two builds started together on one folder: one waits its turn or is refused, never both publish (20 pairs)', async () => {
    for (let pair = 0; pair < 20; pair++) {
      const out = path.join(dir, `pair-${pair}`);
      const [a, b] = await Promise.all([indexChild([out, SEED_CORPUS]), indexChild([out, SEED_CORPUS])]);
      const outcomes = [result(a.lines), result(b.lines)];
      for (const o of outcomes) if (!o.ok) expect(o.error).toMatch(/Another index build \(process \d+\) is writing/);
      expect(outcomes.some((o) => o.ok)).toBe(true);
      // Two successful runs can only be one after the other: a first build, then an update of it.
      expect(outcomes.filter((o) => o.kind === 'full')).toHaveLength(1);
      expect((await readdir(out)).filter((f) => f.endsWith('.db'))).toHaveLength(1);
      expect((await readdir(out)).filter((f) => f.includes('lock'))).toEqual([]);
      const searcher = await Searcher.open(out, settings);
      expect(searcher.status().articles).toBe(2);
      await searcher.close();
    }
  }, 600_000);
});
