import type { Worker } from 'node:worker_threads';
import hnswlib from 'hnswlib-node';
import { seededRandom } from '../random.js';
import { startWorker } from '../thread.js';

/**
 * Related words learned from the indexed corpus itself (distributional similarity): two terms are
 * related when they keep the same company ("jailed" and "detained" both sit next to "journalist",
 * "charges", "police"). Counts co-occurrences in a small window over the analysed passages, weights
 * them by positive PMI, finds each term's candidate neighbours through an HNSW graph of short
 * random projections of the rows, and keeps those whose exact PPMI cosine is high enough. Bounded: a fixed vocabulary and
 * context size, whatever the corpus size. Deterministic: fixed seeds, ties broken by term.
 */

/** Index term → related index terms with their cosine similarity, most similar first. */
export type RelatedTerms = Record<string, Array<[string, number]>>;

export interface RelatedOptions {
  /** Terms that get neighbours (the most frequent ones with at least `minCount` occurrences). */
  vocabulary: number;
  /** Context terms counted (the most frequent ones). */
  contexts: number;
  /** Terms either side that count as company. */
  window: number;
  minCount: number;
  /** Dimensions of the projected vectors. */
  dim: number;
  /** Neighbours kept per term. */
  neighbours: number;
  /** Cosine below which a neighbour is dropped. */
  minSimilarity: number;
  /** The candidate graph's links per node and build-time beam (HNSW M and efConstruction). */
  graphM: number;
  graphEf: number;
}

export const DEFAULT_RELATED: RelatedOptions = {
  vocabulary: 20_000,
  contexts: 2048,
  window: 3,
  minCount: 10,
  dim: 128,
  neighbours: 5,
  minSimilarity: 0.3,
  graphM: 12,
  graphEf: 40,
};

/** Context-distribution smoothing (Levy et al. 2015): rare contexts would otherwise dominate PMI. */
const CONTEXT_ALPHA = 0.75;
const SEED = 0x5eed;
/** Nearest projected neighbours re-scored exactly per term. */
const CANDIDATES = 20;

/** FNV-1a: a stable seed per term. */
function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Collects analysed passages as term ids (compact: the strings are kept once). */
export class RelatedCollector {
  private readonly ids = new Map<string, number>();
  private warm: Worker | undefined;
  private readonly names: string[] = [];
  private readonly docs: Int32Array[] = [];

  add(terms: readonly string[]): void {
    const doc = new Int32Array(terms.length);
    terms.forEach((t, i) => {
      let id = this.ids.get(t);
      if (id === undefined) {
        id = this.names.length;
        this.ids.set(t, id);
        this.names.push(t);
      }
      doc[i] = id;
    });
    this.docs.push(doc);
  }

  get passages(): number {
    return this.docs.length;
  }

  /** The related terms of the collected passages. */
  compute(options: RelatedOptions = DEFAULT_RELATED): RelatedTerms {
    return relatedFromIds(this.names, this.docs, options);
  }

  /**
   * The same as `compute`, in a worker thread, so a build can go on with its other stages meanwhile
   * (the work is a few CPU-seconds on a 10k-article corpus). The collector is emptied. If no worker
   * can be started, it is computed here.
   */
  computeInWorker(options: RelatedOptions = DEFAULT_RELATED, signal?: AbortSignal): Promise<RelatedTerms> {
    const offsets = new Int32Array(this.docs.length + 1);
    this.docs.forEach((d, i) => {
      offsets[i + 1] = offsets[i]! + d.length;
    });
    const ids = new Int32Array(offsets[this.docs.length]!);
    this.docs.forEach((d, i) => {
      ids.set(d, offsets[i]!);
    });
    const job: RelatedJob = { names: this.names, ids, offsets, options };
    this.docs.length = 0;
    const worker = this.warm;
    this.warm = undefined;
    return runJob(job, worker, signal);
  }

  /**
   * Starts the worker now, so its start-up (loading the code) overlaps the stages before
   * `computeInWorker`; it does not keep the process alive while it waits. Undone by `dispose`.
   */
  warmUp(): void {
    if (this.warm) return;
    try {
      this.warm = newWorker();
      this.warm.unref();
      // An idle worker that fails to start is replaced by this thread's work in runJob.
      this.warm.on('error', () => undefined);
    } catch {
      this.warm = undefined;
    }
  }

  /** Stops a warmed-up worker that was not used (the build failed before it needed it). */
  dispose(): void {
    void this.warm?.terminate();
    this.warm = undefined;
  }
}

