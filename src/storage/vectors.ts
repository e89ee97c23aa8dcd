import hnswlib from 'hnswlib-node';
import type { VectorHit } from './backend.js';

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
