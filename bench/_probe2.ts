import { readQuestions } from '../eval/evaluate.js';
import { loadCoreConfig } from '../src/config.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { poolSql } from '../src/storage/postgres/sql.js';
import { Searcher } from '../src/search/searcher.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
import { percentile } from './stats.js';
const sql = poolSql(process.argv[2]!, { max: 1 });
const real = sql.query.bind(sql);
const captured: unknown[][] = [];
(sql as { query: unknown }).query = async (text: string, params?: unknown[]) => { if (text.includes('AS q(term, w, idx))')) captured.push([...params!.slice(0, 7), '{}', 100]); return real(text, params); };
const pg = await PostgresBackend.open(sql, { efSearch: 64 });
const config = loadCoreConfig(process.env);
const s = await Searcher.over(pg, { ...config, EMBEDDING_MODEL: undefined }, { model: 'never' }, { ...DEFAULT_RANKING, minConfidence: 0 });
for (const q of (await readQuestions(process.argv[3]!)).slice(0, Number(process.argv[4] ?? 40))) await s.ask(q.question, { k: 10, evenIfUnsure: true });
const T = `(po.tf_title * (1::float8 / coalesce(nullif($5::float8 + $6::float8 * po.title_len, 0), 1)) + po.tf_text * (1::float8 / coalesce(nullif($5::float8 + $7::float8 * po.text_len, 0), 1)))`;
const C = `(q.w * ${T}) / ($4::float8 + ${T})`;
const variants: Record<string, string> = {
  fullHash: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT po.passage, sum(${C}) AS s FROM q JOIN postings po ON po.term = q.term GROUP BY po.passage ORDER BY s DESC LIMIT $9::int`,
  fullHashLateralX: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT po.passage, sum((q.w * t) / ($4::float8 + t)) AS s FROM q JOIN postings po ON po.term = q.term CROSS JOIN LATERAL (SELECT ${T} AS t) x GROUP BY po.passage ORDER BY s DESC LIMIT $9::int`,
  lean: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT po.passage, sum((q.w * x.t) / ($4::float8 + x.t)) AS s FROM q JOIN postings po ON po.term = q.term
    CROSS JOIN LATERAL (SELECT CASE WHEN po.tf_title = 0 THEN po.tf_text * (1::float8 / ($5::float8 + $7::float8 * po.text_len)) ELSE po.tf_title * (1::float8 / ($5::float8 + $6::float8 * po.title_len)) + po.tf_text * (1::float8 / ($5::float8 + $7::float8 * po.text_len)) END AS t) x
    GROUP BY po.passage ORDER BY s DESC LIMIT $9::int`,
  lean2: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT x.passage, sum((x.w * x.t) / ($4::float8 + x.t)) AS s FROM (SELECT po.passage, q.w, CASE WHEN po.tf_title = 0 THEN po.tf_text * (1::float8 / ($5::float8 + $7::float8 * po.text_len)) ELSE po.tf_title * (1::float8 / ($5::float8 + $6::float8 * po.title_len)) + po.tf_text * (1::float8 / ($5::float8 + $7::float8 * po.text_len)) END AS t FROM q JOIN postings po ON po.term = q.term OFFSET 0) x
    GROUP BY x.passage ORDER BY s DESC LIMIT $9::int`,
  cheapAgg: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT po.passage, sum(po.tf_text * q.w) AS s FROM q JOIN postings po ON po.term = q.term WHERE $4::float8 > 0 AND $5::float8 > 0 AND $6::float8 >= 0 AND $7::float8 >=0 GROUP BY po.passage ORDER BY s DESC LIMIT $9::int`,
  scanOnly: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT count(*) FROM q JOIN postings po ON po.term = q.term WHERE $4::float8 > 0 AND $5::float8 > 0 AND $6::float8 >= 0 AND $7::float8 >=0 AND $9::int > 0`,
  rarePool: `WITH q AS (SELECT * FROM unnest($1::text[], $2::float8[], $3::int[], $8::int[]) AS q(term, w, idx, flag))
    SELECT po.passage, sum(${C}) AS s FROM q JOIN postings po ON po.term = q.term WHERE q.flag = 1 GROUP BY po.passage ORDER BY s DESC LIMIT 1000 + 0 * $9::int`,
};
for (const [name, text] of Object.entries(variants)) {
  for (const wm of ['4MB']) { for (const jit of ['off']) { await real(`SET jit = ${jit}`);
    await real(`SET work_mem = '${wm}'`);
    const times: number[] = [];
    for (const p of captured) { const t = performance.now(); await real(text, p); times.push(performance.now() - t); }
    console.log(name, wm, jit, 'p50', percentile(times, 50).toFixed(1), 'p90', percentile(times, 90).toFixed(1), 'sum', times.reduce((a, b) => a + b, 0).toFixed(0));
  }}
}
await s.close();
