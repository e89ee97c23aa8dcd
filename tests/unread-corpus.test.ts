import { execFile } from 'node:child_process';
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { DEFAULT_CHUNK_OPTIONS } from '../src/chunk.js';
import { buildIndex, type BuildReport } from '../src/indexer/build.js';
import { buildPostgres } from '../src/indexer/postgres.js';
import { pgliteSql } from '../src/storage/postgres/sql.js';
import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';

/** An update that cannot read part of the corpus keeps that part's articles: a failed read is not a deletion. */
const settings = testSettings();
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-unread-'));
});
afterAll(() => cleanup());

const line = (id: string, subject: string): string =>
  JSON.stringify({ id, title: `${subject} inspected`, text: `Engineers inspected the ${subject} on Monday and found cracks that need repairs before the winter storms.`, url: `https://example.org/${id}` });

async function folder(name: string, files: Record<string, string[]>): Promise<string> {
  const root = path.join(dir, name);
  await mkdir(root, { recursive: true });
  for (const [file, lines] of Object.entries(files)) await writeFile(path.join(root, file), `${lines.join('\n')}\n`);
  return root;
}

async function ids(out: string): Promise<string[]> {
  const db = IndexDatabase.open((await resolveIndex(out)).file, { readonly: true });
  try {
    return [...db.articleHashes().keys()].sort();
  } finally {
    db.close();
  }
}

const build = (corpus: string[], out: string, exclude?: Set<string>): Promise<BuildReport> => buildIndex({ corpus, out, settings, lexicalOnly: true, exclude });

describe('a full build over a live index that cannot read part of the corpus', () => {
  it('is refused while the articles from there would be dropped, leaves the index alone, and goes ahead with --rebuild', async () => {
    const extra = await folder('full-missing', { 'a.jsonl': [line('f1', 'dam'), line('f2', 'bridge')] });
    const out = path.join(dir, 'full-index');
    await build([SEED_CORPUS, extra], out);
    const before = await resolveIndex(out);
    await rename(extra, `${extra}.gone`);
    // New chunking settings: a full build, not an update.
    const chunking = { ...DEFAULT_CHUNK_OPTIONS, targetWords: DEFAULT_CHUNK_OPTIONS.targetWords + 20 };
    await expect(buildIndex({ corpus: [SEED_CORPUS, extra], out, settings, chunking, lexicalOnly: true })).rejects.toThrow(
      new RegExp(`^Cannot read ${extra} \\(cannot read \\(ENOENT\\); 2 articles of the current index\\): .*--rebuild.* The previous index is unchanged\\.$`),
    );
    expect((await resolveIndex(out)).file).toBe(before.file);
    expect(await ids(out)).toEqual(expect.arrayContaining(['f1', 'f2']));
    const rebuilt = await buildIndex({ corpus: [SEED_CORPUS, extra], out, settings, chunking, lexicalOnly: true, rebuild: true });
    expect(rebuilt.fullReason).toBe('rebuild requested');
    expect(await ids(out)).not.toContain('f1');
  }, 60_000);
});

