import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SearchPool } from '../src/bot/search-pool.js';
import { coreConfigSchema, type CoreConfig } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { openSearcher } from '../src/open.js';
import { IndexDatabase } from '../src/storage/database.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { IndexError, VectorChecksumError } from '../src/storage/errors.js';
import { META } from '../src/storage/schema.js';
import { checkVectorFile, readVectorIndex, type VectorChecksum, verifyVectorFile } from '../src/storage/vectors.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { createTinyModel } from './support/tiny-model.js';
import { flipVectorByte, liveVectors as live } from './support/vector-file.js';

/** A byte flipped inside the vector data: hnswlib's layout checks pass it; the checksum recorded at commit does not. */
let dir: string;
let cleanup: () => Promise<void>;
let settings: CoreConfig;
let modelDir: string;
let modelId: string;
/** A good hybrid index of the seed corpus, copied before each damage. */
let good: string;
let copies = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-vector-checksum-'));
  modelDir = path.join(dir, 'models');
  modelId = (await createTinyModel(modelDir)).modelId;
  settings = testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: modelId });
  good = path.join(dir, 'good');
  expect((await buildIndex({ corpus: [SEED_CORPUS], out: good, settings })).mode).toBe('hybrid');
}, 60_000);
afterAll(() => cleanup());

/** A copy of the good index that a test may damage. */
async function copyOfGood(): Promise<string> {
  const copy = path.join(dir, `copy-${++copies}`);
  await cp(good, copy, { recursive: true });
  return copy;
}

function readMeta<T>(file: string, key: string): T | undefined {
  const db = IndexDatabase.open(file, { readonly: true });
  try {
    return db.meta<T>(key);
  } finally {
    db.close();
  }
}

/** Changes meta rows as another version of Archivist would have written them. */
function writeMeta(file: string, key: string, value: unknown): void {
  const db = IndexDatabase.open(file, { readonly: false });
  try {
    if (value === undefined) db.db.prepare('DELETE FROM meta WHERE key = ?').run(key);
    else db.setMeta(key, value);
  } finally {
    db.close();
  }
}

const sha256 = async (file: string): Promise<string> => createHash('sha256').update(await readFile(file)).digest('hex');

/** The one-line error a damaged vector file gives, whoever reads it. */
const damagedMessage = (vectors: string, out: string): RegExp =>
  new RegExp(
    `^The vector file ${vectors} is damaged: it does not match the checksum recorded when it was written \\(SHA-256 [0-9a-f]{12}…, recorded [0-9a-f]{12}…\\)\\. ` +
      `The index cannot be searched or updated safely: rebuild it with \`npm run index -- --rebuild --out ${out}\`\\.$`,
  );

/** An article only the update adds, to see that nothing of it is committed. */
async function extraCorpus(): Promise<string> {
  const extra = path.join(dir, 'extra');
  await mkdir(extra, { recursive: true });
  await writeFile(
    path.join(extra, 'a.jsonl'),
    `${JSON.stringify({ id: 'v1', title: 'Lantern festival moved indoors', text: 'Organisers moved the lantern festival into the old granary after two nights of rain, and the quay market stayed shut.' })}\n`,
  );
  return extra;
}

const runFile = promisify(execFile);

