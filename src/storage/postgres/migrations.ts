import type { Queryable, Sql } from './sql.js';

/**
 * The PostgreSQL schema as numbered migrations, applied in order and recorded in
 * `schema_migrations`; applying them again does nothing. Never edit a released migration: add one.
 *
 * The keyword side stores our own analysis (the same stemmed terms as the embedded index) as a
 * weighted tsvector — title terms weight A, text terms weight B, with positions — so both backends
 * match the same words (the GIN index serves ad-hoc `@@` queries). BM25 is computed in SQL from
 * `postings` (migration 2): one row per term and passage (migration 2 derived them from the tsvector; the indexer now writes its own counts, capped as the embedded segments cap them).
 * Vectors live in `passage_vectors`, created by the indexer once it knows the model's dimension
 * and only when the `vector` extension (pgvector) is available.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'articles, passages with a weighted tsvector, term statistics, expansions',
    sql: `
CREATE TABLE meta (
  key text PRIMARY KEY,
  value jsonb NOT NULL
);
CREATE TABLE articles (
  rowid integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text NOT NULL UNIQUE,
  title text NOT NULL,
  url text,
  date text,
  outlet text,
  source text NOT NULL,
  -- sha1 of everything indexed from the article: an update re-indexes it only when this changes
  hash text NOT NULL,
  -- first and last day the date covers (a month-only date covers the month), for date filters
  date_first text,
  date_last text,
  -- lower-cased outlet, for the case-insensitive outlet filter
  outlet_key text,
  raw_hash text,
  url_key text,
  text_key text
);
CREATE INDEX articles_dates ON articles (date_first, date_last);
-- passage ids are never reused after a delete (readers may hold ids across an update)
CREATE SEQUENCE passage_ids AS integer MINVALUE 0 START 0;
CREATE TABLE passages (
  id integer PRIMARY KEY,
  article integer NOT NULL REFERENCES articles (rowid) ON DELETE CASCADE,
  position integer NOT NULL,
  start_char integer NOT NULL,
  end_char integer NOT NULL,
  text text NOT NULL,
  embed_key text,
  -- analysed term counts of the title and the text, for BM25's length normalisation
  title_len integer NOT NULL,
  text_len integer NOT NULL,
  tsv tsvector NOT NULL
);
CREATE INDEX passages_article ON passages (article);
CREATE INDEX passages_tsv ON passages USING gin (tsv);
CREATE INDEX passages_embed_key ON passages (embed_key) WHERE embed_key IS NOT NULL;
-- passages containing each term (kept by the indexer in the same transactions as the passages)
CREATE TABLE term_stats (
  term text PRIMARY KEY,
  df integer NOT NULL
);
CREATE TABLE corpus_stats (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  passages bigint NOT NULL,
  title_terms bigint NOT NULL,
  text_terms bigint NOT NULL
);
INSERT INTO corpus_stats VALUES (true, 0, 0, 0);
CREATE TABLE expansions (
  lemma text PRIMARY KEY,
  alternatives jsonb NOT NULL
);
`,
  },
  {
    version: 2,
    name: 'postings: per-term BM25 inputs, so a question costs its terms’ postings, not its matches’ whole tsvectors',
    // Measured on news-2022 (40k passages): unnesting each matched passage's tsvector to read term
    // frequencies took p50 0.9 s per question; an index-only scan of the query terms' postings does not
    // grow with the passages' length. The tsvector stays the stored analysis these rows are derived from.
    sql: `
CREATE TABLE postings (
  term text NOT NULL,
  passage integer NOT NULL,
  tf_title smallint NOT NULL,
  tf_text smallint NOT NULL,
  title_len integer NOT NULL,
  text_len integer NOT NULL,
  PRIMARY KEY (term, passage) INCLUDE (tf_title, tf_text, title_len, text_len)
);
INSERT INTO postings
  SELECT u.lexeme, p.id, cardinality(array_positions(u.weights, 'A')), cardinality(array_positions(u.weights, 'B')), p.title_len, p.text_len
  FROM passages p CROSS JOIN LATERAL unnest(p.tsv) u
`,
  },
  {
    version: 3,
    name: 'related: words learned from the corpus (src/text/related.ts), written by a full build',
    // Empty until the next full build (`npm run index -- --rebuild`): an index without them ranks as before.
    sql: `
CREATE TABLE related (
  term text PRIMARY KEY,
  neighbours jsonb NOT NULL
)
`,
  },
  {
    version: 4,
    name: 'title lookup: /sources list and autocomplete read a GIN index of title and outlet words, not every title',
    // Measured on news-2022: reading and filtering the whole articles table took 67–173 ms per keystroke.
    // 'simple' lower-cases without stemming (words are matched whole, the one being typed as a prefix).
    sql: `
ALTER TABLE articles ADD COLUMN title_words tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || coalesce(outlet, ''))) STORED;
CREATE INDEX articles_title_words ON articles USING gin (title_words);
CREATE INDEX articles_listing ON articles (date DESC NULLS LAST, title)
`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** Any number: the key of the advisory lock that serialises migrations across processes. */
const MIGRATION_LOCK = 7_261_001;

/** Applies the migrations not applied yet, in one transaction; returns the versions applied now. */
export async function migrate(sql: Sql): Promise<number[]> {
  return sql.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // A migration may rewrite a large table: the statement timeout that guards questions does not apply.
    await tx.query('SET LOCAL statement_timeout = 0');
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue;
      await exec(tx, m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return applied;
  });
}

/** The schema version of a database: 0 when it has none (never migrated). */
export async function schemaVersion(q: Queryable): Promise<number> {
  const [exists] = await q.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t");
  if (!exists?.t) return 0;
  const [row] = await q.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_migrations');
  return row?.v ?? 0;
}

/** Runs a script statement by statement (the extended protocol takes one statement at a time). */
async function exec(q: Queryable, script: string): Promise<void> {
  const statements = script
    .replace(/--[^\n]*/g, '')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of statements) await q.query(s);
}
