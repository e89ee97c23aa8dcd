import { commandLine } from '../command-line.js';
import { DEFAULT_CHUNK_OPTIONS } from '../chunk.js';
import type { Embedder } from '../embed/embedder.js';
import { newStreamStats, streamCorpus, unreadCorpusPaths, type ArticleKeys } from '../ingest/stream.js';
import type { DenseInfo, NoDenseInfo } from '../storage/backend.js';
import { IndexBusyError } from '../storage/errors.js';
import { chunkingSchema, denseSchema } from '../storage/database.js';
import { MAX_TF } from '../storage/keyword/index.js';
import { migrate } from '../storage/postgres/migrations.js';
import { pgArray, pgVector, type Queryable, type Sql } from '../storage/postgres/sql.js';
import { encodeArticle } from '../storage/rows.js';
import { analyze } from '../text/analyze.js';
import { pruneRelated, RelatedCollector, type RelatedTerms } from '../text/related.js';
import { buildExpansions } from '../text/wordnet.js';
import type { Article } from '../types.js';
import {
  articleHash,
  commonReport,
  denseInfo,
  noArticles,
  prepareModel,
  readProgress,
  Stopwatch,
  TrackedCounts,
  throwIfAborted,
  trackBatch,
  unreadLoss,
  unseenArticles,
  type BuildOptions,
  type BuildReport,
  type Embedding,
} from './build.js';
import { type PreparedPassage, preparePassages } from './passages.js';

export type PostgresBuildOptions = Omit<BuildOptions, 'out'> & {
  sql: Sql;
  /** Articles per transaction (default 200): readers see each article's old or new state, never a half. */
  batchArticles?: number;
};

/** Any number: the advisory lock held by the one indexer writing to a database. */
export const WRITER_LOCK = 7_261_002;
/** PostgreSQL's limit on one lexeme is 2 kB; longer "words" (pasted junk) are not indexed. */
const MAX_TERM = 500;
/** tsvector positions go up to 16383. */
const MAX_POSITION = 16_383;

/**
 * Indexes a corpus into PostgreSQL. Every run goes through the same incremental path: articles
 * whose content hash is unchanged are skipped, new and changed ones are written (old rows deleted,
 * new ones inserted, term statistics adjusted) in one transaction per batch, removed ones deleted.
 * A full rebuild (`rebuild`, another model or chunking) treats every article as changed. One
 * indexer at a time (an advisory lock); readers keep answering throughout.
 */
export async function buildPostgres(options: PostgresBuildOptions): Promise<BuildReport> {
  const { sql } = options;
  throwIfAborted(options.signal);
  await migrate(sql);
  return sql.session(async (conn) => {
    const [lock] = await conn.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [WRITER_LOCK]);
    if (!lock?.ok) throw new IndexBusyError(`Another \`${commandLine('index')}\` is writing to ${sql.location}; run this one when it has finished.`);
    try {
      return await run(options);
    } finally {
      await conn.query('SELECT pg_advisory_unlock($1)', [WRITER_LOCK]).catch(() => undefined);
    }
  });
}

interface Known {
  rowid: number;
  hash: string;
  raw: string | null;
  url: string | null;
  text: string | null;
  source: string;
}

/** A prepared passage with what PostgreSQL's keyword search stores of it. */
interface PgPassage extends PreparedPassage {
  titleLen: number;
  textLen: number;
  tsv: string;
  /** Per term: its count in the title and in the text, capped as the embedded index caps them (MAX_TF). */
  tf: Map<string, [number, number]>;
}

async function run(options: PostgresBuildOptions): Promise<BuildReport> {
  const { sql } = options;
  const clock = new Stopwatch();
  const since = performance.now();
  const meta = await readMeta(sql);
  const loaded = await prepareModel({ ...options, out: sql.location });
  // The model this build loaded (its processes, with EMBED_PROCESSES) ends with it.
  const own = loaded.embedder !== options.embedder ? loaded.embedder : undefined;
  try {
    return await write(options, clock, since, meta, loaded);
  } finally {
    await own?.dispose();
  }
}

