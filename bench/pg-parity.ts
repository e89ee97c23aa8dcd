/**
 * `nice npx tsx bench/pg-parity.ts --index DIR --database URL --questions FILE…`: the same questions through the
 * embedded index in DIR and the PostgreSQL index at URL (both built from the same corpus, keyword search only),
 * in one process, alternating which backend answers first. Per question file: the share of questions whose
 * top 5 (passage ids and order) are identical, hit@5 (eval's judge) and answer time p50 / p99 of each backend.
 * Never pass a test split (test*.jsonl).
 */
import path from 'node:path';
import { Command } from 'commander';
import { judge } from '../eval/metrics.js';
import { readQuestions } from '../eval/evaluate.js';
import { loadCoreConfig } from '../src/config.js';
import { openSearcher } from '../src/open.js';
import { PostgresBackend } from '../src/storage/postgres/backend.js';
import { poolSql } from '../src/storage/postgres/sql.js';
import { DEFAULT_RANKING } from '../src/search/ranking.js';
import { Searcher } from '../src/search/searcher.js';
import type { Answer } from '../src/types.js';
import { percentile } from './stats.js';

const opts = new Command()
  .requiredOption('--index <dir>', 'the embedded index folder')
  .option('--database <url>', 'the PostgreSQL index (default: DATABASE_URL)', process.env.DATABASE_URL)
  .requiredOption('--questions <file...>', 'question files (JSONL)')
  .option('--k <n>', 'results per question', (v) => Number(v), 10)
  .parse()
  .opts<{ index: string; database?: string; questions: string[]; k: number }>();

if (!opts.database) throw new Error('Give --database or set DATABASE_URL.');
for (const f of opts.questions) if (/^test.*\.jsonl$/.test(path.basename(f))) throw new Error(`${f} is a test split: never benchmark on it.`);

const config = loadCoreConfig(process.env);
const ranking = { ...DEFAULT_RANKING, minConfidence: 0 };
const embedded = await openSearcher({ ...config, SEARCH_BACKEND: 'embedded' }, opts.index, { model: 'never' }, ranking);
const pg = await PostgresBackend.open(poolSql(opts.database, { max: config.PG_POOL_MAX }), { efSearch: config.HNSW_EF_SEARCH });
const postgres = await Searcher.over(pg, { ...config, EMBEDDING_MODEL: undefined }, { model: 'never' }, ranking);
const ask = (s: Searcher, q: string): Promise<Answer> => s.ask(q, { k: opts.k, evenIfUnsure: true });

// Warm both (code, caches, connections) on a few questions first.
const warm = (await readQuestions(opts.questions[0]!)).slice(0, 10);
for (const q of warm) await Promise.all([ask(embedded, q.question), ask(postgres, q.question)].map((p) => p.catch(() => undefined)));

const fmt = (x: number): string => x.toFixed(1);
console.log(`| set | questions | identical top 5 | hit@5 embedded / PostgreSQL | p50 embedded / PostgreSQL | p99 embedded / PostgreSQL |`);
console.log(`|---|---|---|---|---|---|`);
for (const file of opts.questions) {
  const questions = await readQuestions(file);
  const times = { embedded: [] as number[], postgres: [] as number[] };
  const bm25 = { embedded: [] as number[], postgres: [] as number[] };
  const before = { ...pg.keywordCounts };
  const hits = { embedded: 0, postgres: 0 };
  let answerable = 0;
  let same = 0;
  const differing: string[] = [];
  for (const [i, q] of questions.entries()) {
    const order = i % 2 === 0 ? (['embedded', 'postgres'] as const) : (['postgres', 'embedded'] as const);
    const answers = {} as Record<'embedded' | 'postgres', Answer>;
    for (const name of order) {
      answers[name] = await ask(name === 'embedded' ? embedded : postgres, q.question);
      times[name].push(answers[name].tookMs);
      bm25[name].push(answers[name].timings.bm25 ?? 0);
    }
    const top = (a: Answer): string => JSON.stringify(a.results.slice(0, 5).map((r) => [r.chunkId, r.score]));
    if (top(answers.embedded) === top(answers.postgres)) same++;
    else differing.push(q.id);
    if (!q.unanswerable) {
      answerable++;
      for (const name of order) {
        const rank = judge(q, answers[name].results.map((r) => ({ articleId: r.articleId, passage: r.passage, quote: r.quote }))).hitRank;
        if (rank !== undefined && rank <= 5) hits[name]++;
      }
    }
  }
  const hit = (n: number): string => (answerable ? (n / answerable).toFixed(3) : '–');
  console.log(
    `| ${path.relative(process.cwd(), file)} | ${questions.length} | ${same}/${questions.length} (${((100 * same) / questions.length).toFixed(1)} %) | ` +
      `${hit(hits.embedded)} / ${hit(hits.postgres)} | ${fmt(percentile(times.embedded, 50))} / ${fmt(percentile(times.postgres, 50))} ms | ` +
      `${fmt(percentile(times.embedded, 99))} / ${fmt(percentile(times.postgres, 99))} ms |`,
  );
  const now = pg.keywordCounts;
  console.error(
    `${path.basename(file)}: keyword stage p50 ${fmt(percentile(bm25.embedded, 50))} / ${fmt(percentile(bm25.postgres, 50))} ms; ` +
      `PostgreSQL keyword queries ${now.queries - before.queries}, refetched past ties ${now.refetched - before.refetched}`,
  );
  if (differing.length) console.error(`${path.basename(file)}: differing ${differing.join(' ')}`);
}
await embedded.close();
await postgres.close();