describe('an update that cannot read part of the corpus', () => {
  it('keeps the articles of a named folder that is missing, and removes them once it is dropped from the corpus', async () => {
    const extra = await folder('missing', { 'a.jsonl': [line('m1', 'dam'), line('m2', 'bridge'), line('m3', 'tunnel')] });
    const out = path.join(dir, 'missing-index');
    await build([SEED_CORPUS, extra], out);
    await rename(extra, `${extra}.gone`);
    const report = await build([SEED_CORPUS, extra], out);
    expect(report.removed).toBe(0);
    expect(report.kept).toEqual([{ path: extra, reason: 'cannot read (ENOENT)', articles: 3 }]);
    expect(await ids(out)).toEqual(expect.arrayContaining(['m1', 'm2', 'm3']));
    // Readable again: nothing to do. Dropped from --corpus: a real removal.
    await rename(`${extra}.gone`, extra);
    expect((await build([SEED_CORPUS, extra], out)).unchanged).toBe(report.articles);
    const dropped = await build([SEED_CORPUS], out);
    expect([dropped.removed, dropped.kept]).toEqual([3, undefined]);
  }, 60_000);

  it('keeps the articles of a file it cannot decode, but removes those a readable file no longer holds', async () => {
    const root = await folder('decode', { 'a.json': [`[${line('d1', 'lock gate')}]`], 'b.jsonl': [line('d2', 'sea wall'), line('d3', 'pier')] });
    const out = path.join(dir, 'decode-index');
    await build([root], out);
    await writeFile(path.join(root, 'a.json'), Buffer.from([0x5b, 0xff, 0xfe, 0x41, 0x5d, 0x0a, 0xc3]));
    await writeFile(path.join(root, 'b.jsonl'), `${line('d2', 'sea wall')}\n`);
    const report = await build([root], out);
    expect(report.removed).toBe(1);
    expect(report.kept).toEqual([{ path: path.join(root, 'a.json'), reason: 'not valid UTF-8 text (re-save it as UTF-8)', articles: 1 }]);
    expect(await ids(out)).toEqual(['d1', 'd2']);
  }, 60_000);

  it('still removes an article an admin removed, even from an unreadable file', async () => {
    const root = await folder('excluded', { 'a.jsonl': [line('e1', 'lighthouse'), line('e2', 'canal')], 'b.jsonl': [line('e3', 'harbour crane')] });
    const out = path.join(dir, 'excluded-index');
    await build([root], out);
    // Now a link to a volume that is not mounted.
    await rm(path.join(root, 'a.jsonl'));
    await symlink(path.join(dir, 'unmounted', 'a.jsonl'), path.join(root, 'a.jsonl'));
    const report = await build([root], out, new Set(['e1']));
    expect(report.kept).toEqual([{ path: path.join(root, 'a.jsonl'), reason: 'cannot read (ENOENT)', articles: 1 }]);
    expect(await ids(out)).toEqual(['e2', 'e3']);
  }, 60_000);

  it('says so in one line of the CLI report, and exits 0', async () => {
    const extra = await folder('cli', { 'a.jsonl': [line('c1', 'dam'), line('c2', 'bridge')] });
    const out = path.join(dir, 'cli-index');
    await build([SEED_CORPUS, extra], out);
    await rm(extra, { recursive: true });
    const { stderr } = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['src/cli/index.ts', '--corpus', SEED_CORPUS, extra, '--out', out, '--lexical-only'], {
      cwd: REPO,
      env: { ...process.env, ALLOW_REMOTE_MODELS: 'false', EMBEDDING_MODEL: '', MODEL_DIR: path.join(dir, 'no-models'), INDEX_DIR: out, DATA_DIR: path.join(dir, 'data') },
    });
    expect(stderr).toContain('0 new, 0 changed, 0 removed');
    expect(stderr).toContain(`Kept 2 articles from ${extra}: cannot read (ENOENT); the index keeps them until it can be read, or drop it from --corpus (or --rebuild) to remove them.`);
  }, 60_000);

  it('keeps them in PostgreSQL too', async () => {
    const extra = await folder('pg', { 'a.jsonl': [line('p1', 'dam'), line('p2', 'bridge')] });
    const db = await PGlite.create();
    const sql = pgliteSql(db, 'pglite (in-process)');
    try {
      await buildPostgres({ sql, corpus: [SEED_CORPUS, extra], settings, lexicalOnly: true });
      await rm(extra, { recursive: true });
      const report = await buildPostgres({ sql, corpus: [SEED_CORPUS, extra], settings, lexicalOnly: true });
      expect([report.removed, report.kept]).toEqual([0, [{ path: extra, reason: 'cannot read (ENOENT)', articles: 2 }]]);
    } finally {
      await db.close();
    }
  }, 60_000);
});