/** The build itself, once the model is loaded (or known to be unavailable). */
async function write(options: PostgresBuildOptions, clock: Stopwatch, since: number, meta: Awaited<ReturnType<typeof readMeta>>, loaded: Embedding): Promise<BuildReport> {
  const { sql, settings, signal } = options;
  const vectors = loaded.embedder ? await vectorSupport(sql, loaded.embedder.dim) : { ok: false as const };
  const embedding: Embedding = vectors.ok || !loaded.embedder ? loaded : { modelError: vectors.reason };
  if (!vectors.ok && vectors.reason) options.onProgress?.({ stage: 'model', done: 1, total: 1, message: vectors.reason });
  const embedder = embedding.embedder;
  clock.add('model', since);
  throwIfAborted(signal);

  const chunking = options.chunking ?? DEFAULT_CHUNK_OPTIONS;
  const dense = denseInfo(settings, embedding);
  let fullReason: string | undefined;
  if (!meta.complete) fullReason = 'first build';
  else if (options.rebuild) fullReason = 'rebuild requested';
  else if ((meta.dense?.status === 'ok' ? meta.dense.model : undefined) !== (dense.status === 'ok' ? dense.model : undefined)) {
    fullReason = dense.status === 'ok' ? `the index has no vectors from ${dense.model}` : `no vectors this time (${dense.reason})`;
  } else if (JSON.stringify(meta.chunking) !== JSON.stringify(chunking)) fullReason = 'the chunking settings changed';
  if (vectors.ok && vectors.recreate && !fullReason) fullReason = 'the vector table was recreated for a new dimension';
  const full = fullReason !== undefined;
  // A full build passes every passage through here: the related words are learned from them (with
  // RELATED_WORDS; an update keeps the old ones).
  const relatedStats = full && settings.RELATED_WORDS ? new RelatedCollector() : undefined;

  const known = new Map<string, Known>();
  for (const r of await sql.query<{ rowid: number; id: string; hash: string; raw_hash: string | null; url_key: string | null; text_key: string | null; source: string }>(
    'SELECT rowid, id, hash, raw_hash, url_key, text_key, source FROM articles',
  )) {
    known.set(r.id, { rowid: r.rowid, hash: r.hash, raw: r.raw_hash, url: r.url_key, text: r.text_key, source: r.source });
  }
  // A full build over a live index rewrites its articles batch by batch, where readers see them: a
  // corpus path it cannot read (its articles would be dropped) stops it before the first write.
  const guarded = full && meta.complete && !options.rebuild;
  const indexed = (): Array<{ id: string; rowid: number; source: string }> => [...known].map(([id, k]) => ({ id, rowid: k.rowid, source: k.source }));
  if (guarded) {
    const lost = unreadLoss(indexed(), await unreadCorpusPaths(options.corpus), options.exclude);
    if (lost) throw lost;
  }
  throwIfAborted(signal);
  if (vectors.ok && (vectors.recreate || !vectors.exists)) await createVectorTable(sql, loaded.embedder!.dim, vectors.recreate);

  const byRaw = new Map<string, { id: string; url?: string; text: string }>();
  if (!full) for (const [id, k] of known) if (k.raw && k.text) byRaw.set(k.raw, { id, url: k.url ?? undefined, text: k.text });

  const stats = newStreamStats();
  const tracked = new TrackedCounts(options.track);
  const counts = { embedded: 0, reused: 0, passages: 0 };
  const moved: Array<{ rowid: number; source: string; keys?: ArticleKeys }> = [];
  const seen = new Set<string>();
  let generation = meta.generation;
  let articles = 0;
  let added = 0;
  let changed = 0;
  let unchanged = 0;
  let pending: Array<{ article: Article; keys: ArticleKeys; replaces?: number }> = [];
  const batchSize = options.batchArticles ?? 200;
  const readStart = performance.now();
  let flushMs = 0;
  let lastReport = 0;

  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    const started = performance.now();
    const batch = pending;
    pending = [];
    const prepared = await preparePgPassages(sql, batch, options, embedder, counts, clock, relatedStats);
    trackBatch(tracked, batch, prepared);
    const t = performance.now();
    generation++;
    await sql.transaction(async (tx) => {
      const replaced = batch.filter((b) => b.replaces !== undefined).map((b) => b.replaces!);
      if (replaced.length) await removeArticles(tx, replaced);
      const rowids = await insertArticles(tx, batch);
      await insertPassages(tx, prepared, rowids);
      await insertPostings(tx, prepared);
      await adjustStats(tx, rowids, +1);
      await setMeta(tx, { generation });
    });
    clock.add('write', t);
    counts.passages += prepared.length;
    if (embedder) options.onProgress?.({ stage: 'embed', done: counts.embedded + counts.reused, total: 0 });
    flushMs += performance.now() - started;
  };

  for await (const item of streamCorpus(options.corpus, stats, full ? undefined : (raw) => byRaw.get(raw), { exclude: options.exclude })) {
    articles++;
    const id = item.kind === 'known' ? item.id : item.article.id;
    seen.add(id);
    const have = known.get(id);
    if (item.kind === 'known' && have) {
      unchanged++;
      if (have.source !== item.source || item.keys) moved.push({ rowid: have.rowid, source: item.source, keys: item.keys });
    } else if (item.kind === 'article' && have && !full && have.hash === articleHash(item.article)) {
      unchanged++;
      moved.push({ rowid: have.rowid, source: item.article.source, keys: item.keys });
    } else if (item.kind === 'article') {
      if (have) changed++;
      else added++;
      pending.push({ article: item.article, keys: item.keys, replaces: have?.rowid });
      if (pending.length >= batchSize) {
        throwIfAborted(signal);
        await flush();
      }
    }
    if (performance.now() - lastReport > 250) {
      lastReport = performance.now();
      readProgress({ ...options, out: sql.location }, stats, readStart, articles);
      throwIfAborted(signal);
    }
  }
  throwIfAborted(signal);
  if (articles === 0) throw noArticles({ ...options, out: sql.location }, stats);
  await flush();
  readProgress({ ...options, out: sql.location }, stats, readStart, articles, true);
  clock.stageMs.load = Math.round(performance.now() - readStart - flushMs);
  // A full build learns them in a worker thread while this one commits the removals and expansions.
  const relatedJob = relatedStats?.computeInWorker(undefined, signal);
  relatedJob?.catch(() => undefined);

  since = performance.now();
  options.onProgress?.({ stage: 'write', done: 0, total: 1, message: 'Committing the update' });
  // A path that became unreadable while this full build ran: stop before removing its articles (the
  // stored chunking and model stay the old ones, so the next run does the full build again).
  if (guarded) {
    const lost = unreadLoss(indexed().filter((a) => !seen.has(a.id)), stats.unread, options.exclude);
    if (lost) throw lost;
  }
  // A full build keeps nothing it did not read; an update keeps the articles of unreadable paths.
  const unseen = [...known].filter(([id]) => !seen.has(id)).map(([id, k]) => ({ id, rowid: k.rowid, source: k.source }));
  const { removed, kept } = full ? { removed: unseen.map((a) => a.rowid), kept: [] } : unseenArticles(unseen, stats.unread, options.exclude);
  for (let i = 0; i < removed.length; i += batchSize) {
    generation++;
    const part = removed.slice(i, i + batchSize);
    await sql.transaction(async (tx) => {
      await removeArticles(tx, part);
      await setMeta(tx, { generation });
    });
  }
  if (moved.length) {
    await sql.query(
      `UPDATE articles a SET source = m.source,
         raw_hash = coalesce(m.raw, a.raw_hash), url_key = CASE WHEN m.text IS NULL THEN a.url_key ELSE m.url END, text_key = coalesce(m.text, a.text_key)
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[]) AS m(rowid, source, raw, url, text)
       WHERE a.rowid = m.rowid`,
      [
        pgArray(moved.map((m) => m.rowid)),
        pgArray(moved.map((m) => m.source)),
        pgArray(moved.map((m) => m.keys?.raw ?? null)),
        pgArray(moved.map((m) => m.keys?.url ?? null)),
        pgArray(moved.map((m) => m.keys?.text ?? null)),
      ],
    );
  }
  // WordNet alternatives are restricted to the words the corpus now uses.
  const vocabulary = new Set((await sql.query<{ term: string }>('SELECT term FROM term_stats WHERE df > 0')).map((r) => r.term));
  const expansions = await buildExpansions((term) => vocabulary.has(term));
  // Related words are corpus-wide statistics: learned by a full build; an update keeps the last ones,
  // restricted to the words the corpus now uses (learning them again would read every passage).
  clock.add('write', since);
  since = performance.now();
  let related: RelatedTerms;
  if (relatedJob) {
    options.onProgress?.({ stage: 'related', done: 0, total: 1, message: 'Learning related words from the corpus' });
    related = await relatedJob;
    options.onProgress?.({ stage: 'related', done: 1, total: 1 });
  } else if (full) related = {};
  else {
    const stored: RelatedTerms = {};
    for (const r of await sql.query<{ term: string; neighbours: Array<[string, number]> }>('SELECT term, neighbours FROM related')) stored[r.term] = r.neighbours;
    related = pruneRelated(stored, (term) => vocabulary.has(term));
  }
  clock.add('related', since);
  throwIfAborted(signal);
  since = performance.now();
  const now = new Date().toISOString();
  generation++;
  const kind = full ? 'full' : 'update';
  await sql.transaction(async (tx) => {
    await tx.query('DELETE FROM expansions');
    const entries = Object.entries(expansions);
    if (entries.length) {
      await tx.query('INSERT INTO expansions (lemma, alternatives) SELECT l, a::jsonb FROM unnest($1::text[], $2::text[]) AS e(l, a)', [
        pgArray(entries.map(([l]) => l)),
        pgArray(entries.map(([, a]) => JSON.stringify(a))),
      ]);
    }
    await tx.query('DELETE FROM related');
    const relatedEntries = Object.entries(related);
    if (relatedEntries.length) {
      await tx.query('INSERT INTO related (term, neighbours) SELECT t, n::jsonb FROM unnest($1::text[], $2::text[]) AS r(t, n)', [
        pgArray(relatedEntries.map(([t]) => t)),
        pgArray(relatedEntries.map(([, n]) => JSON.stringify(n))),
      ]);
    }
    await setMeta(tx, {
      generation,
      created_at: meta.createdAt ?? now,
      updated_at: now,
      dense,
      chunking,
      corpus: { paths: options.corpus, files: stats.files, duplicates: stats.duplicates, problems: stats.problems.length },
      last_update: { kind, at: now, added, changed, removed: removed.length },
      // Written last, once: until the first build commits, readers find no index.
      complete: true,
    });
  });
  // Fresh planner statistics after a large change, or the first questions get plans made for empty tables.
  if (full || added + changed + removed.length > 1000) await sql.query('ANALYZE passages, postings, term_stats, articles');
  clock.add('write', since);
  options.onProgress?.({ stage: 'write', done: 1, total: 1 });
  const [totals] = await sql.query<{ a: string; p: string }>('SELECT (SELECT count(*) FROM articles) AS a, (SELECT passages FROM corpus_stats) AS p');
  return {
    indexFile: sql.location,
    kind,
    fullReason,
    articles: Number(totals?.a ?? 0),
    chunks: Number(totals?.p ?? 0),
    added,
    changed,
    removed: removed.length,
    unchanged,
    ...(kept.length ? { kept } : {}),
    tracked: tracked.counts,
    ...commonReport(stats, embedding, settings, counts, clock),
  };
}

