import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Article } from '../types.js';

/**
 * On-disk layout of an index folder (e.g. `embeddings/`):
 *
 *   current              name of the live build folder (replaced atomically by rename)
 *   build-<id>/          one complete build: manifest.json, store.json, lexical.json, terms.json,
 *                        and when a model was available vectors.f32 and vectors.hnsw
 *
 * A build is written into `.tmp-<id>/`, renamed into place, and only then does `current` move,
 * so readers always see a complete build and a failed build leaves the previous one live.
 */
export const FORMAT_VERSION = 1;

export interface DenseInfo {
  status: 'ok';
  model: string;
  dim: number;
  pooling: 'mean' | 'cls';
  queryPrefix: string;
  passagePrefix: string;
  space: 'cosine';
  M: number;
  efConstruction: number;
  efSearch: number;
}

export interface NoDenseInfo {
  status: 'unavailable';
  model: string;
  reason: string;
}

export interface Manifest {
  format: number;
  createdAt: string;
  buildMs: number;
  corpus: {
    paths: string[];
    files: number;
    articles: number;
    chunks: number;
    duplicates: number;
    problems: number;
    /** Hash of every article's id and text: equal fingerprints mean the same corpus. */
    fingerprint: string;
  };
  chunking: { targetWords: number; maxWords: number; overlapWords: number };
  dense: DenseInfo | NoDenseInfo;
  /** Byte size of every file in the build, checked on load to catch truncated copies. */
  files: Record<string, number>;
}

/** Chunks are stored as offsets into their article's text: [articleIndex, position, start, end]. */
export type StoredChunk = [number, number, number, number];

export interface StoreFile {
  articles: Article[];
  chunks: StoredChunk[];
  /** Per chunk, the hash of (model, embedded text) its vector was made from: the re-embedding cache key. */
  embedKeys?: string[];
}

export const FILES = {
  manifest: 'manifest.json',
  store: 'store.json',
  lexical: 'lexical.json',
  terms: 'terms.json',
  expansions: 'expansions.json',
  vectors: 'vectors.f32',
  hnsw: 'vectors.hnsw',
} as const;

export class IndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexError';
  }
}

/** There is no index at all yet (as opposed to a damaged one). */
export class MissingIndexError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'MissingIndexError';
  }
}

const REBUILD = 'rebuild it with `npm run index`';

/** Resolves the folder holding the live build: via `current`, or `dir` itself if it is a build folder. */
export async function resolveBuildDir(dir: string): Promise<string> {
  let name: string | undefined;
  try {
    name = (await readFile(path.join(dir, 'current'), 'utf8')).trim();
  } catch {
    /* no pointer: maybe dir is itself a build folder */
  }
  if (name) {
    if (name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new IndexError(`${dir}/current is corrupt: ${REBUILD}.`);
    return path.join(dir, name);
  }
  try {
    await stat(path.join(dir, FILES.manifest));
    return dir;
  } catch {
    throw new MissingIndexError(`No index found in ${dir}: build one with \`npm run index\`.`);
  }
}

export async function readManifest(buildDir: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(buildDir, FILES.manifest), 'utf8')) as Manifest;
  } catch (err) {
    throw new IndexError(`The index manifest in ${buildDir} is missing or corrupt (${(err as Error).message}): ${REBUILD}.`);
  }
  if (manifest.format !== FORMAT_VERSION) {
    throw new IndexError(`The index in ${buildDir} has format ${manifest.format}, this version reads ${FORMAT_VERSION}: ${REBUILD}.`);
  }
  return manifest;
}

/** Checks that every file the manifest lists is there with its recorded size. */
export async function verifyFiles(buildDir: string, manifest: Manifest): Promise<void> {
  for (const [name, bytes] of Object.entries(manifest.files)) {
    let actual: number;
    try {
      actual = (await stat(path.join(buildDir, name))).size;
    } catch {
      throw new IndexError(`The index in ${buildDir} is missing ${name}: ${REBUILD}.`);
    }
    if (actual !== bytes) {
      throw new IndexError(`The index file ${path.join(buildDir, name)} is damaged (${actual} bytes, expected ${bytes}): ${REBUILD}.`);
    }
  }
}

