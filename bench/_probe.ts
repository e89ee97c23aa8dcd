import { readQuestions } from '../eval/evaluate.js';
import { loadCoreConfig } from '../src/config.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { poolSql } from '../src/storage/postgres/sql.js';
import { Searcher } from '../src/search/searcher.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
const sql = poolSql(process.argv[2]!);
const real = sql.query.bind(sql);
const log: Array<{ ms: number; text: string; params: unknown }> = [];
(sql as { query: unknown }).query = async (text: string, params?: unknown[]) => { const t = performance.now(); const r = await real(text, params); log.push({ ms: performance.now() - t, text, params }); return r; };
const realTx = sql.transaction.bind(sql);
(sql as { transaction: unknown }).transaction = (fn: (tx: { query: (t: string, p?: unknown[]) => Promise<unknown[]> }) => Promise<unknown>) =>
  realTx((tx) => fn({ query: async (text: string, params?: unknown[]) => { const t = performance.now(); const r = await tx.query(text, params); log.push({ ms: performance.now() - t, text, params }); return r as unknown[]; } }));
const pg = await PostgresBackend.open(sql, { efSearch: 64 });
const config = loadCoreConfig(process.env);
const s = await Searcher.over(pg, { ...config, EMBEDDING_MODEL: undefined }, { model: 'never' }, { ...DEFAULT_RANKING, minConfidence: 0 });
const qs = (await readQuestions(process.argv[3]!)).slice(0, Number(process.argv[4] ?? 5));
for (const q of qs) {
  log.length = 0;
  const a = await s.ask(q.question, { k: 10, evenIfUnsure: true });
  console.log(q.question, a.tookMs.toFixed(1), JSON.stringify(a.timings));
  for (const l of log) console.log('  ', l.ms.toFixed(1), l.text.replace(/\s+/g, ' ').slice(0, 90));
}
if (process.argv[5]) { const l = log.find((x) => x.text.includes('unnest($1::text[], $2::float8[]') && !x.text.startsWith('SET')); console.log(l!.text); console.log(JSON.stringify(l!.params)); }
await s.close();
const sql2 = poolSql(process.argv[2]!);
for (const l of log.filter((x) => x.text.includes('unnest($1::text[], $2::float8[]') && !x.text.startsWith('SET'))) {
  const rows = await sql2.transaction(async (tx) => { await tx.query(`SET LOCAL work_mem = '32MB'`); return tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE) ${l.text}`, l.params as unknown[]); });
  console.log(rows.map((r) => r['QUERY PLAN']).join('\n'));
  console.log(JSON.stringify(l.params).slice(0, 600));
}
await sql2.close();