interface StoredMeta {
  complete: boolean;
  generation: number;
  createdAt?: string;
  dense?: DenseInfo | NoDenseInfo;
  chunking?: unknown;
}

async function readMeta(sql: Sql): Promise<StoredMeta> {
  const rows = new Map((await sql.query<{ key: string; value: unknown }>('SELECT key, value FROM meta')).map((r) => [r.key, r.value]));
  const dense = denseSchema.safeParse(rows.get('dense'));
  const chunking = chunkingSchema.safeParse(rows.get('chunking'));
  return {
    complete: rows.get('complete') === true,
    generation: Number(rows.get('generation') ?? 0),
    createdAt: typeof rows.get('created_at') === 'string' ? (rows.get('created_at') as string) : undefined,
    dense: dense.success ? (dense.data as DenseInfo | NoDenseInfo) : undefined,
    chunking: chunking.success ? chunking.data : undefined,
  };
}

async function setMeta(tx: Queryable, values: Record<string, unknown>): Promise<void> {
  const entries = Object.entries(values);
  await tx.query(
    `INSERT INTO meta (key, value) SELECT k, v::jsonb FROM unnest($1::text[], $2::text[]) AS m(k, v)
     ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    [pgArray(entries.map(([k]) => k)), pgArray(entries.map(([, v]) => JSON.stringify(v)))],
  );
}

/**
 * Whether vectors can be stored for `dim`-dimensional embeddings: the `vector` extension, and whether
 * `passage_vectors` exists or must be recreated for another dimension (done by createVectorTable, once
 * the build is known to go ahead). Without pgvector, says why (keyword search runs alone).
 */
async function vectorSupport(sql: Sql, dim: number): Promise<{ ok: true; exists: boolean; recreate: boolean } | { ok: false; reason?: string }> {
  try {
    await sql.query('CREATE EXTENSION IF NOT EXISTS vector');
  } catch (err) {
    return {
      ok: false,
      reason: `PostgreSQL at ${sql.location} has no pgvector extension (${(err as Error).message}): keyword search only. Install pgvector (e.g. the pgvector/pgvector image) and run \`${commandLine('index', '--rebuild')}\`.`,
    };
  }
  const [col] = await sql.query<{ dim: number }>(
    "SELECT atttypmod AS dim FROM pg_attribute WHERE attrelid = to_regclass('passage_vectors') AND attname = 'embedding'",
  );
  return { ok: true, exists: col !== undefined, recreate: col !== undefined && col.dim !== dim };
}

