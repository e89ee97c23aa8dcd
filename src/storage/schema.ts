/**
 * The SQLite schema of an index. Version 1 was the JSON build folders (`build-*` folders with store.json);
 * version 2 stored each keyword segment as one blob, read whole at open; version 3 stores a segment's
 * head and its posting pages apart, so opening reads only the heads; version 4 adds the title lookup
 * (`articles_fts`, kept by triggers) that /sources list and autocomplete read instead of every title.
 * A database whose `format` differs from SCHEMA_VERSION is refused with the rebuild command (a build
 * rebuilds an older one in full).
 */
export const SCHEMA_VERSION = 4;

/**
 * Related words learned from the corpus at build time (src/text/related.ts), JSON [[term, similarity], …].
 * Indexes written before it have no such table: they are read as having no related words.
 */
export const RELATED_TABLE = `
CREATE TABLE IF NOT EXISTS related (
  term TEXT PRIMARY KEY,
  neighbours TEXT NOT NULL
) WITHOUT ROWID;
`;

export const SCHEMA = `
CREATE TABLE meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE articles (
  rowid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  title TEXT NOT NULL,
  url TEXT,
  date TEXT,
  outlet TEXT,
  source TEXT NOT NULL,
  -- sha1 of everything indexed from the article: an update re-indexes it only when this changes
  hash TEXT NOT NULL,
  -- first and last day the date covers (a month-only date covers the month), for date filters
  date_first TEXT,
  date_last TEXT,
  -- lower-cased outlet, for the case-insensitive outlet filter
  outlet_key TEXT,
  -- hash of the raw record it was made from (an unchanged record is not even cleaned again), and
  -- the URL and text keys duplicates are detected by
  raw_hash TEXT,
  url_key TEXT,
  text_key TEXT,
  -- its passages' ids, a contiguous range (filters test passage ids against these ranges)
  first_passage INTEGER,
  last_passage INTEGER
);
CREATE INDEX articles_dates ON articles (date_first, date_last);
-- the listing order (newest first), so a page of all articles reads only that page
CREATE INDEX articles_listing ON articles (date DESC, title);

-- Title and outlet words (case and diacritics folded), for looking articles up as someone types a
-- title; kept in step with articles by the triggers, whoever writes them.
CREATE VIRTUAL TABLE articles_fts USING fts5 (title, outlet, content = 'articles', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN
  INSERT INTO articles_fts (rowid, title, outlet) VALUES (new.rowid, new.title, new.outlet);
END;
CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, outlet) VALUES ('delete', old.rowid, old.title, old.outlet);
END;
CREATE TRIGGER articles_fts_update AFTER UPDATE OF title, outlet ON articles BEGIN
  INSERT INTO articles_fts (articles_fts, rowid, title, outlet) VALUES ('delete', old.rowid, old.title, old.outlet);
  INSERT INTO articles_fts (rowid, title, outlet) VALUES (new.rowid, new.title, new.outlet);
END;

CREATE TABLE passages (
  -- also the HNSW label and the keyword index's doc id; never reused after a delete
  id INTEGER PRIMARY KEY,
  article INTEGER NOT NULL REFERENCES articles (rowid),
  position INTEGER NOT NULL,
  start_char INTEGER NOT NULL,
  end_char INTEGER NOT NULL,
  text TEXT NOT NULL,
  -- hash of (model, embedded text): the re-embedding cache key; NULL without a model
  embed_key TEXT
);
CREATE INDEX passages_article ON passages (article);
CREATE INDEX passages_embed_key ON passages (embed_key) WHERE embed_key IS NOT NULL;

-- The keyword index: immutable segments plus deletion marks for passages that were replaced or
-- removed since their segment was written. A segment is its head (ids, field lengths, dictionary,
-- page checksums: read at open) and its posting pages (read when a question needs a term's
-- postings); the format is src/storage/keyword/segment.ts's.
CREATE TABLE keyword_segments (
  -- never reused (a reader keeps opened segments by id across refreshes)
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  docs INTEGER NOT NULL,
  head BLOB NOT NULL
);
CREATE TABLE keyword_pages (
  segment INTEGER NOT NULL REFERENCES keyword_segments (id),
  page INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (segment, page)
);
CREATE TABLE keyword_deleted (
  id INTEGER PRIMARY KEY
);

-- WordNet alternatives of question words, restricted to the corpus vocabulary (JSON [[term, share], …]).
CREATE TABLE expansions (
  lemma TEXT PRIMARY KEY,
  alternatives TEXT NOT NULL
) WITHOUT ROWID;
${RELATED_TABLE}`;

/** Keys of the meta table. Values are JSON. */
export const META = {
  format: 'format',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  generation: 'generation',
  /** Set once a build has written everything: a database without it is never opened. */
  complete: 'complete',
  dense: 'dense',
  chunking: 'chunking',
  corpus: 'corpus',
  nextPassageId: 'next_passage_id',
  /** Name of the HNSW file of this generation (beside the database), or null. */
  vectorsFile: 'vectors_file',
  /**
   * {file, bytes, sha256} of that HNSW file, set in the same commit. Indexes written before it have
   * none, and a version without it leaves a record naming an older file: either way the check is skipped.
   */
  vectorsChecksum: 'vectors_checksum',
  lastUpdate: 'last_update',
  /** Articles and passages, as of the last commit. */
  counts: 'counts',
} as const;