export async function readJsonFile<T>(buildDir: string, name: string): Promise<T> {
  try {
    return JSON.parse(await readFile(path.join(buildDir, name), 'utf8')) as T;
  } catch (err) {
    throw new IndexError(`The index file ${path.join(buildDir, name)} is corrupt (${(err as Error).message}): ${REBUILD}.`);
  }
}

/** Reads a vectors.f32 file into one vector per chunk. */
export async function readVectors(buildDir: string, dim: number): Promise<Float32Array[]> {
  const buf = await readFile(path.join(buildDir, FILES.vectors));
  const all = new Float32Array(buf.buffer, buf.byteOffset, Math.floor(buf.byteLength / 4));
  const n = Math.floor(all.length / dim);
  return Array.from({ length: n }, (_, i) => all.subarray(i * dim, (i + 1) * dim));
}

export function vectorsToBuffer(vectors: Float32Array[], dim: number): Buffer {
  const all = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => all.set(v, i * dim));
  return Buffer.from(all.buffer);
}

/** A folder to build into, inside the index folder so the final rename stays on one filesystem. */
export async function createStaging(dir: string): Promise<{ staging: string; id: string }> {
  await mkdir(dir, { recursive: true });
  const id = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
  const staging = path.join(dir, `.tmp-${id}`);
  await mkdir(staging);
  return { staging, id };
}

/** Writes a file and flushes it to disk, so a crash after the swap cannot leave it half-written. */
export async function writeDurable(file: string, data: string | Buffer): Promise<number> {
  const handle = await open(file, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
}

/**
 * Makes a finished staging folder the live build: rename it into place, then atomically replace
 * `current`. Older builds are removed except the one just replaced (a reader may still be opening it).
 */
export async function publishBuild(dir: string, staging: string, id: string): Promise<string> {
  const name = `build-${id}`;
  const buildDir = path.join(dir, name);
  await rename(staging, buildDir);
  let previous: string | undefined;
  try {
    previous = (await readFile(path.join(dir, 'current'), 'utf8')).trim();
  } catch {
    /* first build */
  }
  const pointerTmp = path.join(dir, `.current-${id}`);
  await writeDurable(pointerTmp, `${name}\n`);
  await rename(pointerTmp, path.join(dir, 'current'));
  for (const entry of await readdir(dir)) {
    if (entry.startsWith('build-') && entry !== name && entry !== previous) {
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
  return buildDir;
}

/** Removes staging folders left by builds that were interrupted (their process is gone). */
export async function removeStaleStaging(dir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.startsWith('.tmp-') || entry.startsWith('.current-')) {
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
  }
}

/**
 * A lock so two builds never write the same index folder at once. Returns a release function, or
 * throws when another live process holds it.
 */
const heldLocks = new Set<string>();

export async function acquireBuildLock(dir: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, '.build.lock');
  const key = path.resolve(lock);
  // The pid in the lock file cannot tell two builds of this same process apart; claim it here first.
  if (heldLocks.has(key)) throw new IndexError(`Another index build (this process) is writing ${dir}; wait for it to finish.`);
  heldLocks.add(key);
  const release = async (): Promise<void> => {
    heldLocks.delete(key);
    await rm(lock, { force: true });
  };
  try {
    await mkdir(dir, { recursive: true });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(String(process.pid));
        await handle.close();
        return release;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
        if (pid && pid !== process.pid && isAlive(pid)) {
          throw new IndexError(`Another index build (process ${pid}) is writing ${dir}; wait for it to finish.`);
        }
        // The holder died: the lock is stale.
        await rm(lock, { force: true });
      }
    }
    throw new IndexError(`Could not lock ${dir} for building.`);
  } catch (err) {
    heldLocks.delete(key);
    throw err;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