/** Creates `passage_vectors` (dropping the one of another dimension) with its HNSW index. */
async function createVectorTable(sql: Sql, dim: number, drop: boolean): Promise<void> {
  if (drop) await sql.query('DROP TABLE passage_vectors');
  await sql.transaction(async (tx) => {
    await tx.query(`CREATE TABLE IF NOT EXISTS passage_vectors (id integer PRIMARY KEY REFERENCES passages (id) ON DELETE CASCADE, embedding vector(${dim}) NOT NULL)`);
    await tx.query('CREATE INDEX IF NOT EXISTS passage_vectors_hnsw ON passage_vectors USING hnsw (embedding vector_cosine_ops)');
  });
}

/** The weighted tsvector of a passage: title terms at weight A, text terms at B, with positions. */
export function passageVector(titleTerms: readonly string[], textTerms: readonly string[]): string {
  const entries = new Map<string, string[]>();
  let pos = 0;
  const add = (terms: readonly string[], weight: 'A' | 'B'): void => {
    for (const t of terms) {
      pos = Math.min(pos + 1, MAX_POSITION);
      if (t.length > MAX_TERM) continue;
      const list = entries.get(t) ?? [];
      list.push(`${pos}${weight}`);
      entries.set(t, list);
    }
  };
  add(titleTerms, 'A');
  add(textTerms, 'B');
  return [...entries].map(([t, ps]) => `'${t.replace(/\\/g, '\\\\').replace(/'/g, "''")}':${ps.join(',')}`).join(' ');
}

