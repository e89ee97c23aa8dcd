import { KeywordIndexError } from './errors.js';
import type { TermPostings } from './posting-cache.js';
import type { Segment } from './segment.js';

/** A query term, already analysed, with its weight (≥ 0). */
export interface KeywordQueryTerm {
  term: string;
  boost: number;
}

/** A passage found, with the indexes (ascending) into the query of the terms it contains. */
export interface KeywordHit {
  id: number;
  score: number;
  matched: number[];
}

/** BM25F parameters; the defaults are the usual ones, fields weighted alike (as the MiniSearch index was). */
export interface KeywordIndexOptions {
  k1?: number;
  b?: number;
  fieldWeights?: { title: number; text: number };
}

/** Work counters a search adds to when given one (for tests and benchmarks, not timing). */
export interface KeywordSearchStats {
  /** Docs for which at least one term was scored. */
  docsEvaluated: number;
  /** Postings whose score was computed. */
  postingsScored: number;
  /** Postings read to compute term statistics and score bounds (once per term and segment, then cached). */
  postingsScannedForBounds: number;
}

/** For the merge policy (see `shouldMerge`). */
export interface KeywordIndexMergeStats {
  segments: number;
  /** Docs held, deleted or not. */
  docs: number;
  deleted: number;
}

interface TermState {
  ordinal: number;
  liveDf: number;
  /** Largest normalised term frequency of the term in this segment under the current statistics. */
  maxTfn: number;
  /**
   * The same per window of WINDOW docs (rounded up, so never below a real tfn), for terms common
   * enough to have about WINDOW_MIN_POSTINGS postings per window; null for rarer terms.
   */
  windowMaxTfn: Float32Array | null;
}

/** What the index keeps per segment: deletion marks and caches valid for one `epoch` of the global statistics. */
interface SegmentState {
  seg: Segment;
  deleted: Uint8Array | null;
  deletedCount: number;
  deletedTitleLength: number;
  deletedTextLength: number;
  epoch: number;
  /** fieldWeight / (1 − b + b·len/avgLen), per local doc. */
  normTitle: Float64Array;
  normText: Float64Array;
  terms: Map<string, TermState>;
}

const ABSENT: TermState = { ordinal: -1, liveDf: 0, maxTfn: 0, windowMaxTfn: null };
/**
 * Block-max pruning works on windows of 2^WINDOW_SHIFT local doc numbers: each common term keeps
 * its largest tfn per window, so a window whose terms' bounds together cannot reach the k-th score
 * is skipped, and within a window the terms are split into essential and not by their window bounds.
 */
const WINDOW_SHIFT = 12;
const WINDOW = 1 << WINDOW_SHIFT;
/** The first window's size (a power of two below WINDOW): small, so theta rises before the essential terms are fixed for a whole window. */
const FIRST_WINDOW = 64;
/** A term gets per-window bounds from this many postings per window on average (so they cost ≤ 4 % of its postings' bytes). */
const WINDOW_MIN_POSTINGS = 16;
/** Widening before rounding a window's tfn to float32, so the stored bound is never below the real one (float32 keeps 24 bits). */
const WINDOW_ROUND_UP = 1 + 1e-6;
/** Per-segment term cache entries kept before the cache is started afresh (bounds memory under varied queries). */
const TERM_CACHE_LIMIT = 200_000;
/** Score bounds are widened by this factor so float rounding never makes a bound fall below a real score. */
const BOUND_SLACK = 1 + 1e-9;

/** A bounded min-heap of the best k (score desc, id asc); the root is the worst kept. */
class TopK<P> {
  readonly scores: number[] = [];
  readonly ids: number[] = [];
  readonly payloads: P[] = [];
  constructor(readonly k: number) {}

  get full(): boolean {
    return this.ids.length >= this.k;
  }

  /** Scores strictly below this cannot enter (equal ones can, if their id is lower). */
  get threshold(): number {
    return this.full ? this.scores[0]! : -Infinity;
  }

  accepts(score: number, id: number): boolean {
    if (!this.full) return true;
    const s = this.scores[0]!;
    return score > s || (score === s && id < this.ids[0]!);
  }

