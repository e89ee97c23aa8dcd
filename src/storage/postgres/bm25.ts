import { KEYWORD_OPTIONS } from '../embedded.js';

/** BM25F parameters: the embedded keyword index's, so both backends score alike. */
export const BM25 = { ...KEYWORD_OPTIONS, titleWeight: 1, textWeight: 1 } as const;

/** Score bounds are widened by this factor so float rounding never makes a bound fall below a real score. */
export const BOUND_SLACK = 1 + 1e-9;

/** SQL names of a query's length-normalisation inputs (float8): 1 − b, b / average title length, b / average text length. */
export interface NormSql {
  oneMinusB: string;
  relTitle: string;
  relText: string;
}

/**
 * A posting's normalised term frequency in SQL, operation for operation as the embedded index computes it
 * (src/storage/keyword/keyword-index.ts: `tfTitle · (wTitle / ((1 − b) + relTitle · titleLen || 1)) + tfText · …`),
 * so the same inputs give the same float8, bit for bit. `po` is the postings row's alias.
 */
export function tfnSql(po: string, n: NormSql): string {
  const norm = (weight: number, rel: string, len: string): string => `(${weight}::float8 / coalesce(nullif(${n.oneMinusB} + ${rel} * ${po}.${len}, 0), 1))`;
  return `(${po}.tf_title * ${norm(BM25.titleWeight, n.relTitle, 'title_len')} + ${po}.tf_text * ${norm(BM25.textWeight, n.relText, 'text_len')})`;
}

/**
 * The current average field lengths (`at`, `ax`: float8, as the embedded index divides them) and the norms
 * made from them, as one row `c`, for statements that compute term bounds.
 */
const CURRENT_NORMS = `(SELECT at, ax, ${1 - BM25.b}::float8 AS omb, CASE WHEN at > 0 THEN ${BM25.b}::float8 / at ELSE 0 END AS rt, CASE WHEN ax > 0 THEN ${BM25.b}::float8 / ax ELSE 0 END AS rx
  FROM (SELECT CASE WHEN passages > 0 THEN title_terms::float8 / passages::float8 ELSE 0 END AS at,
               CASE WHEN passages > 0 THEN text_terms::float8 / passages::float8 ELSE 0 END AS ax FROM corpus_stats) s) c`;
const BOUND_TFN = tfnSql('po', { oneMinusB: 'c.omb', relTitle: 'c.rt', relText: 'c.rx' });

/**
 * Sets every term's bound exactly: the largest normalised tf of its postings under the current averages
 * (`max_tfn`, with the averages it was computed at, `ref_title` / `ref_text`). Reads every posting: for a
 * migration and after a full build or a large update.
 */
export const EXACT_BOUNDS_SQL = `
UPDATE term_stats t SET max_tfn = m.m, ref_title = c.at, ref_text = c.ax
FROM (SELECT po.term, max(${BOUND_TFN}) AS m FROM postings po, ${CURRENT_NORMS} GROUP BY po.term) m, ${CURRENT_NORMS}
WHERE t.term = m.term`;

/**
 * Raises the bounds of the terms of new postings (`rows`: a SQL relation of postings rows, aliased po): the larger
 * of the new postings' largest normalised tf and the old bound carried to the current averages. Carrying is
 * safe because a posting's normalised tf grows with an average length by at most the average's growth factor.
 */
export function mergeBoundsSql(rows: string): string {
  return `
UPDATE term_stats t SET
  max_tfn = greatest(m.m, t.max_tfn * greatest(1, c.at / nullif(t.ref_title, 0), c.ax / nullif(t.ref_text, 0))),
  ref_title = c.at, ref_text = c.ax
FROM (SELECT po.term, max(${BOUND_TFN}) AS m FROM ${rows} po, ${CURRENT_NORMS} GROUP BY po.term) m, ${CURRENT_NORMS}
WHERE t.term = m.term`;
}

/**
 * A stored bound carried to the current averages: the largest normalised tf any live posting of the term
 * can have now. Infinity when none is stored (a query can then only be answered by scoring every posting).
 */
export function carriedBound(maxTfn: number | null, ref: { title: number | null; text: number | null }, avg: { title: number; text: number }): number {
  if (maxTfn === null) return Number.POSITIVE_INFINITY;
  const grow = (now: number, then: number | null): number => (then && then > 0 ? Math.max(1, now / then) : 1);
  return maxTfn * Math.max(grow(avg.title, ref.title), grow(avg.text, ref.text)) * BOUND_SLACK;
}