/**
 * Each term's count in the title and the text, as the embedded index counts them (capped at MAX_TF; terms
 * longer than MAX_TERM left out, as from the tsvector). Counted here rather than from the tsvector, which
 * keeps at most 256 positions of a term and folds every position past 16,383 into one.
 */
export function termCounts(titleTerms: readonly string[], textTerms: readonly string[]): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  const add = (terms: readonly string[], field: 0 | 1): void => {
    for (const t of terms) {
      if (t.length > MAX_TERM) continue;
      const tf = out.get(t) ?? [0, 0];
      tf[field] = Math.min(tf[field] + 1, MAX_TF);
      out.set(t, tf);
    }
  };
  add(titleTerms, 0);
  add(textTerms, 1);
  return out;
}

/**
 * The shared preparation (ids from the database's sequence: never reused, whoever else is reading;
 * vectors reused from `passage_vectors`), then each passage's terms as a tsvector.
 */
async function preparePgPassages(
  sql: Sql,
  batch: ReadonlyArray<{ article: Article }>,
  options: PostgresBuildOptions,
  embedder: Embedder | undefined,
  counts: { embedded: number; reused: number },
  clock: Stopwatch,
  related?: RelatedCollector,
): Promise<PgPassage[]> {
  const prepared = await preparePassages(batch, {
    chunking: options.chunking ?? DEFAULT_CHUNK_OPTIONS,
    embedder,
    batchSize: options.settings.EMBED_BATCH_SIZE,
    signal: options.signal,
    ids: async (count) => (await sql.query<{ id: number }>("SELECT nextval('passage_ids')::int AS id FROM generate_series(1, $1::int)", [count])).map((r) => r.id),
    reuse: async (keys) => {
      const stored = new Map<string, Float32Array>();
      for (const r of await sql.query<{ k: string; e: string }>(
        'SELECT DISTINCT ON (p.embed_key) p.embed_key AS k, v.embedding::text AS e FROM passages p JOIN passage_vectors v ON v.id = p.id WHERE p.embed_key = ANY($1::text[])',
        [pgArray([...keys])],
      )) {
        stored.set(r.k, Float32Array.from(JSON.parse(r.e) as number[]));
      }
      return stored;
    },
    counts,
    clock,
  });
  const since = performance.now();
  let title = '';
  let titleTerms: string[] = [];
  const out = prepared.map((p): PgPassage => {
    if (p.title !== title) {
      title = p.title;
      titleTerms = analyze(title);
    }
    const textTerms = analyze(p.text);
    related?.add(textTerms);
    return { ...p, titleLen: titleTerms.length, textLen: textTerms.length, tsv: passageVector(titleTerms, textTerms), tf: termCounts(titleTerms, textTerms) };
  });
  clock.add('chunk', since);
  return out;
}

