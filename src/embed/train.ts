/**
 * Trains a small static embedding model on the corpus itself, for installs where no pretrained model can
 * be loaded (air-gapped). Each vocabulary word gets one vector; a text's embedding is the normalized
 * mean of its words' vectors, exactly what the embedder computes when the model is saved as a
 * Transformers.js static model (src/embed/static-model.ts) and mean-pooled.
 *
 * Two steps. (1) Random indexing (Kanerva; Sahlgren 2005), i.e. a random projection of the word ×
 * passage matrix: words that occur in the same passages get similar vectors, so a question and a
 * passage that share no word but share topic words are near. One pass, about a second on news-2022.
 * (2) Optionally (`epochs` > 0), contrastive training on pairs the corpus provides (a title ↔ its
 * passage; one sentence ↔ the title and the rest of the passage), the other pairs of a batch as
 * negatives (InfoNCE both ways), Adagrad on the rows a batch touches. It costs ~35 CPU-s per epoch on
 * news-2022 at 64 dimensions, above the lexical build's time, so it is off by default.
 * Written here rather than with a tensor library: the math is a few loops over sparse rows, and the
 * Node tensor libraries need a native download (tfjs-node) or update the whole table densely on every
 * step (tfjs CPU), far slower for this sparse model.
 *
 * Deterministic: the same passages, options and seed give the same bytes (one thread, fixed order).
 */
import { seededRandom } from '../random.js';
import { CLS_ID, SEP_ID, SPECIAL_TOKENS } from './static-model.js';

export interface TrainOptions {
  /** Vector width. */
  dim: number;
  seed: number;
  /** Contrastive passes over the pairs after the random-indexing start (0: random indexing alone). */
  epochs: number;
  /** Pairs per batch (the in-batch negatives). */
  batch: number;
  /** A word must occur in this many passages to get a vector (others are [UNK], which has none). */
  minCount: number;
  /** At most this many words (the most frequent by passage count). */
  maxVocab: number;
  /** Adagrad learning rate. */
  learningRate: number;
  /** Cosine similarities are multiplied by this before the softmax (1 / temperature). */
  scale: number;
  /** Fewer passages than this are too little to learn from (an error). */
  minPassages: number;
}

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  dim: 128,
  seed: 1,
  epochs: 0,
  batch: 128,
  minCount: 3,
  maxVocab: 60_000,
  learningRate: 0.05,
  scale: 20,
  minPassages: 500,
};

/** One passage as training material: its article's title and its text split into sentences. */
export interface TrainPassage {
  title: string;
  sentences: string[];
}

export interface TrainedModel {
  /** SPECIAL_TOKENS then the words, most frequent first. */
  tokens: string[];
  /** tokens.length × dim. */
  table: Float32Array;
  dim: number;
  /** Pairs trained on per epoch, and the mean loss of the last epoch (for the build log). */
  pairs: number;
  loss: number;
}

// The BERT tokenizer's view of text (Transformers.js BertNormalizer + BertPreTokenizer), so the words
// trained on are the tokens the saved tokenizer produces. Whole words only: a word outside the
// vocabulary is [UNK], whose vector is zero.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the normalizer drops control characters
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/g;
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const WORD = new RegExp(`[^\\s${PUNCT}]+`, 'gu');
const CJK = /([\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff])/gu;
/** WordPiece's max_input_chars_per_word: longer words are [UNK]. */
export const MAX_WORD_CHARS = 100;

/** The words the saved tokenizer would look up, in order (punctuation dropped: it is never in the vocabulary). */
export function tokenWords(text: string): string[] {
  const normalized = text.replace(CONTROL, '').replace(CJK, ' $1 ').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '');
  return (normalized.match(WORD) ?? []).filter((w) => w.length <= MAX_WORD_CHARS);
}

/** A bag of token ids with counts. */
interface Bag {
  ids: Int32Array;
  counts: Float32Array;
}

function bagOf(ids: ArrayLike<number>): Bag {
  const m = new Map<number, number>();
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id >= 0) m.set(id, (m.get(id) ?? 0) + 1);
  }
  const keys = [...m.keys()].sort((a, b) => a - b);
  return { ids: Int32Array.from(keys), counts: Float32Array.from(keys, (k) => m.get(k)!) };
}

