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

const ABSENT: TermState = { ordinal: -1, liveDf: 0, maxTfn: 0 };
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
 * `search` uses MaxScore: terms are ordered by their score upper bound in the segment; the terms
 * whose bounds together cannot lift a doc above the current k-th score ("non-essential") only
 * score docs that the others bring up, and a doc is dropped as soon as its score plus the bounds
 * still to add falls below that k-th score. Results equal `searchExhaustive` (ties: lower id first).
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
      for (let p = 0; p < docs.length; p++) {
        const d = docs[p]!;
        if (deleted !== null && deleted[d] === 1) continue;
        liveDf++;
        const tfn = tfTitle[p]! * normTitle[d]! + tfText[p]! * normText[d]!;
        if (tfn > maxTfn) maxTfn = tfn;
      }
      if (stats) stats.postingsScannedForBounds += docs.length;
      state = { ordinal, liveDf, maxTfn };
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

  /** The k best live docs (passing `filter`) for the query, with MaxScore pruning. */
  search(query: KeywordQueryTerm[], k: number, filter?: (id: number) => boolean, stats?: KeywordSearchStats): KeywordHit[] {
    const weights = this.weights(query, k, stats);
    if (k === 0) return [];
    const top = new TopK<number[]>(k);
    const { k1 } = this;
    const contrib = new Float64Array(query.length);
    let evaluated = 0;
    let scored = 0;
    for (const st of this.states) {
      const { seg, deleted, normTitle, normText } = st;
      const { ids } = seg;
      // Cursors over the terms present here, by upper bound ascending; each over its term's own postings.
      const cursors: Array<{ qi: number; w: number; postings: TermPostings; bound: number }> = [];
      query.forEach((q, qi) => {
        const w = weights[qi]!;
        const ts = this.termState(st, q.term, stats);
        if (ts.ordinal < 0 || ts.liveDf === 0) return;
        cursors.push({ qi, w, postings: seg.postings(ts.ordinal), bound: ((w * ts.maxTfn) / (k1 + ts.maxTfn)) * BOUND_SLACK });
      });
      if (cursors.length === 0) continue;
      cursors.sort((a, b) => a.bound - b.bound || a.qi - b.qi);
      const m = cursors.length;
      const qis = Int32Array.from(cursors, (c) => c.qi);
      const ws = Float64Array.from(cursors, (c) => c.w);
      const docsOf = cursors.map((c) => c.postings.docs);
      const titleOf = cursors.map((c) => c.postings.tfTitle);
      const textOf = cursors.map((c) => c.postings.tfText);
      const pos = new Uint32Array(m);
      const end = Uint32Array.from(cursors, (c) => c.postings.docs.length);
      // prefix[i] = sum of the bounds of cursors 0..i−1.
      const prefix = new Float64Array(m + 1);
      for (let i = 0; i < m; i++) prefix[i + 1] = prefix[i]! + cursors[i]!.bound;
      let theta = top.threshold;
      // Cursors 0..e−1 are non-essential: together they cannot reach theta.
      let e = 0;
      while (e < m && prefix[e + 1]! < theta) e++;
      const hit: number[] = [];
      for (;;) {
        let cand = 0xffffffff;
        for (let i = e; i < m; i++) {
          if (pos[i]! < end[i]!) {
            const d = docsOf[i]![pos[i]!]!;
            if (d < cand) cand = d;
          }
        }
        if (cand === 0xffffffff) break;
        if (deleted !== null && deleted[cand] === 1) {
          for (let i = e; i < m; i++) if (pos[i]! < end[i]! && docsOf[i]![pos[i]!] === cand) pos[i]!++;
          continue;
        }
        evaluated++;
        hit.length = 0;
        let s = 0;
        const nT = normTitle[cand]!;
        const nX = normText[cand]!;
        for (let i = e; i < m; i++) {
          const p = pos[i]!;
          if (p < end[i]! && docsOf[i]![p] === cand) {
            pos[i] = p + 1;
            const tfn = titleOf[i]![p]! * nT + textOf[i]![p]! * nX;
            const c = (ws[i]! * tfn) / (k1 + tfn);
            s += c;
            contrib[qis[i]!] = c;
            hit.push(qis[i]!);
            scored++;
          }
        }
        let pruned = false;
        for (let i = e - 1; i >= 0; i--) {
          if (s + prefix[i + 1]! < theta) {
            pruned = true;
            break;
          }
          const docs = docsOf[i]!;
          let p = pos[i]!;
          if (p < end[i]! && docs[p]! < cand) pos[i] = p = seek(docs, p, end[i]!, cand);
          if (p < end[i]! && docs[p] === cand) {
            const tfn = titleOf[i]![p]! * nT + textOf[i]![p]! * nX;
            const c = (ws[i]! * tfn) / (k1 + tfn);
            s += c;
            contrib[qis[i]!] = c;
            hit.push(qis[i]!);
            scored++;
          }
        }
        if (pruned || s * BOUND_SLACK < theta) continue;
        const id = ids[cand]!;
        if (filter && !filter(id)) continue;
        // Sum in query order, exactly as the exhaustive scorer does, so equal docs get equal scores.
        hit.sort((a, b) => a - b);
        let score = 0;
        for (const qi of hit) score += contrib[qi]!;
        if (!top.accepts(score, id)) continue;
        top.push(score, id, hit.slice());
        if (top.threshold > theta) {
          theta = top.threshold;
          while (e < m && prefix[e + 1]! < theta) e++;
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