/** What a related-words worker is sent: the term names and every passage's term ids, concatenated. */
export interface RelatedJob {
  names: readonly string[];
  ids: Int32Array;
  offsets: Int32Array;
  options: RelatedOptions;
}

type RelatedReply = { ok: true; related: RelatedTerms } | { ok: false; message: string };

function newWorker(): Worker {
  return startWorker(new URL('./related-worker', import.meta.url));
}

function inThread(job: RelatedJob): RelatedTerms {
  const docs: Int32Array[] = [];
  for (let i = 0; i + 1 < job.offsets.length; i++) docs.push(job.ids.subarray(job.offsets[i]!, job.offsets[i + 1]!));
  return relatedFromIds(job.names, docs, job.options);
}

function runJob(job: RelatedJob, warm: Worker | undefined, signal?: AbortSignal): Promise<RelatedTerms> {
  let worker: Worker;
  try {
    worker = warm ?? newWorker();
  } catch {
    return Promise.resolve(inThread(job));
  }
  // Busy now: the process waits for it.
  worker.ref();
  return new Promise<RelatedTerms>((resolve, reject) => {
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      void worker.terminate();
      fn();
    };
    const abort = (): void => finish(() => reject(signal!.reason));
    signal?.addEventListener('abort', abort, { once: true });
    worker.once('message', (reply: RelatedReply) => finish(() => (reply.ok ? resolve(reply.related) : reject(new Error(`learning related words failed: ${reply.message}`)))));
    // A worker that cannot run (no tsx in a stripped install, no threads) leaves the work to this thread.
    worker.once('error', () => finish(() => resolve(inThread(job))));
    worker.once('exit', () => finish(() => resolve(inThread(job))));
    // A warmed-up worker that already died (its exit has been emitted) will not answer.
    if (worker.threadId < 0) finish(() => resolve(inThread(job)));
    else worker.postMessage(job);
  });
}

/** Related terms of a corpus given as analysed passages (see RelatedCollector for large corpora). */
export function relatedTerms(passages: Iterable<readonly string[]>, options: RelatedOptions = DEFAULT_RELATED): RelatedTerms {
  const collector = new RelatedCollector();
  for (const p of passages) collector.add(p);
  return collector.compute(options);
}