/** Passages as word ids (interned while reading), with passage frequencies. */
class Interned {
  readonly ids = new Map<string, number>();
  readonly words: string[] = [];
  readonly df: number[] = [];
  readonly titles: Int32Array[] = [];
  /** Per passage: its title's index, and its sentences as word-id arrays. */
  readonly passages: Array<{ title: number; sentences: Int32Array[] }> = [];
  private lastTitle: string | undefined;

  add(p: TrainPassage): void {
    if (p.title !== this.lastTitle) {
      this.lastTitle = p.title;
      this.titles.push(Int32Array.from(tokenWords(p.title), (w) => this.intern(w)));
    }
    const sentences = p.sentences.map((s) => Int32Array.from(tokenWords(s), (w) => this.intern(w))).filter((s) => s.length > 0);
    if (sentences.length === 0) return;
    const seen = new Set<number>();
    for (const s of sentences) for (const id of s) seen.add(id);
    for (const id of this.titles.at(-1)!) seen.add(id);
    for (const id of seen) this.df[id]!++;
    this.passages.push({ title: this.titles.length - 1, sentences });
  }

  private intern(w: string): number {
    let id = this.ids.get(w);
    if (id === undefined) {
      id = this.words.length;
      this.ids.set(w, id);
      this.words.push(w);
      this.df.push(0);
    }
    return id;
  }
}

/** Training pairs: query bag and key bag. */
interface Pair {
  q: Bag;
  k: Bag;
}

/**
 * Trains on the passages (in the order given; articles' passages consecutive). Throws when there is
 * too little text to learn from.
 */