  private worse(i: number, j: number): boolean {
    const a = this.scores[i]!;
    const b = this.scores[j]!;
    return a < b || (a === b && this.ids[i]! > this.ids[j]!);
  }

  private swap(i: number, j: number): void {
    const { scores, ids, payloads } = this;
    [scores[i], scores[j]] = [scores[j]!, scores[i]!];
    [ids[i], ids[j]] = [ids[j]!, ids[i]!];
    [payloads[i], payloads[j]] = [payloads[j]!, payloads[i]!];
  }

  /** Call only when `accepts`. */
  push(score: number, id: number, payload: P): void {
    if (!this.full) {
      this.scores.push(score);
      this.ids.push(id);
      this.payloads.push(payload);
      for (let i = this.ids.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!this.worse(i, parent)) break;
        this.swap(i, parent);
        i = parent;
      }
      return;
    }
    this.scores[0] = score;
    this.ids[0] = id;
    this.payloads[0] = payload;
    const n = this.ids.length;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.worse(l, m)) m = l;
      if (r < n && this.worse(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }

  /** Best first. */
  sorted(): Array<{ score: number; id: number; payload: P }> {
    return this.ids
      .map((id, i) => ({ score: this.scores[i]!, id, payload: this.payloads[i]! }))
      .sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

/** First position in docs[from, end) holding a value ≥ target (galloping, then binary search). */
function seek(docs: Uint32Array, from: number, end: number, target: number): number {
  let step = 1;
  let lo = from;
  let hi = from;
  while (hi < end && docs[hi]! < target) {
    lo = hi + 1;
    hi += step;
    step *= 2;
  }
  if (hi > end) hi = end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (docs[mid]! < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * BM25F keyword search over immutable segments plus deletion marks.
 *
 * Score of a doc = Σ over query terms t it contains of boost_t · idf_t · (k1+1)·tfn / (k1 + tfn),
 * tfn = Σ over fields f of weight_f · tf_f / (1 − b + b · len_f / avgLen_f) (tf saturates once, over both fields),
 * idf_t = ln(1 + (N − df_t + 0.5) / (df_t + 0.5)).
 *
 * A segment's postings come from `Segment.postings` (in memory, or read from stored pages and
 * cached), one term at a time; positions below are within that term's postings.
 *
 * Statistics are exact for the live docs: N, df and the average lengths leave deleted docs out
 * (unlike Lucene, whose df counts deleted docs until a merge), so merging away deleted docs never
 * changes a score. The price: a term's df in a segment with deletions is counted by reading its
 * postings once, then cached until the next `delete`/`addSegment`.
 *
 * `search` uses block-max MaxScore over windows of local docs: in each window, terms are ordered by
 * their score upper bound there; a window whose bounds together cannot reach the current k-th score
 * is skipped; the terms whose bounds together cannot lift a doc above it ("non-essential") only score
 * docs that the others (summed term at a time over the window) bring up, and a doc is dropped as soon
 * as its score plus the bounds still to add falls below that k-th score. Results equal
 * `searchExhaustive` (ties: lower id first).
 */
export class KeywordIndex {
  private readonly states: SegmentState[] = [];
  private readonly deletedIds = new Set<number>();
  private readonly k1: number;
  private readonly b: number;
  private readonly titleWeight: number;
  private readonly textWeight: number;
  private epoch = 0;

  constructor(segments: Segment[], options: KeywordIndexOptions = {}) {
    this.k1 = options.k1 ?? 1.2;
    this.b = options.b ?? 0.75;
    this.titleWeight = options.fieldWeights?.title ?? 1;
    this.textWeight = options.fieldWeights?.text ?? 1;
    if (!(Number.isFinite(this.k1) && this.k1 > 0)) throw new KeywordIndexError(`k1 must be a positive number, got ${this.k1}.`);
    if (!(this.b >= 0 && this.b <= 1)) throw new KeywordIndexError(`b must be between 0 and 1, got ${this.b}.`);
    for (const w of [this.titleWeight, this.textWeight]) {
      if (!(Number.isFinite(w) && w >= 0)) throw new KeywordIndexError(`Field weights must be finite and ≥ 0, got ${w}.`);
    }
    for (const seg of segments) this.addSegment(seg);
  }

  get segments(): readonly Segment[] {
    return this.states.map((s) => s.seg);
  }

  /** Adds a segment; its ids must not be held by any segment already in the index (give a replaced passage a new id). */
  addSegment(seg: Segment): void {
    for (const other of this.states) {
      const { ids } = seg;
      for (let i = 0; i < ids.length; i++) {
        if (other.seg.localIndex(ids[i]!) >= 0) {
          throw new KeywordIndexError(`Passage id ${ids[i]} is already in the keyword index: give replaced passages new ids (or merge away the deleted ones first).`);
        }
      }
    }
    this.states.push({
      seg,
      deleted: null,
      deletedCount: 0,
      deletedTitleLength: 0,
      deletedTextLength: 0,
      epoch: -1,
      normTitle: new Float64Array(0),
      normText: new Float64Array(0),
      terms: new Map(),
    });
    this.epoch++;
  }

  /** Marks passages deleted (they stay in their segment until merged). Unknown or already deleted ids are ignored; returns how many were newly marked. */
  delete(ids: Iterable<number>): number {
    let marked = 0;
    for (const id of ids) {
      if (this.deletedIds.has(id)) continue;
      for (const st of this.states) {
        const local = st.seg.localIndex(id);
        if (local < 0) continue;
        st.deleted ??= new Uint8Array(st.seg.docCount);
        st.deleted[local] = 1;
        st.deletedCount++;
        st.deletedTitleLength += st.seg.titleLengths[local]!;
        st.deletedTextLength += st.seg.textLengths[local]!;
        this.deletedIds.add(id);
        marked++;
        break;
      }
    }
    if (marked > 0) this.epoch++;
    return marked;
  }

  isDeleted(id: number): boolean {
    return this.deletedIds.has(id);
  }

  /** Live docs. */
  get docCount(): number {
    let n = 0;
    for (const st of this.states) n += st.seg.docCount - st.deletedCount;
    return n;
  }

  /** For `shouldMerge`. */
  mergeStats(): KeywordIndexMergeStats {
    let docs = 0;
    for (const st of this.states) docs += st.seg.docCount;
    return { segments: this.states.length, docs, deleted: this.deletedIds.size };
  }

  /** Average analysed length of each field over the live docs. */
  averageFieldLengths(): { title: number; text: number } {
    let title = 0;
    let text = 0;
    for (const st of this.states) {
      title += st.seg.totalTitleLength - st.deletedTitleLength;
      text += st.seg.totalTextLength - st.deletedTextLength;
    }
    const n = this.docCount;
    return n === 0 ? { title: 0, text: 0 } : { title: title / n, text: text / n };
  }

  /** Live docs holding the term. A dictionary lookup per segment; a segment with deletions counts the term's postings once (then cached). */
  df(term: string): number {
    let df = 0;
    for (const st of this.states) df += st.deletedCount === 0 ? st.seg.df(term) : this.termState(st, term, undefined).liveDf;
    return df;
  }

  /**
   * True when a live doc holds the term, as `df(term) > 0` but mostly from the heads: a segment whose
   * df exceeds its deleted docs must hold a live one, so postings are read only for a term no segment
   * settles that way (at most as many postings per segment as it has deleted docs).
   */
  hasLive(term: string): boolean {
    let unsettled = false;
    for (const st of this.states) {
      const df = st.seg.df(term);
      if (df > st.deletedCount) return true;
      if (df > 0) unsettled = true;
    }
    if (!unsettled) return false;
    for (const st of this.states) if (st.seg.df(term) > 0 && this.termState(st, term, undefined).liveDf > 0) return true;
    return false;
  }

  /** Every term of every segment (a term whose docs are all deleted may still be listed until a merge). */
  *vocabulary(): Iterable<string> {
    if (this.states.length === 1) {
      for (const [term] of this.states[0]!.seg.terms()) yield term;
      return;
    }
    const seen = new Set<string>();
    for (const st of this.states) {
      for (const [term] of st.seg.terms()) {
        if (seen.has(term)) continue;
        seen.add(term);
        yield term;
      }
    }
  }

  /** Brings a segment's length norms up to the current statistics. */
  private refresh(st: SegmentState): void {
    if (st.epoch === this.epoch) return;
    const avg = this.averageFieldLengths();
    const { b } = this;
    const n = st.seg.docCount;
    if (st.normTitle.length !== n) {
      st.normTitle = new Float64Array(n);
      st.normText = new Float64Array(n);
    }
    const { titleLengths, textLengths } = st.seg;
    // An empty field has no tf, so its norm is never used; keep it finite.
    const relTitle = avg.title > 0 ? b / avg.title : 0;
    const relText = avg.text > 0 ? b / avg.text : 0;
    for (let d = 0; d < n; d++) {
      st.normTitle[d] = this.titleWeight / (1 - b + relTitle * titleLengths[d]! || 1);
      st.normText[d] = this.textWeight / (1 - b + relText * textLengths[d]! || 1);
    }
    st.terms.clear();
    st.epoch = this.epoch;
  }

  private termState(st: SegmentState, term: string, stats: KeywordSearchStats | undefined): TermState {
    this.refresh(st);
    const cached = st.terms.get(term);
    if (cached) return cached;
    const { seg, deleted, normTitle, normText } = st;
    const ordinal = seg.termOrdinal(term);
    let state = ABSENT;
    if (ordinal >= 0) {
      const { docs, tfTitle, tfText } = seg.postings(ordinal);
      let liveDf = 0;
      let maxTfn = 0;
      const windows = (seg.docCount + WINDOW - 1) >>> WINDOW_SHIFT;
      const windowMax = docs.length >= windows * WINDOW_MIN_POSTINGS ? new Float32Array(windows) : null;
      for (let p = 0; p < docs.length; p++) {
        const d = docs[p]!;
        if (deleted !== null && deleted[d] === 1) continue;
        liveDf++;
        const tfn = tfTitle[p]! * normTitle[d]! + tfText[p]! * normText[d]!;
        if (tfn > maxTfn) maxTfn = tfn;
        if (windowMax !== null) {
          const wi = d >>> WINDOW_SHIFT;
          const up = tfn * WINDOW_ROUND_UP;
          if (up > windowMax[wi]!) windowMax[wi] = up;
        }
      }
      if (stats) stats.postingsScannedForBounds += docs.length;
      state = { ordinal, liveDf, maxTfn, windowMaxTfn: windowMax };
    }
    if (st.terms.size >= TERM_CACHE_LIMIT) st.terms.clear();
    st.terms.set(term, state);
    return state;
  }

  /** Per query term: its weight boost·idf·(k1+1), from global statistics (0 when no live doc holds it). */
  private weights(query: KeywordQueryTerm[], k: number, stats: KeywordSearchStats | undefined): Float64Array {
    if (!Array.isArray(query)) throw new KeywordIndexError('The keyword query must be an array of { term, boost }.');
    if (!Number.isInteger(k) || k < 0) throw new KeywordIndexError(`k must be a non-negative integer, got ${k}.`);
    const n = this.docCount;
    const w = new Float64Array(query.length);
    query.forEach((q, i) => {
      if (typeof q?.term !== 'string') throw new KeywordIndexError(`Query term ${i} is not a string.`);
      if (!(Number.isFinite(q.boost) && q.boost >= 0)) throw new KeywordIndexError(`Query term "${q.term}" has boost ${q.boost}; boosts must be finite and ≥ 0.`);
      let df = 0;
      for (const st of this.states) df += this.termState(st, q.term, stats).liveDf;
      w[i] = df === 0 ? 0 : q.boost * Math.log(1 + (n - df + 0.5) / (df + 0.5)) * (this.k1 + 1);
    });
    return w;
  }

  /**
   * The k best live docs (passing `filter`) for the query: MaxScore within windows of local doc
   * numbers, with each term's bound taken for the window (block-max), so windows that cannot hold a
   * top-k doc are skipped whole.
   */
  search(query: KeywordQueryTerm[], k: number, filter?: (id: number) => boolean, stats?: KeywordSearchStats): KeywordHit[] {
    const weights = this.weights(query, k, stats);
    if (k === 0) return [];
    const top = new TopK<number[]>(k);
    const { k1 } = this;
    const hit: number[] = [];
    // Per-doc sums over one window (reused; each entry is reset as its doc is taken).
    const acc = new Float64Array(WINDOW);
    const seen = new Uint8Array(WINDOW);
    let evaluated = 0;
    let scored = 0;
    for (const st of this.states) {
      const { seg, deleted, normTitle, normText } = st;
      const { ids } = seg;
      // One cursor per query term present here, over its own postings.
      const present: Array<{ qi: number; w: number; postings: TermPostings; maxTfn: number; windowMaxTfn: Float32Array | null }> = [];
      query.forEach((q, qi) => {
        const ts = this.termState(st, q.term, stats);
        if (ts.ordinal < 0 || ts.liveDf === 0) return;
        present.push({ qi, w: weights[qi]!, postings: seg.postings(ts.ordinal), maxTfn: ts.maxTfn, windowMaxTfn: ts.windowMaxTfn });
      });
      const m = present.length;
      if (m === 0) continue;
      const qis = Int32Array.from(present, (c) => c.qi);
      const ws = Float64Array.from(present, (c) => c.w);
      const docsOf = present.map((c) => c.postings.docs);
      const titleOf = present.map((c) => c.postings.tfTitle);
      const textOf = present.map((c) => c.postings.tfText);
      const windowMaxOf = present.map((c) => c.windowMaxTfn);
      const boundOf = (i: number, tfn: number): number => ((ws[i]! * tfn) / (k1 + tfn)) * BOUND_SLACK;
      // Term c's score in doc d, its posting at p (the essential terms' loop below inlines the same sum).
      const termScore = (c: number, p: number, d: number): number => {
        const tfn = titleOf[c]![p]! * normTitle[d]! + textOf[c]![p]! * normText[d]!;
        return (ws[c]! * tfn) / (k1 + tfn);
      };
      const wholeBound = Float64Array.from(present, (c, i) => boundOf(i, c.maxTfn));
      const pos = new Uint32Array(m);
      const end = Uint32Array.from(present, (c) => c.postings.docs.length);
      // Per window: each cursor's bound there, the cursors ordered by it (ascending), and prefix[i] = Σ bounds of order[0..i−1].
      const bound = new Float64Array(m);
      const order = Array.from({ length: m }, (_, i) => i);
      const prefix = new Float64Array(m + 1);
      const start = new Uint32Array(m);
      let theta = top.threshold;
      // Windows start small, while theta is still low, and double up to WINDOW docs; none crosses a
      // multiple of WINDOW, so window `win`'s bounds hold for it.
      for (let lo = 0, hi = 0, size = FIRST_WINDOW; lo < seg.docCount; lo = hi, size = Math.min(WINDOW, 2 * size)) {
        const win = lo >>> WINDOW_SHIFT;
        hi = Math.min(seg.docCount, lo + size, (win + 1) << WINDOW_SHIFT);
        let total = 0;
        for (let c = 0; c < m; c++) {
          const docs = docsOf[c]!;
          let p = pos[c]!;
          if (p < end[c]! && docs[p]! < lo) pos[c] = p = seek(docs, p, end[c]!, lo);
          start[c] = p;
          const windowMax = windowMaxOf[c]!;
          bound[c] = p >= end[c]! || docs[p]! >= hi ? 0 : windowMax === null ? wholeBound[c]! : boundOf(c, windowMax[win]!);
          total += bound[c]!;
        }
        if (total < theta) continue;
        order.sort((a, b) => bound[a]! - bound[b]! || a - b);
        for (let i = 0; i < m; i++) prefix[i + 1] = prefix[i]! + bound[order[i]!]!;
        // order[0..e−1] are non-essential in this window: together they cannot reach theta. Fixed for
        // the window (the essential terms' postings are summed first); a rising theta still prunes.
        let e = 0;
        while (e < m && prefix[e + 1]! < theta) e++;
        // The essential terms, one at a time over the window, into per-doc sums.
        for (let i = e; i < m; i++) {
          const c = order[i]!;
          const docs = docsOf[c]!;
          const tfT = titleOf[c]!;
          const tfX = textOf[c]!;
          const w = ws[c]!;
          const stop = end[c]!;
          let p = pos[c]!;
          for (; p < stop; p++) {
            const d = docs[p]!;
            if (d >= hi) break;
            if (deleted !== null && deleted[d] === 1) continue;
            const tfn = tfT[p]! * normTitle[d]! + tfX[p]! * normText[d]!;
            const j = d - lo;
            acc[j] = acc[j]! + (w * tfn) / (k1 + tfn);
            seen[j] = 1;
            scored++;
          }
          pos[c] = p;
        }
        // Then each doc reached, in order: the non-essential terms (largest bound first) while it can still make the top k.
        for (let j = 0; j < hi - lo; j++) {
          if (seen[j] === 0) continue;
          seen[j] = 0;
          let s = acc[j]!;
          acc[j] = 0;
          const d = lo + j;
          evaluated++;
          let pruned = false;
          for (let i = e - 1; i >= 0; i--) {
            if (s + prefix[i + 1]! < theta) {
              pruned = true;
              break;
            }
            const c = order[i]!;
            const docs = docsOf[c]!;
            let p = pos[c]!;
            if (p < end[c]! && docs[p]! < d) pos[c] = p = seek(docs, p, end[c]!, d);
            if (p < end[c]! && docs[p] === d) {
              s += termScore(c, p, d);
              scored++;
            }
          }
          if (pruned || s * BOUND_SLACK < theta) continue;
          const id = ids[d]!;
          if (filter && !filter(id)) continue;
          // The exact score, summed in query order as the exhaustive scorer does, so equal docs get equal scores.
          hit.length = 0;
          let score = 0;
          for (let c = 0; c < m; c++) {
            const docs = docsOf[c]!;
            const p = seek(docs, start[c]!, end[c]!, d);
            if (p < end[c]! && docs[p] === d) {
              score += termScore(c, p, d);
              hit.push(qis[c]!);
            }
          }
          if (!top.accepts(score, id)) continue;
          top.push(score, id, hit.slice());
          if (top.threshold > theta) theta = top.threshold;
        }
      }
    }
    if (stats) {
      stats.docsEvaluated += evaluated;
      stats.postingsScored += scored;
    }
    return top.sorted().map((h) => ({ id: h.id, score: h.score, matched: h.payload }));
  }

  /** The same results as `search`, by scoring every posting of every query term (the reference for tests and benchmarks). */
  searchExhaustive(query: KeywordQueryTerm[], k: number, filter?: (id: number) => boolean, stats?: KeywordSearchStats): KeywordHit[] {
    const weights = this.weights(query, k, stats);
    if (k === 0) return [];
    const top = new TopK<{ st: SegmentState; local: number }>(k);
    const { k1 } = this;
    let evaluated = 0;
    let scored = 0;
    for (const st of this.states) {
      const { seg, deleted, normTitle, normText } = st;
      const { ids } = seg;
      const acc = new Float64Array(seg.docCount);
      const seen = new Uint8Array(seg.docCount);
      const touched: number[] = [];
      query.forEach((q, qi) => {
        const ts = this.termState(st, q.term, stats);
        if (ts.ordinal < 0 || ts.liveDf === 0) return;
        const w = weights[qi]!;
        const { docs, tfTitle, tfText } = seg.postings(ts.ordinal);
        for (let p = 0; p < docs.length; p++) {
          const d = docs[p]!;
          const tfn = tfTitle[p]! * normTitle[d]! + tfText[p]! * normText[d]!;
          acc[d]! += (w * tfn) / (k1 + tfn);
          scored++;
          if (seen[d] === 0) {
            seen[d] = 1;
            touched.push(d);
          }
        }
      });
      for (const d of touched) {
        if (deleted !== null && deleted[d] === 1) continue;
        evaluated++;
        const id = ids[d]!;
        if (filter && !filter(id)) continue;
        if (top.accepts(acc[d]!, id)) top.push(acc[d]!, id, { st, local: d });
      }
    }
    if (stats) {
      stats.docsEvaluated += evaluated;
      stats.postingsScored += scored;
    }
    return top.sorted().map((h) => {
      const { st, local } = h.payload;
      const matched: number[] = [];
      query.forEach((q, qi) => {
        const ts = this.termState(st, q.term, undefined);
        if (ts.ordinal < 0) return;
        const { docs } = st.seg.postings(ts.ordinal);
        const p = seek(docs, 0, docs.length, local);
        if (p < docs.length && docs[p] === local) matched.push(qi);
      });
      return { id: h.id, score: h.score, matched };
    });
  }
}