/** Related terms of passages given as ids into `names` (the work behind `RelatedCollector`). */
export function relatedFromIds(names: readonly string[], docs: readonly Int32Array[], o: RelatedOptions): RelatedTerms {
  const n = names.length;
  const freq = new Float64Array(n);
  for (const d of docs) for (let i = 0; i < d.length; i++) freq[d[i]!]!++;
  // Most frequent first; ties by term, so the vocabulary does not depend on passage order.
  const order = Array.from({ length: n }, (_, i) => i)
    .filter((i) => freq[i]! >= o.minCount)
    .sort((a, b) => freq[b]! - freq[a]! || (names[a]! < names[b]! ? -1 : 1));
  const targets = order.slice(0, o.vocabulary);
  const contexts = order.slice(0, o.contexts);
  const V = targets.length;
  const C = contexts.length;
  if (V < 2 || C === 0) return {};
  const targetOf = new Int32Array(n).fill(-1);
  targets.forEach((id, i) => {
    targetOf[id] = i;
  });
  const contextOf = new Int32Array(n).fill(-1);
  contexts.forEach((id, i) => {
    contextOf[id] = i;
  });

  // Windowed co-occurrence counts (saturating: a pair seen 65k times is as related as it gets).
  const counts = new Uint16Array(V * C);
  for (const d of docs) {
    for (let i = 0; i < d.length; i++) {
      const t = targetOf[d[i]!]!;
      if (t < 0) continue;
      const row = t * C;
      const lo = Math.max(0, i - o.window);
      const hi = Math.min(d.length - 1, i + o.window);
      for (let j = lo; j <= hi; j++) {
        if (j === i) continue;
        const c = contextOf[d[j]!]!;
        if (c >= 0 && counts[row + c]! < 65535) counts[row + c]!++;
      }
    }
  }

  const rowSum = new Float64Array(V);
  const colSum = new Float64Array(C);
  for (let t = 0; t < V; t++) {
    const row = t * C;
    for (let c = 0; c < C; c++) {
      const v = counts[row + c]!;
      rowSum[t] = rowSum[t]! + v;
      colSum[c] = colSum[c]! + v;
    }
  }
  let smoothTotal = 0;
  const smooth = new Float64Array(C);
  for (let c = 0; c < C; c++) smoothTotal += smooth[c] = colSum[c]! ** CONTEXT_ALPHA;
  // PMI = log n(t,c) + log Σ n(c)^α − log n(t) − log n(c)^α, with the logs looked up, not computed per cell.
  const logContext = new Float64Array(C);
  for (let c = 0; c < C; c++) logContext[c] = smooth[c]! > 0 ? Math.log(smooth[c]!) - Math.log(smoothTotal) : Infinity;
  const logCount = new Float64Array(65536);
  for (let v = 1; v < 65536; v++) logCount[v] = Math.log(v);

  // Each PPMI row is kept (sparse, unit length) for exact cosines, and projected to `dim` dimensions
  // by a fixed random ±1 matrix to find candidates fast. A context's projection row is seeded by the
  // context term itself, so a slightly different corpus projects the same way.
  const proj = new Float32Array(C * o.dim);
  contexts.forEach((id, c) => {
    const rand = seededRandom(hashString(names[id]!) ^ SEED);
    for (let k = 0; k < o.dim; k++) proj[c * o.dim + k] = rand() < 0.5 ? -1 : 1;
  });
  const vectors = new Float32Array(V * o.dim);
  const rowStart = new Int32Array(V + 1);
  const cols: number[] = [];
  const vals: number[] = [];
  const live: number[] = [];
  for (let t = 0; t < V; t++) {
    rowStart[t] = cols.length;
    if (rowSum[t] === 0) continue;
    const row = t * C;
    const out = t * o.dim;
    const logRow = Math.log(rowSum[t]!);
    let norm = 0;
    for (let c = 0; c < C; c++) {
      const v = counts[row + c]!;
      if (v === 0) continue;
      const pmi = logCount[v]! - logRow - logContext[c]!;
      if (pmi <= 0) continue;
      cols.push(c);
      vals.push(pmi);
      norm += pmi * pmi;
      const p = c * o.dim;
      for (let k = 0; k < o.dim; k++) vectors[out + k] = vectors[out + k]! + pmi * proj[p + k]!;
    }
    if (norm === 0) continue;
    const inv = 1 / Math.sqrt(norm);
    for (let i = rowStart[t]!; i < vals.length; i++) vals[i] = vals[i]! * inv;
    live.push(t);
  }
  rowStart[V] = cols.length;
  if (live.length < 2) return {};

  // Candidates through an HNSW graph over the projections (exact search would be quadratic in the
  // vocabulary), then ranked by the exact cosine of the PPMI rows.
  const index = new hnswlib.HierarchicalNSW('cosine', o.dim);
  index.initIndex(live.length, o.graphM, o.graphEf, SEED);
  for (const t of live) index.addPoint(Array.from(vectors.subarray(t * o.dim, (t + 1) * o.dim)), t);
  index.setEf(Math.max(o.graphEf, CANDIDATES + 1));
  const k = Math.min(CANDIDATES + 1, live.length);
  const scratch = new Float32Array(C);
  const result: RelatedTerms = {};
  for (const t of live) {
    const { neighbors } = index.searchKnn(Array.from(vectors.subarray(t * o.dim, (t + 1) * o.dim)), k);
    for (let i = rowStart[t]!; i < rowStart[t + 1]!; i++) scratch[cols[i]!] = vals[i]!;
    const list: Array<[string, number]> = [];
    for (const u of neighbors) {
      if (u === t) continue;
      let dot = 0;
      for (let i = rowStart[u]!; i < rowStart[u + 1]!; i++) dot += scratch[cols[i]!]! * vals[i]!;
      if (dot >= o.minSimilarity) list.push([names[targets[u]!]!, Math.round(dot * 1000) / 1000]);
    }
    for (let i = rowStart[t]!; i < rowStart[t + 1]!; i++) scratch[cols[i]!] = 0;
    list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (list.length) result[names[targets[t]!]!] = list.slice(0, o.neighbours);
  }
  return result;
}

/**
 * The related terms restricted to a vocabulary: an update in place keeps the last full build's
 * statistics (learning them again reads every passage) but drops terms no passage uses any more.
 */
export function pruneRelated(related: RelatedTerms, has: (term: string) => boolean): RelatedTerms {
  const out: RelatedTerms = {};
  for (const [term, list] of Object.entries(related)) {
    if (!has(term)) continue;
    const kept = list.filter(([t]) => has(t));
    if (kept.length) out[term] = kept;
  }
  return out;
}
