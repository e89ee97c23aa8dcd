import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CoreConfig } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { makeFolder } from '../src/storage/make-folder.js';
import { addVectors, checkVectorFile, createVectorIndex, writeVectorIndex } from '../src/storage/vectors.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { createTinyModel } from './support/tiny-model.js';

/** Faults an operator running the indexer for months meets: each is one line, and loses nothing. */
let dir: string;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-operator-'));
  env = { ...process.env, ALLOW_REMOTE_MODELS: 'false', EMBEDDING_MODEL: '', MODEL_DIR: path.join(dir, 'no-models'), INDEX_DIR: path.join(dir, 'default-index'), DATA_DIR: path.join(dir, 'data') };
});
afterAll(() => cleanup());

interface Run {
  code: number | string | null;
  signal?: string | null;
  stdout: string;
  stderr: string;
}

/** A CLI script as a child process, killed after `timeout` ms (a hang is a failure, not a stuck test run). */
async function run(script: string, args: readonly string[], timeout = 60_000): Promise<Run> {
  try {
    // tsx as a loader of this one process (its CLI would leave a child running when killed).
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO, env, timeout, killSignal: 'SIGKILL' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string | null; signal?: string | null; stdout: string; stderr: string };
    return { code: e.code, signal: e.signal, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('an index folder the file system will not create', () => {
  // procfs answers mkdir with ENOENT under an existing parent: Node's recursive mkdir retried it forever.
  it.skipIf(!existsSync('/proc/self'))('index --out /proc/…: one line naming the folder and --out, exit 1, no hang', async () => {
    const r = await run('src/cli/index.ts', ['--out', '/proc/archivist-no-such-folder/index', '--corpus', SEED_CORPUS, '--lexical-only', '--no-kept-sources'], 30_000);
    expect(r.signal ?? null).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^Cannot create the folder \/proc\/archivist-no-such-folder\/index: \/proc does not allow new folders \(ENOENT\); .*--out.*\.$/);
  }, 60_000);

  it('makeFolder makes missing parents, accepts an existing folder, and names a file in the way', async () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    await makeFolder(deep);
    await makeFolder(deep);
    expect(existsSync(deep)).toBe(true);
    await expect(makeFolder(path.join(REPO, 'package.json', 'x'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('the vector file of an index', () => {
  let out: string;
  let settings: CoreConfig;
  const corpus = (): string[] => [SEED_CORPUS];

  beforeAll(async () => {
    const modelDir = path.join(dir, 'models');
    const model = await createTinyModel(modelDir);
    settings = testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId });
    out = path.join(dir, 'hybrid');
    expect((await buildIndex({ corpus: corpus(), out, settings })).mode).toBe('hybrid');
  }, 60_000);

  it('is checked whole after writing: a file cut short anywhere (hnswlib reports no write error) is refused', async () => {
    const file = path.join(dir, 'check.hnsw');
    const graph = createVectorIndex(8, 64, { M: 4, efConstruction: 20, efSearch: 20 });
    addVectors(graph, Array.from({ length: 300 }, (_, id) => ({ id, vector: Float32Array.from({ length: 8 }, (_, j) => Math.sin(id * 7 + j)) })));
    await writeVectorIndex(graph, file);
    const size = (await stat(file)).size;
    for (const cut of [1, 7, Math.floor(size / 3), size - 120]) {
      await truncate(file, size - cut);
      await expect(checkVectorFile(file, 300), `cut ${cut}`).rejects.toThrow(/was not written whole/);
      await writeVectorIndex(graph, file);
    }
    await expect(checkVectorFile(file, 299)).rejects.toThrow(/was not written whole/);
  });

  it('missing or damaged: an update says so in one line and changes nothing, where it reported success with no vectors for the new passages', async () => {
    const extra = path.join(dir, 'extra');
    await mkdir(extra, { recursive: true });
    await writeFile(path.join(extra, 'a.jsonl'), `${JSON.stringify({ id: 'v1', title: 'Canal lock gates replaced', text: 'Workers replaced the old canal lock gates during the dry spell, and barges returned to the canal by Friday afternoon.' })}\n`);
    for (const damage of ['missing', 'cut']) {
      const copy = path.join(dir, `hybrid-${damage}`);
      await cp(out, copy, { recursive: true });
      const { file } = await resolveIndex(copy);
      const vectors = (await readdir(copy)).find((e) => e.endsWith('.hnsw'))!;
      if (damage === 'missing') await rm(path.join(copy, vectors));
      else await truncate(path.join(copy, vectors), 4000);
      await expect(buildIndex({ corpus: [...corpus(), extra], out: copy, settings }), damage).rejects.toThrow(
        new RegExp(`^The vector index of ${file} is missing or damaged \\(.*\\): rebuild it with \`npm run index -- --rebuild --out ${copy}\`\\.$`),
      );
      const db = IndexDatabase.open(file, { readonly: true });
      try {
        expect(db.articleHashes().has('v1')).toBe(false);
      } finally {
        db.close();
      }
      const rebuilt = await buildIndex({ corpus: [...corpus(), extra], out: copy, settings, rebuild: true });
      expect([rebuilt.mode, rebuilt.embedded]).toEqual(['hybrid', rebuilt.chunks]);
    }
  }, 120_000);
});

/** Made-up articles of varied words, enough to fill a small disk. */
function madeUpArticles(count: number, prefix: string): string {
  const words = 'harbour council bridge orchard ferry lantern quarry meadow tramway granary viaduct kiln foundry mill reservoir canal beacon depot archive pavilion'.split(' ');
  let seed = 7;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  const sentence = (): string => `The ${Array.from({ length: 12 }, () => `${words[next() % words.length]}${next() % 97}`).join(' ')} stayed open.`;
  return `${Array.from({ length: count }, (_, i) => JSON.stringify({ id: `${prefix}${i}`, title: `Report ${i} on the ${words[i % words.length]}`, text: Array.from({ length: 12 }, sentence).join(' ') })).join('\n')}\n`;
}

/** A small tmpfs, where this process may mount one (root in a container that allows it): a disk that fills up. */
async function smallDisk(at: string, size: string): Promise<(() => Promise<void>) | undefined> {
  await mkdir(at, { recursive: true });
  try {
    await promisify(execFile)('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', at]);
    return async () => void (await promisify(execFile)('umount', [at]));
  } catch {
    return undefined;
  }
}

describe('a full disk under the index folder', async () => {
  const mountPoint = path.join(os.tmpdir(), `archivist-full-disk-${process.pid}`);
  const unmount = await smallDisk(mountPoint, '4m');
  afterAll(async () => {
    await unmount?.();
    await rm(mountPoint, { recursive: true, force: true });
  });
  const settings = testSettings();
  const fullMessage = /^The disk holding the index folder .* is full \(.*\): free space there, or build the index on another disk \(--out\)\. The previous index is unchanged\.$/;

  it.skipIf(!unmount)('a build, an update and a reader each say so in one line; the index stays as it was', async () => {
    const big = path.join(dir, 'big.jsonl');
    await writeFile(big, madeUpArticles(6000, 'b'));
    // A first build that does not fit: one line, and nothing left behind.
    const first = path.join(mountPoint, 'first');
    await expect(buildIndex({ corpus: [big], out: first, settings, lexicalOnly: true })).rejects.toThrow(fullMessage);
    expect((await readdir(first)).filter((e) => e.startsWith('index-'))).toEqual([]);

    // An update that does not fit: one line, the index as it was.
    const out = path.join(mountPoint, 'index');
    const built = await buildIndex({ corpus: [SEED_CORPUS], out, settings, lexicalOnly: true });
    await expect(buildIndex({ corpus: [SEED_CORPUS, big], out, settings, lexicalOnly: true })).rejects.toThrow(fullMessage);
    const { file } = await resolveIndex(out);
    const db = IndexDatabase.open(file, { readonly: true });
    expect(db.counts().articles).toBe(built.articles);
    db.close();

    // Not one byte left: a reader cannot create SQLite's shared-memory file. A full disk, not a damaged index.
    for (const e of await readdir(out)) if (e.endsWith('-shm') || e.endsWith('-wal')) await rm(path.join(out, e));
    const filler = path.join(mountPoint, 'filler');
    await promisify(execFile)('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k']).catch(() => undefined);
    try {
      const r = await run('src/cli/status.ts', ['--index', out]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toMatch(/^The disk holding the index folder .* is full \(.*\): free space there \(SQLite needs a little room beside the index even to read it\)\.$/);
    } finally {
      await rm(filler, { force: true });
    }
    expect((await run('src/cli/status.ts', ['--index', out])).code).toBe(0);
  }, 120_000);
});
