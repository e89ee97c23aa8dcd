import hnswlib from 'hnswlib-node';

const { HierarchicalNSW } = hnswlib;
export type VectorIndex = InstanceType<typeof HierarchicalNSW>;

export interface HnswParams {
  M: number;
  efConstruction: number;
  efSearch: number;
}

/** Builds a cosine HNSW graph whose labels are chunk ids. */
export function buildVectorIndex(
  vectors: Float32Array[],
  dim: number,
  params: HnswParams,
  onProgress?: (done: number, total: number) => void,
): VectorIndex {
  const index = new HierarchicalNSW('cosine', dim);
  // A fixed seed makes builds reproducible.
  index.initIndex(Math.max(1, vectors.length), params.M, params.efConstruction, 100);
  vectors.forEach((v, label) => {
    index.addPoint(Array.from(v), label);
    if (onProgress && (label % 500 === 0 || label === vectors.length - 1)) onProgress(label + 1, vectors.length);
  });
  index.setEf(params.efSearch);
  return index;
}

export function loadVectorIndex(file: string, dim: number, efSearch: number): VectorIndex {
  const index = new HierarchicalNSW('cosine', dim);
  index.readIndexSync(file);
  index.setEf(efSearch);
  return index;
}

export interface VectorHit {
  id: number;
  /** Cosine similarity. */
  similarity: number;
}

export function searchVectors(
  index: VectorIndex,
  query: Float32Array,
  k: number,
  efSearch: number,
  filter?: (id: number) => boolean,
): VectorHit[] {
  const count = index.getCurrentCount();
  if (count === 0) return [];
  const n = Math.min(k, count);
  index.setEf(Math.max(efSearch, n));
  const { neighbors, distances } = index.searchKnn(Array.from(query), n, filter);
  return neighbors.map((id, i) => ({ id, similarity: 1 - distances[i]! }));
}