async function insertArticles(tx: Queryable, batch: ReadonlyArray<{ article: Article; keys: ArticleKeys }>): Promise<number[]> {
  const rows = batch.map(({ article, keys }) => encodeArticle(article, articleHash(article), keys));
  const col = (name: string): string => pgArray(rows.map((r) => r[name] ?? null));
  const names = ['id', 'title', 'url', 'date', 'outlet', 'source', 'hash', 'date_first', 'date_last', 'outlet_key', 'raw_hash', 'url_key', 'text_key'];
  const inserted = await tx.query<{ rowid: number; id: string }>(
    `INSERT INTO articles (${names.join(', ')})
     SELECT * FROM unnest(${names.map((_, i) => `$${i + 1}::text[]`).join(', ')})
     RETURNING rowid, id`,
    names.map(col),
  );
  const byId = new Map(inserted.map((r) => [r.id, r.rowid]));
  return batch.map(({ article }) => byId.get(article.id)!);
}

async function insertPassages(tx: Queryable, passages: readonly PgPassage[], rowids: readonly number[]): Promise<void> {
  if (passages.length === 0) return;
  await tx.query(
    `INSERT INTO passages (id, article, position, start_char, end_char, text, embed_key, title_len, text_len, tsv)
     SELECT id, article, position, s, e, text, k, tl, xl, tsv::tsvector
     FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::text[], $7::text[], $8::int[], $9::int[], $10::text[])
       AS p(id, article, position, s, e, text, k, tl, xl, tsv)`,
    [
      pgArray(passages.map((p) => p.id)),
      pgArray(passages.map((p) => rowids[p.article]!)),
      pgArray(passages.map((p) => p.position)),
      pgArray(passages.map((p) => p.start)),
      pgArray(passages.map((p) => p.end)),
      pgArray(passages.map((p) => p.text)),
      pgArray(passages.map((p) => p.embedKey)),
      pgArray(passages.map((p) => p.titleLen)),
      pgArray(passages.map((p) => p.textLen)),
      pgArray(passages.map((p) => p.tsv)),
    ],
  );
  const withVectors = passages.filter((p) => p.vector);
  if (withVectors.length) {
    await tx.query('INSERT INTO passage_vectors (id, embedding) SELECT id, e::vector FROM unnest($1::int[], $2::text[]) AS v(id, e)', [
      pgArray(withVectors.map((p) => p.id)),
      pgArray(withVectors.map((p) => pgVector(p.vector!))),
    ]);
  }
}

