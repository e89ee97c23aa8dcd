/**
 * The passage preparation both indexers share (embedded and PostgreSQL): articles cut into
 * passages, ids given by the backend, and — with a model — each passage's vector, reused when the
 * backend already holds one for the same model and text, embedded in batches otherwise.
 */
import { createHash } from 'node:crypto';
import { chunkArticle, type ChunkOptions } from '../chunk.js';
import { embedByLength } from '../embed/batches.js';
import type { Embedder } from '../embed/embedder.js';
import type { Article, Chunk } from '../types.js';
import type { BuildStage } from './options.js';
import { throwIfAborted } from './cancel.js';

/** A passage of a batch, ready for a backend to write. */
export interface PreparedPassage {
  id: number;
  /** Index of its article in the batch. */
  article: number;
  position: number;
  start: number;
  end: number;
  text: string;
  /** Its article's title (indexed with every passage). */
  title: string;
  /** The re-embedding cache key, with a model. */
  embedKey: string | null;
  vector?: Float32Array;
}

export interface PrepareStep {
  chunking: ChunkOptions;
  embedder?: Embedder;
  batchSize: number;
  signal?: AbortSignal;
  /** `count` new passage ids, in order (a counter, or a database sequence). */
  ids: (count: number) => number[] | Promise<number[]>;
  /** The stored vectors of these embedding keys that can be reused (missing keys are embedded). */
  reuse: (keys: readonly string[]) => Map<string, Float32Array> | Promise<Map<string, Float32Array>>;
  counts: { embedded: number; reused: number };
  clock: { add(stage: BuildStage, since: number): void };
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** What the model sees of a chunk: the title gives a passage its topic. */
export function embeddingText(article: Pick<Article, 'title'>, chunk: Pick<Chunk, 'text'>): string {
  return article.title ? `${article.title}\n${chunk.text}` : chunk.text;
}

/** The re-embedding cache key of a text: its vector is reusable while model, prefix and text are the same. */
export function embedKey(embedder: Embedder, text: string): string {
  return sha1(`${embedder.modelId}\u0000${embedder.profile.passagePrefix}${text}`);
}

/**
 * Embeds texts in batches of `batchSize`, shortest first (embedByLength: a batch is not padded to a
 * long neighbour), and hands the vectors, in the texts' order, to `done` (stops between batches when
 * aborted; `onBatch` gets the count done).
 */
export async function embedInBatches(
  embedder: Embedder,
  texts: readonly string[],
  batchSize: number,
  signal: AbortSignal | undefined,
  done: (start: number, vectors: Float32Array[]) => void,
  onBatch?: (embedded: number) => void,
): Promise<void> {
  done(0, await embedByLength(embedder, texts, batchSize, { beforeBatch: () => throwIfAborted(signal), onBatch }));
}

/** Cuts a batch of articles into passages with ids from `step.ids`, and gives each a vector (reused or embedded). */
export async function preparePassages(
  batch: ReadonlyArray<{ article: Article }>,
  step: PrepareStep,
  /** After each embedding batch: passages of this call embedded so far, of how many. */
  onEmbedded?: (embedded: number, total: number) => void,
): Promise<PreparedPassage[]> {
  let since = performance.now();
  const out: PreparedPassage[] = [];
  batch.forEach(({ article }, index) => {
    let local = 0;
    for (const c of chunkArticle(article, () => local++, step.chunking)) {
      out.push({ id: c.id, article: index, position: c.position, start: c.start, end: c.end, text: c.text, title: article.title, embedKey: null });
    }
  });
  if (out.length) {
    const ids = await step.ids(out.length);
    out.forEach((p, i) => {
      p.id = ids[i]!;
    });
  }
  step.clock.add('chunk', since);
  const { embedder } = step;
  if (!embedder || out.length === 0) return out;
  since = performance.now();
  const texts = out.map((p) => embeddingText(p, p));
  out.forEach((p, i) => {
    p.embedKey = embedKey(embedder, texts[i]!);
  });
  const stored = await step.reuse(out.map((p) => p.embedKey!));
  const todo: number[] = [];
  out.forEach((p, i) => {
    const hit = stored.get(p.embedKey!);
    if (hit) {
      p.vector = hit;
      step.counts.reused++;
    } else todo.push(i);
  });
  await embedInBatches(embedder, todo.map((i) => texts[i]!), step.batchSize, step.signal, (start, vectors) => {
    vectors.forEach((v, j) => {
      out[todo[start + j]!]!.vector = v;
    });
    step.counts.embedded += vectors.length;
  }, (n) => onEmbedded?.(n, todo.length));
  step.clock.add('embed', since);
  return out;
}