/** A CLI script as a child process (tsx as a loader of this one process). */
async function run(script: string, args: readonly string[]): Promise<{ code: number | string | null; stdout: string; stderr: string }> {
  const env = { ...process.env, ALLOW_REMOTE_MODELS: 'false', MODEL_DIR: modelDir, EMBEDDING_MODEL: modelId, CORPUS_MODEL: 'off', INDEX_DIR: path.join(dir, 'default-index'), DATA_DIR: path.join(dir, 'data') };
  try {
    const { stdout, stderr } = await runFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO, env, timeout: 60_000, killSignal: 'SIGKILL' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number | string | null; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('the checksum recorded with a vector file', () => {
  it('is written in the commit that names the file: its name, size and SHA-256 as on disk', async () => {
    const { file, vectors, name } = await live(good);
    const recorded = readMeta<VectorChecksum>(file, META.vectorsChecksum);
    expect(recorded).toEqual({ file: name, bytes: (await readFile(vectors)).length, sha256: await sha256(vectors) });
  });

  it('catches a flipped byte that hnswlib and the layout walk let through', async () => {
    const out = await copyOfGood();
    const { file, vectors, name } = await live(out);
    await flipVectorByte(vectors);
    const db = IndexDatabase.open(file, { readonly: true });
    const checksum = db.vectorsChecksum(name);
    const { dense, passages: count } = db.info();
    db.close();
    const dim = dense.status === 'ok' ? dense.dim : 0;
    // The gap this closes: the damaged file reads as whole.
    await expect(checkVectorFile(vectors, count)).resolves.toBeUndefined();
    expect((await readVectorIndex(vectors, dim, 20)).getCurrentCount()).toBe(count);
    await expect(verifyVectorFile(vectors, checksum)).rejects.toThrow(damagedMessage(vectors, out));
  });

  it('a changed size is said as such', async () => {
    const out = await copyOfGood();
    const { vectors, name } = await live(out);
    const bytes = (await readFile(vectors)).length;
    await expect(verifyVectorFile(vectors, { file: name, bytes: bytes + 4, sha256: '0'.repeat(64) })).rejects.toThrow(
      new RegExp(`^The vector file ${vectors} is damaged: it does not match the checksum recorded when it was written \\(${bytes} bytes, recorded ${bytes + 4}\\)\\.`),
    );
  });
});

describe('a damaged vector file', () => {
  it('is refused at open, before any search, with the file and the rebuild command', async () => {
    const out = await copyOfGood();
    const { vectors } = await live(out);
    await flipVectorByte(vectors);
    await expect(EmbeddedBackend.open(out, { efSearch: 20 })).rejects.toThrow(damagedMessage(vectors, out));
    // `status` (no model: checked before the index is described).
    const config = { ...coreConfigSchema.parse({}), ...settings, INDEX_DIR: out };
    await expect(openSearcher(config, out, { model: 'never' })).rejects.toThrow(damagedMessage(vectors, out));
  });

  it('checked in the background while a model loads: vector searches wait for it and fail with the one line', async () => {
    const out = await copyOfGood();
    const { vectors } = await live(out);
    await flipVectorByte(vectors);
    const config = { ...coreConfigSchema.parse({}), ...settings, INDEX_DIR: out };
    const searcher = await openSearcher(config, out, { model: 'await' });
    try {
      expect(searcher.mode).toBe('hybrid');
      await expect(searcher.ask('What did Saldo urge Kherson residents to do?')).rejects.toThrow(damagedMessage(vectors, out));
      // Re-ranking reads stored vectors: once the check has failed, it says so too.
      await expect(searcher.ask('Kherson')).rejects.toThrow(damagedMessage(vectors, out));
    } finally {
      await searcher.close();
    }
  });

  it('in the background at the backend: open resolves, then a vector search, and reading a vector after the check failed, give the one line', async () => {
    const out = await copyOfGood();
    const { vectors } = await live(out);
    await flipVectorByte(vectors);
    const backend = await EmbeddedBackend.open(out, { efSearch: 20, verifyVectors: 'background' });
    try {
      const dim = backend.info.dense.status === 'ok' ? backend.info.dense.dim : 0;
      await expect(backend.denseCandidates(new Float32Array(dim).fill(0.1), 3)).rejects.toThrow(damagedMessage(vectors, out));
      await expect(backend.vectorOf(0)).rejects.toThrow(damagedMessage(vectors, out));
    } finally {
      await backend.close();
    }
  });

  it('an update refuses to build on it and commits nothing; --rebuild re-embeds (no vector re-used from it) and records a new checksum', async () => {
    const out = await copyOfGood();
    const { file, vectors } = await live(out);
    await flipVectorByte(vectors);
    const generation = readMeta<number>(file, META.generation);
    const extra = await extraCorpus();
    await expect(buildIndex({ corpus: [SEED_CORPUS, extra], out, settings })).rejects.toThrow(damagedMessage(vectors, out));
    const db = IndexDatabase.open(file, { readonly: true });
    try {
      expect(db.articleHashes().has('v1')).toBe(false);
      expect(db.meta<number>(META.generation)).toBe(generation);
    } finally {
      db.close();
    }
    const rebuilt = await buildIndex({ corpus: [SEED_CORPUS, extra], out, settings, rebuild: true });
    expect([rebuilt.mode, rebuilt.embedded, rebuilt.reused]).toEqual(['hybrid', rebuilt.chunks, 0]);
    const now = await live(out);
    expect(readMeta<VectorChecksum>(now.file, META.vectorsChecksum)?.sha256).toBe(await sha256(now.vectors));
    const backend = await EmbeddedBackend.open(out, { efSearch: 20 });
    expect(backend.info.articles).toBe(rebuilt.articles);
    await backend.close();
  }, 60_000);

  it('the CLI says it in one line, exit 1, no stack trace: status, and an update by `index`', async () => {
    const out = await copyOfGood();
    const { vectors } = await live(out);
    await flipVectorByte(vectors);
    for (const [script, args] of [
      ['src/cli/status.ts', ['--index', out]],
      ['src/cli/index.ts', ['--out', out, '--corpus', SEED_CORPUS, '--no-kept-sources']],
    ] as const) {
      const r = await run(script, args);
      expect(r.code, `${script}: ${r.stderr}`).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines.at(-1), script).toMatch(damagedMessage(vectors, out));
      expect(r.stderr, script).not.toMatch(/^\s+at /m);
    }
  }, 120_000);
});

describe('indexes without a checksum for their vector file', () => {
  it('written before checksums: open with the check skipped, and the next update that writes vectors records one', async () => {
    const out = await copyOfGood();
    const before = await live(out);
    writeMeta(before.file, META.vectorsChecksum, undefined);
    const backend = await EmbeddedBackend.open(out, { efSearch: 20 });
    await backend.close();
    const report = await buildIndex({ corpus: [SEED_CORPUS, await extraCorpus()], out, settings });
    expect([report.kind, report.added]).toEqual(['update', 1]);
    const after = await live(out);
    expect(after.name).not.toBe(before.name);
    expect(readMeta<VectorChecksum>(after.file, META.vectorsChecksum)).toEqual({ file: after.name, bytes: (await readFile(after.vectors)).length, sha256: await sha256(after.vectors) });
  }, 60_000);

  it('a record naming an older file (an update by a version without checksums) is not applied to the current one', async () => {
    const out = await copyOfGood();
    const { file, vectors } = await live(out);
    writeMeta(file, META.vectorsChecksum, { file: 'index-older.g0.hnsw', bytes: 1, sha256: '0'.repeat(64) });
    await flipVectorByte(vectors);
    const backend = await EmbeddedBackend.open(out, { efSearch: 20 });
    await backend.close();
  });

  it('a record that is not a checksum is damaged metadata, named with the fix', async () => {
    const out = await copyOfGood();
    const { file } = await live(out);
    writeMeta(file, META.vectorsChecksum, { file: 42 });
    await expect(EmbeddedBackend.open(out, { efSearch: 20 })).rejects.toThrow(
      `The index ${file} has damaged metadata (vectors_checksum): rebuild it with \`npm run index -- --rebuild --out ${out}\`.`,
    );
  });
});

describe('an update of a good index', () => {
  it('records the checksum of the generation it writes, which readers then check', async () => {
    const out = await copyOfGood();
    await buildIndex({ corpus: [SEED_CORPUS, await extraCorpus()], out, settings });
    const { file, vectors, name } = await live(out);
    expect(name).toMatch(/\.g2\.hnsw$/);
    expect(readMeta<VectorChecksum>(file, META.vectorsChecksum)).toEqual({ file: name, bytes: (await readFile(vectors)).length, sha256: await sha256(vectors) });
    const backend = await EmbeddedBackend.open(out, { efSearch: 20 });
    await backend.close();
    await flipVectorByte(vectors);
    await expect(EmbeddedBackend.open(out, { efSearch: 20 })).rejects.toThrow(damagedMessage(vectors, out));
  }, 60_000);
});

describe('a backend that checked its vector file in the background (a search worker)', () => {
  /** A query vector of the index's width, and the hits it gets from a good graph. */
  const probe = (backend: EmbeddedBackend): Float32Array => new Float32Array(backend.info.dense.status === 'ok' ? backend.info.dense.dim : 0).fill(0.1);

  it('a refresh checks the new generation before the swap: a damaged one is refused and the old one keeps serving', async () => {
    const out = await copyOfGood();
    const backend = await EmbeddedBackend.open(out, { efSearch: 20, verifyVectors: 'background' });
    try {
      const before = await backend.denseCandidates(probe(backend), 3);
      expect(before.length).toBeGreaterThan(0);
      const generation = backend.info.generation;
      await buildIndex({ corpus: [SEED_CORPUS, await extraCorpus()], out, settings });
      const { vectors } = await live(out);
      await flipVectorByte(vectors);
      await expect(backend.refresh()).rejects.toThrow(damagedMessage(vectors, out));
      expect(backend.info.generation).toBe(generation);
      expect(await backend.denseCandidates(probe(backend), 3)).toEqual(before);
    } finally {
      await backend.close();
    }
  }, 60_000);

  it('a close() while a refresh loads the next generation: nothing is swapped in, and each connection is closed once', async () => {
    const out = await copyOfGood();
    // Every connection the backend pins (its first, then the refresh's), and every close.
    const pin = IndexDatabase.prototype.pinSnapshot;
    const pinned = vi.spyOn(IndexDatabase.prototype, 'pinSnapshot');
    const closed = vi.spyOn(IndexDatabase.prototype, 'close');
    try {
      const backend = await EmbeddedBackend.open(out, { efSearch: 20, verifyVectors: 'background' });
      await backend.denseCandidates(probe(backend), 3);
      const generation = backend.info.generation;
      const own = pinned.mock.contexts[0];
      await buildIndex({ corpus: [SEED_CORPUS, await extraCorpus()], out, settings });
      pinned.mockClear();
      closed.mockClear();
      // Closes at the refresh's first wait after pinning its connection: inside loadState, its check running.
      pinned.mockImplementationOnce(function (this: IndexDatabase) {
        pin.call(this);
        queueMicrotask(() => void backend.close());
      });
      await expect(backend.refresh()).resolves.toBe(false);
      expect(backend.info.generation).toBe(generation);
      expect(pinned).toHaveBeenCalledTimes(1);
      const refreshDb = pinned.mock.contexts[0];
      const closes = closed.mock.contexts;
      expect(closes.filter((db) => db === refreshDb)).toHaveLength(1);
      // The backend's own connection: closed by close() only, not again by the refresh.
      expect(own).toBeInstanceOf(IndexDatabase);
      expect(closes.filter((db) => db === own)).toHaveLength(1);
      await expect(backend.refresh()).resolves.toBe(false);
    } finally {
      pinned.mockRestore();
      closed.mockRestore();
    }
  }, 60_000);

  it('a failed background check is said once through onNotice, however many searches fail on it', async () => {
    const out = await copyOfGood();
    const { vectors } = await live(out);
    await flipVectorByte(vectors);
    const notices: string[] = [];
    const backend = await EmbeddedBackend.open(out, { efSearch: 20, verifyVectors: 'background', onNotice: (m) => notices.push(m) });
    try {
      await expect(backend.denseCandidates(probe(backend), 3)).rejects.toThrow(damagedMessage(vectors, out));
      await expect(backend.denseCandidates(probe(backend), 3)).rejects.toThrow(damagedMessage(vectors, out));
      await expect(backend.vectorOf(0)).rejects.toThrow(damagedMessage(vectors, out));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatch(damagedMessage(vectors, out));
    } finally {
      await backend.close();
    }
  });

  it('reaches the bot from a search worker as an index error (VectorChecksumError), not a generic failure', async () => {
    const out = await copyOfGood();
    const { vectors } = await live(out);
    await flipVectorByte(vectors);
    const pool = new SearchPool({ dir: out, settings, workers: 1 });
    try {
      await pool.start();
      await pool.loadModels();
      const error = await pool.ask('What did Saldo urge Kherson residents to do?', { k: 3 }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(VectorChecksumError);
      expect(error).toBeInstanceOf(IndexError);
      // (A worker thread names the rebuild command its own way: the message up to it is compared.)
      expect((error as Error).message).toMatch(new RegExp(`^The vector file ${vectors} is damaged: it does not match the checksum recorded when it was written \\(SHA-256 `));
    } finally {
      await pool.close();
    }
  }, 60_000);
});

describe('an update over damaged checksum metadata', () => {
  it('says the damaged metadata once, with one rebuild hint', async () => {
    const out = await copyOfGood();
    const { file } = await live(out);
    writeMeta(file, META.vectorsChecksum, { file: 42 });
    const error = await buildIndex({ corpus: [SEED_CORPUS, await extraCorpus()], out, settings }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(IndexError);
    expect((error as Error).message).toBe(`The index ${file} has damaged metadata (vectors_checksum): rebuild it with \`npm run index -- --rebuild --out ${out}\`.`);
  }, 60_000);
});
