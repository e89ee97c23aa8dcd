import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal } from 'node:stream';
import hnswlib from 'hnswlib-node';
import { z } from 'zod';
import type { VectorHit } from './backend.js';
import { freeBytes, IndexError, rebuildHint, VectorChecksumError } from './errors.js';

const { HierarchicalNSW } = hnswlib;
export type VectorIndex = InstanceType<typeof HierarchicalNSW>;

export interface HnswParams {
  M: number;
  efConstruction: number;
  efSearch: number;
}

/** A fixed seed makes builds reproducible. */
const SEED = 100;

/** An empty cosine HNSW graph for `capacity` points; labels are passage ids. */
export function createVectorIndex(dim: number, capacity: number, params: HnswParams): VectorIndex {
  const index = new HierarchicalNSW('cosine', dim);
  index.initIndex(Math.max(1, capacity), params.M, params.efConstruction, SEED);
  index.setEf(params.efSearch);
  return index;
}

/** Reads a graph without blocking the event loop (hnswlib reads on its own thread). */
export async function readVectorIndex(file: string, dim: number, efSearch: number): Promise<VectorIndex> {
  const index = new HierarchicalNSW('cosine', dim);
  await index.readIndex(file);
  index.setEf(efSearch);
  return index;
}

/**
 * Writes a graph to `file`, flushed to disk, and checks that it was written whole: hnswlib's writer
 * ignores write errors (on a full disk it leaves a truncated file and reports nothing), and a commit
 * naming such a file would replace a good index with one no reader can open.
 */
export async function writeVectorIndex(index: VectorIndex, file: string): Promise<VectorChecksum> {
  await index.writeIndex(file);
  const handle = await open(file, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await checkVectorFile(file, index.getCurrentCount());
  // Hashed from disk, as readers will read it; the commit records it (META.vectorsChecksum).
  return { file: path.basename(file), ...(await hashFile(file)) };
}

/**
 * What the commit that named a vector file recorded about it: a byte flipped later (the disk, a bad
 * copy) passes hnswlib's own checks, which look at the layout only, so readers compare this.
 */
export const vectorChecksumSchema = z.object({ file: z.string(), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });
export type VectorChecksum = z.infer<typeof vectorChecksumSchema>;

/** 1 MiB reads: SHA-256 streamed ~1 GB/s here, against ~0.75 GB/s with the default 64 KiB. */
const HASH_READ_BYTES = 1 << 20;

/** SHA-256 and size of a file, streamed (a 600 MB file is never held in memory; the event loop keeps turning between reads). */
export async function hashFile(file: string, signal?: AbortSignal): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  const stream = createReadStream(file, { highWaterMark: HASH_READ_BYTES });
  if (signal) addAbortSignal(signal, stream);
  let bytes = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

// Defined with the other index errors (the bot's main thread revives it); re-exported for readers of vectors.
export { VectorChecksumError } from './errors.js';

/**
 * Checks a vector file against the checksum its commit recorded; no checksum (an index written
 * before they were recorded) skips the check. A mismatch is the one-line error naming the file and
 * the rebuild: a flipped byte in hnswlib's links can make a search read out of bounds, not just rank badly.
 */
export async function verifyVectorFile(file: string, expected: VectorChecksum | undefined, signal?: AbortSignal): Promise<void> {
  if (!expected) return;
  const got = await hashFile(file, signal);
  if (got.bytes === expected.bytes && got.sha256 === expected.sha256) return;
  const detail =
    got.bytes === expected.bytes
      ? `SHA-256 ${got.sha256.slice(0, 12)}…, recorded ${expected.sha256.slice(0, 12)}…`
      : `${got.bytes} bytes, recorded ${expected.bytes}`;
  throw new VectorChecksumError(
    `The vector file ${file} is damaged: it does not match the checksum recorded when it was written (${detail}). The index cannot be searched or updated safely: ${rebuildHint(path.dirname(file))}.`,
  );
}

/** hnswlib's file header: six size_t, two 32-bit ints, four size_t and a double (hnswalg.h, saveIndex). */
const HEADER_BYTES = 96;

/**
 * Walks the layout hnswlib's saveIndex writes (header, the level-0 block of `elements` records, then
 * per element a 32-bit length and that many bytes of upper-level links) and checks it ends exactly
 * where the file ends, as hnswlib's own loader does, without reading the vectors themselves.
 */
export async function checkVectorFile(file: string, elements: number): Promise<void> {
  const handle = await open(file, 'r');
  let size = 0;
  let whole = false;
  try {
    size = (await handle.stat()).size;
    const head = Buffer.alloc(HEADER_BYTES);
    if ((await handle.read(head, 0, HEADER_BYTES, 0)).bytesRead === HEADER_BYTES && Number(head.readBigUInt64LE(16)) === elements) {
      const linksAt = HEADER_BYTES + elements * Number(head.readBigUInt64LE(24));
      if (linksAt <= size) {
        const links = Buffer.alloc(size - linksAt);
        await handle.read(links, 0, links.length, linksAt);
        let at = 0;
        let read = 0;
        for (; read < elements && at + 4 <= links.length; read++) at += 4 + links.readUInt32LE(at);
        // Cut exactly between two records, the walk ends at the file's end before the last element.
        whole = read === elements && at === links.length;
      }
    }
  } finally {
    await handle.close();
  }
  if (whole) return;
  const message = `The vector file ${file} was not written whole (${size} bytes for ${elements} vectors)`;
  // Almost always a full disk: said as such (code ENOSPC), one line, by accessProblem().
  const free = freeBytes(path.dirname(file));
  if (free !== undefined && free < 1 << 20) throw Object.assign(new Error(message), { code: 'ENOSPC' });
  throw new IndexError(`${message}: the previous index is unchanged; run the command again.`);
}

/** Adds points, growing the graph's capacity as needed. */
export function addVectors(index: VectorIndex, points: Iterable<{ id: number; vector: Float32Array }>, onAdded?: () => void): void {
  for (const { id, vector } of points) {
    if (index.getCurrentCount() >= index.getMaxElements()) index.resizeIndex(Math.max(16, Math.ceil(index.getMaxElements() * 1.5)));
    index.addPoint(Array.from(vector), id);
    onAdded?.();
  }
}

/** Marks points deleted: searches skip them; the graph keeps them until a rebuild. */
export function deleteVectors(index: VectorIndex, ids: Iterable<number>): void {
  const present = new Set(index.getIdsList());
  for (const id of ids) {
    if (!present.has(id)) continue;
    try {
      index.markDelete(id);
    } catch {
      /* already deleted */
    }
  }
}

export function searchVectors(index: VectorIndex, query: Float32Array, k: number, efSearch: number, filter?: (id: number) => boolean): VectorHit[] {
  const count = index.getCurrentCount();
  if (count === 0) return [];
  const n = Math.min(k, count);
  index.setEf(Math.max(efSearch, n));
  // hnswlib returns fewer than n when fewer live points pass the filter.
  const { neighbors, distances } = index.searchKnn(Array.from(query), n, filter);
  return neighbors.map((id, i) => ({ id, similarity: 1 - distances[i]! }));
}

/** The stored (normalized) vector of a point, or undefined when it is not in the graph. */
export function vectorOf(index: VectorIndex, id: number): Float32Array | undefined {
  try {
    return Float32Array.from(index.getPoint(id));
  } catch {
    return undefined;
  }
}