export async function trainStaticEmbedding(
  passages: Iterable<TrainPassage> | AsyncIterable<TrainPassage>,
  options: Partial<TrainOptions> = {},
  onProgress?: (done: number, total: number) => void,
): Promise<TrainedModel> {
  const o = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const corpus = new Interned();
  for await (const p of passages) corpus.add(p);
  const n = corpus.passages.length;

  // Vocabulary: words in at least minCount passages, most frequent first (ties by word, for determinism).
  const order = corpus.words
    .map((_, i) => i)
    .filter((i) => corpus.df[i]! >= o.minCount)
    .sort((a, b) => corpus.df[b]! - corpus.df[a]! || (corpus.words[a]! < corpus.words[b]! ? -1 : 1))
    .slice(0, o.maxVocab);
  if (n < Math.max(4, o.minPassages) || order.length < 2) {
    throw new Error(`too little text to learn from: ${n} passages (at least ${Math.max(4, o.minPassages)} needed), ${order.length} words in ${o.minCount}+ of them`);
  }
  const specials = SPECIAL_TOKENS.length;
  const remap = new Int32Array(corpus.words.length).fill(-1);
  order.forEach((old, i) => {
    remap[old] = specials + i;
  });
  const tokens = [...SPECIAL_TOKENS, ...order.map((i) => corpus.words[i]!)];
  const V = tokens.length;
  const d = o.dim;
  const map = (a: Int32Array): Int32Array => a.map((id) => remap[id]!); // -1: not in the vocabulary
  const titles = corpus.titles.map(map);
  const docs = corpus.passages.map((p) => ({ title: p.title, sentences: p.sentences.map(map) }));

  // Initial table by random indexing (a random projection of the word × passage matrix): each passage
  // gets a random direction, a word the sum of the directions of the passages it occurs in. Words that
  // share passages point the same way. Each word's vector is then scaled to its IDF, its weight in the
  // pooled mean, so rare words count more than common ones.
  const random = seededRandom(o.seed);
  const gaussian = (): number => {
    const u = Math.max(random(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const E = new Float32Array(V * d);
  const direction = new Float64Array(d);
  const seen = new Int32Array(V).fill(-1);
  docs.forEach((doc, p) => {
    for (let k = 0; k < d; k++) direction[k] = gaussian();
    const add = (ids: Int32Array): void => {
      for (const t of ids) {
        if (t < 0 || seen[t] === p) continue;
        seen[t] = p;
        for (let k = 0; k < d; k++) E[t * d + k]! += direction[k]!;
      }
    };
    add(titles[doc.title]!);
    for (const s of doc.sentences) add(s);
  });
  for (let t = 0; t < V; t++) {
    let norm = 0;
    for (let k = 0; k < d; k++) norm += E[t * d + k]! * E[t * d + k]!;
    const old = t >= specials ? order[t - specials]! : -1;
    // [CLS] and [SEP] are in every text: a tiny constant so an all-[UNK] text still has a direction.
    if (t === CLS_ID || t === SEP_ID) {
      for (let k = 0; k < d; k++) E[t * d + k] = 1e-3 / Math.sqrt(d);
      continue;
    }
    const length = old >= 0 ? Math.log((n + 1) / (corpus.df[old]! + 1)) : 0;
    const s = norm > 0 ? length / Math.sqrt(norm) : 0;
    for (let k = 0; k < d; k++) E[t * d + k]! *= s;
  }

  const G = new Float32Array(V * d); // Adagrad accumulators
  const grad = new Float32Array(V * d);
  const touched = new Uint8Array(V);
  let pairs: Pair[] = [];
  let lastLoss = 0;
  const B = o.batch;
  const U = new Float64Array(B * d);
  const K = new Float64Array(B * d);
  const normU = new Float64Array(B);
  const normK = new Float64Array(B);
  const S = new Float64Array(B * B);
  const gU = new Float64Array(B * d);
  const gK = new Float64Array(B * d);
  let totalBatches = 0;

  for (let epoch = 0; epoch < o.epochs; epoch++) {
    pairs = makePairs(docs, titles, random);
    shuffle(pairs, random);
    const batches = Math.floor(pairs.length / B) || 1;
    if (epoch === 0) totalBatches = batches * o.epochs;
    let lossSum = 0;
    let lossCount = 0;
    for (let b = 0; b < batches; b++) {
      const batch = pairs.slice(b * B, (b + 1) * B);
      const m = batch.length;
      if (m < 2) break;
      // Forward: unnormalized sums, then unit vectors.
      for (let i = 0; i < m; i++) {
        normU[i] = embedInto(E, d, batch[i]!.q, U, i);
        normK[i] = embedInto(E, d, batch[i]!.k, K, i);
      }
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          let dot = 0;
          for (let k = 0; k < d; k++) dot += U[i * d + k]! * K[j * d + k]!;
          S[i * m + j] = o.scale * dot;
        }
      }
      // dLoss/dS for the row (query → keys) and column (key → queries) softmaxes, averaged over the batch.
      const dS = new Float64Array(m * m);
      for (let i = 0; i < m; i++) {
        let max = -Infinity;
        for (let j = 0; j < m; j++) max = Math.max(max, S[i * m + j]!);
        let sum = 0;
        for (let j = 0; j < m; j++) sum += Math.exp(S[i * m + j]! - max);
        lossSum += Math.log(sum) + max - S[i * m + i]!;
        for (let j = 0; j < m; j++) dS[i * m + j]! += (Math.exp(S[i * m + j]! - max) / sum - (i === j ? 1 : 0)) / (2 * m);
      }
      for (let j = 0; j < m; j++) {
        let max = -Infinity;
        for (let i = 0; i < m; i++) max = Math.max(max, S[i * m + j]!);
        let sum = 0;
        for (let i = 0; i < m; i++) sum += Math.exp(S[i * m + j]! - max);
        lossSum += Math.log(sum) + max - S[j * m + j]!;
        for (let i = 0; i < m; i++) dS[i * m + j]! += (Math.exp(S[i * m + j]! - max) / sum - (i === j ? 1 : 0)) / (2 * m);
      }
      lossCount += 2 * m;
      // Gradients on the unit vectors.
      gU.fill(0, 0, m * d);
      gK.fill(0, 0, m * d);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) {
          const g = o.scale * dS[i * m + j]!;
          if (g === 0) continue;
          for (let k = 0; k < d; k++) {
            gU[i * d + k]! += g * K[j * d + k]!;
            gK[j * d + k]! += g * U[i * d + k]!;
          }
        }
      }
      // Back through the normalization and the sum, into the rows of the table.
      const rows: number[] = [];
      for (let i = 0; i < m; i++) {
        backInto(grad, touched, rows, d, batch[i]!.q, U, gU, i, normU[i]!);
        backInto(grad, touched, rows, d, batch[i]!.k, K, gK, i, normK[i]!);
      }
      for (const t of rows) {
        touched[t] = 0;
        const base = t * d;
        for (let k = 0; k < d; k++) {
          const g = grad[base + k]!;
          grad[base + k] = 0;
          G[base + k]! += g * g;
          E[base + k]! -= (o.learningRate * g) / Math.sqrt(G[base + k]! + 1e-8);
        }
      }
      if (b % 50 === 49) {
        onProgress?.(epoch * batches + b + 1, totalBatches);
        // Let the event loop breathe (progress output, cancellation) during a long training.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    lastLoss = lossCount ? lossSum / lossCount : 0;
  }
  // [PAD] and [UNK] carry nothing.
  E.fill(0, 0, d);
  E.fill(0, d, 2 * d);
  onProgress?.(totalBatches, totalBatches);
  return { tokens, table: E, dim: d, pairs: pairs.length, loss: lastLoss };
}

/** Writes the unit embedding of `bag` into row `i` of `out`; returns the length before normalizing. */
function embedInto(E: Float32Array, d: number, bag: Bag, out: Float64Array, i: number): number {
  const base = i * d;
  out.fill(0, base, base + d);
  for (let x = 0; x < bag.ids.length; x++) {
    const r = bag.ids[x]! * d;
    const c = bag.counts[x]!;
    for (let k = 0; k < d; k++) out[base + k]! += c * E[r + k]!;
  }
  let norm = 0;
  for (let k = 0; k < d; k++) norm += out[base + k]! * out[base + k]!;
  norm = Math.sqrt(norm);
  const inv = norm > 0 ? 1 / norm : 0;
  for (let k = 0; k < d; k++) out[base + k]! *= inv;
  return norm;
}

/** Adds the table-row gradients of one text: d(unit)/d(sum) = (g − (g·u)u) / |sum|, times each word's count. */
function backInto(grad: Float32Array, touched: Uint8Array, rows: number[], d: number, bag: Bag, unit: Float64Array, g: Float64Array, i: number, norm: number): void {
  if (norm === 0) return;
  const base = i * d;
  let gu = 0;
  for (let k = 0; k < d; k++) gu += g[base + k]! * unit[base + k]!;
  const gm = new Float64Array(d);
  for (let k = 0; k < d; k++) gm[k] = (g[base + k]! - gu * unit[base + k]!) / norm;
  for (let x = 0; x < bag.ids.length; x++) {
    const t = bag.ids[x]!;
    if (!touched[t]) {
      touched[t] = 1;
      rows.push(t);
    }
    const c = bag.counts[x]!;
    const r = t * d;
    for (let k = 0; k < d; k++) grad[r + k]! += c * gm[k]!;
  }
}

/** For each passage: title ↔ its text, and (with 2+ sentences) a random sentence ↔ title + the rest. */
function makePairs(docs: Array<{ title: number; sentences: Int32Array[] }>, titles: Int32Array[], random: () => number): Pair[] {
  const out: Pair[] = [];
  const concat = (parts: Int32Array[]): Int32Array => {
    const all = new Int32Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return all;
  };
  for (const doc of docs) {
    const title = titles[doc.title]!;
    const body = bagOf(concat(doc.sentences));
    const t = bagOf(title);
    if (t.ids.length > 0 && body.ids.length > 0) out.push({ q: t, k: body });
    if (doc.sentences.length >= 2) {
      const pick = Math.floor(random() * doc.sentences.length);
      const q = bagOf(doc.sentences[pick]!);
      const k = bagOf(concat([title, ...doc.sentences.filter((_, i) => i !== pick)]));
      if (q.ids.length > 0 && k.ids.length > 0) out.push({ q, k });
    }
  }
  return out;
}

function shuffle<T>(a: T[], random: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

/** The embedding of a text under a trained table, as the saved model computes it (mean pooling, normalized). For tests and checks. */
export function embedWithTable(model: Pick<TrainedModel, 'tokens' | 'table' | 'dim'>, text: string): Float32Array {
  const index = new Map(model.tokens.map((t, i) => [t, i]));
  const ids = [CLS_ID, ...tokenWords(text).map((w) => index.get(w) ?? 1), SEP_ID];
  const v = new Float64Array(model.dim);
  for (const id of ids) for (let k = 0; k < model.dim; k++) v[k]! += model.table[id * model.dim + k]!;
  let norm = 0;
  for (let k = 0; k < model.dim; k++) norm += v[k]! * v[k]!;
  norm = Math.sqrt(norm) || 1;
  return Float32Array.from(v, (x) => x / norm);
}