/** The passages' postings: per term, its counts in the title and the text (`termCounts`). */
async function insertPostings(tx: Queryable, passages: readonly PgPassage[]): Promise<void> {
  const rows = passages.flatMap((p) => [...p.tf].map(([term, [title, text]]) => ({ term, id: p.id, title, text, tl: p.titleLen, xl: p.textLen })));
  if (rows.length === 0) return;
  const col = (f: (r: (typeof rows)[number]) => string | number): string => pgArray(rows.map(f));
  await tx.query(
    `INSERT INTO postings (term, passage, tf_title, tf_text, title_len, text_len)
     SELECT * FROM unnest($1::text[], $2::int[], $3::smallint[], $4::smallint[], $5::int[], $6::int[])`,
    [col((r) => r.term), col((r) => r.id), col((r) => r.title), col((r) => r.text), col((r) => r.tl), col((r) => r.xl)],
  );
}

/** Deletes articles (their passages and vectors cascade), taking their terms out of the statistics first. */
async function removeArticles(tx: Queryable, rowids: readonly number[]): Promise<void> {
  await adjustStats(tx, rowids, -1);
  await tx.query(
    `DELETE FROM postings po USING (SELECT u.lexeme, p.id FROM passages p CROSS JOIN LATERAL unnest(p.tsv) u WHERE p.article = ANY($1::int[])) d
     WHERE po.term = d.lexeme AND po.passage = d.id`,
    [pgArray([...rowids])],
  );
  await tx.query('DELETE FROM articles WHERE rowid = ANY($1::int[])', [pgArray([...rowids])]);
  await tx.query('DELETE FROM term_stats WHERE df <= 0');
}

/** Adds (+1) or takes out (−1) the passages of these articles from the term and length statistics. */
async function adjustStats(tx: Queryable, rowids: readonly number[], sign: 1 | -1): Promise<void> {
  if (rowids.length === 0) return;
  const ids = pgArray([...rowids]);
  await tx.query(
    `INSERT INTO term_stats (term, df)
     SELECT u.lexeme, $2::int * count(*) FROM passages p CROSS JOIN LATERAL unnest(p.tsv) u
     WHERE p.article = ANY($1::int[]) GROUP BY u.lexeme
     ON CONFLICT (term) DO UPDATE SET df = term_stats.df + excluded.df`,
    [ids, sign],
  );
  await tx.query(
    `UPDATE corpus_stats SET passages = passages + $2::int * s.n, title_terms = title_terms + $2::int * s.t, text_terms = text_terms + $2::int * s.x
     FROM (SELECT count(*) AS n, coalesce(sum(title_len), 0) AS t, coalesce(sum(text_len), 0) AS x FROM passages WHERE article = ANY($1::int[])) s`,
    [ids, sign],
  );
}
