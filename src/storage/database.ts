import Database from 'better-sqlite3';
import path from 'node:path';
import { z } from 'zod';
import type { ArticleSummary, SearchFilters } from '../types.js';
import { LIST_MATCH_CAP, type ArticleQuery, type CorpusInfo, type DenseInfo, type IndexInfo, type NoDenseInfo, type OutletCount, type StoredPassage } from './backend.js';
import { accessProblem, IndexError, OldFormatError, rebuildHint } from './errors.js';
import { ARTICLE_COLUMNS, decodeArticle, decodePassage, encodeArticle, PASSAGE_COLUMNS, type ArticleRow, type PassageRow } from './rows.js';
import { META, RELATED_TABLE, SCHEMA, SCHEMA_VERSION } from './schema.js';
import type { Article } from '../types.js';
import { type VectorChecksum, vectorChecksumSchema } from './vectors.js';
import { DamagedSegmentError, type PageSink, Segment, type PostingCache, type StoredSegment } from './keyword/index.js';

export const denseSchema = z.union([
  z.object({
    status: z.literal('ok'),
    model: z.string(),
    dim: z.number().int().positive(),
    pooling: z.enum(['mean', 'cls']),
    queryPrefix: z.string(),
    passagePrefix: z.string(),
    space: z.literal('cosine'),
    M: z.number(),
    efConstruction: z.number(),
    efSearch: z.number(),
    modelDir: z.string().optional(),
  }),
  z.object({ status: z.literal('unavailable'), model: z.string(), reason: z.string() }),
]);
export const chunkingSchema = z.object({ targetWords: z.number(), maxWords: z.number(), overlapWords: z.number() });
export const corpusSchema = z.object({ paths: z.array(z.string()), files: z.number(), duplicates: z.number(), problems: z.number() });

export interface NewPassage {
  id: number;
  article: number;
  position: number;
  start: number;
  end: number;
  text: string;
  embedKey: string | null;
}

export interface SegmentHeadRow {
  id: number;
  docs: number;
  head: Uint8Array;
}

/**
 * One index database file. Readers open it read-only and never block the writer (WAL); the writer
 * holds the folder's lock (src/storage/lock.ts) and changes it in transactions.
 */
export class IndexDatabase {
  private hasRelated: boolean | undefined;
  private pagesStatement: Database.Statement | undefined;

  private constructor(
    readonly file: string,
    readonly db: Database.Database,
  ) {}

  /** A new, empty database (the file must not exist). */
  static create(file: string): IndexDatabase {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 10000');
    db.pragma('synchronous = NORMAL');
    db.exec(SCHEMA);
    const store = new IndexDatabase(file, db);
    store.setMeta(META.format, SCHEMA_VERSION);
    store.setMeta(META.generation, 0);
    store.setMeta(META.nextPassageId, 0);
    return store;
  }

  /** Opens a complete index database, checking that it is readable and of this version. */
  static open(file: string, options: { readonly: boolean }): IndexDatabase {
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: options.readonly, fileMustExist: true });
      db.pragma('busy_timeout = 10000');
      if (!options.readonly) db.pragma('synchronous = NORMAL');
      const store = new IndexDatabase(file, db);
      const format = store.meta<number>(META.format);
      if (format !== SCHEMA_VERSION) {
        const message = `The index ${file} has format ${String(format)}, this version reads ${SCHEMA_VERSION}: ${rebuildHint(path.dirname(file))}.`;
        throw typeof format === 'number' && format < SCHEMA_VERSION ? new OldFormatError(message, format) : new IndexError(message);
      }
      if (store.meta<boolean>(META.complete) !== true) throw new IndexError(`The index ${file} was never completed: ${rebuildHint(path.dirname(file))}.`);
      // Read the metadata a search needs, so a damaged file fails here, with the fix, not mid-question
      // (the keyword segments are read and checksummed next; passages are read per question).
      store.info();
      return store;
    } catch (err) {
      db?.close();
      throw damaged(file, err, { write: !options.readonly });
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** Runs a read of the whole index (an update's): SQLite's damage errors become the one-line IndexError. */
  reading<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      throw damaged(this.file, err);
    }
  }

  meta<T>(key: string): T | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
  }

  /** Runs `fn` in one write transaction (BEGIN IMMEDIATE): all of it commits, or none. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /**
   * Starts a read transaction that lasts until `close`: this connection then sees one generation,
   * whatever a writer commits meanwhile (so a reader can still read the posting pages of segments
   * an update has since merged away). A reader takes its next generation on a new connection.
   */
  pinSnapshot(): void {
    if (this.db.inTransaction) return;
    this.db.prepare('BEGIN').run();
    // A deferred transaction takes its snapshot at the first read.
    this.meta(META.format);
  }

  /** Runs `fn` in one read transaction: a consistent snapshot across statements. */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  counts(): { articles: number; passages: number } {
    const articles = (this.db.prepare('SELECT count(*) AS n FROM articles').get() as { n: number }).n;
    const passages = (this.db.prepare('SELECT count(*) AS n FROM passages').get() as { n: number }).n;
    return { articles, passages };
  }

  /** The newest article's date as written (a month-only date stays one); read through the dates index, so cheap on every refresh. */
  private newestDate(): string | undefined {
    const row = this.db.prepare('SELECT date FROM articles WHERE date_first IS NOT NULL ORDER BY date_first DESC LIMIT 1').get() as { date: string | null } | undefined;
    return row?.date ?? undefined;
  }

  info(): IndexInfo {
    const parse = <T>(schema: z.ZodType<T>, key: string): T => {
      const value = schema.safeParse(this.meta(key));
      if (!value.success) throw new IndexError(`The index ${this.file} has damaged metadata (${key}): ${rebuildHint(path.dirname(this.file))}.`);
      return value.data;
    };
    return {
      location: this.file,
      format: this.meta<number>(META.format) ?? 0,
      createdAt: this.meta<string>(META.createdAt) ?? '',
      updatedAt: this.meta<string>(META.updatedAt) ?? '',
      generation: this.meta<number>(META.generation) ?? 0,
      // Counted at commit: counting 170k rows on every refresh would stall a reader's event loop.
      ...(this.meta<{ articles: number; passages: number }>(META.counts) ?? this.counts()),
      newestDate: this.newestDate(),
      dense: parse(denseSchema, META.dense) as DenseInfo | NoDenseInfo,
      chunking: parse(chunkingSchema, META.chunking),
      corpus: parse(corpusSchema, META.corpus) as CorpusInfo,
    };
  }

  /**
   * The passage-id ranges of the articles matching date and outlet filters (dates inclusive, a
   * month-only date covers its month), sorted, as [first, last] pairs; undefined without filters.
   */
  passageRanges(filters: SearchFilters): Int32Array | undefined {
    const where: string[] = ['first_passage IS NOT NULL'];
    const params: string[] = [];
    if (filters.after) {
      where.push('date_last >= ?');
      params.push(filters.after);
    }
    if (filters.before) {
      where.push('date_first <= ?');
      params.push(filters.before);
    }
    const outlet = filters.outlet?.trim().toLowerCase();
    if (outlet) {
      where.push('instr(outlet_key, ?) > 0');
      params.push(outlet);
    }
    if (where.length === 1) return undefined;
    const rows = this.db.prepare(`SELECT first_passage, last_passage FROM articles WHERE ${where.join(' AND ')} ORDER BY first_passage`).raw().all(...params) as Array<[number, number]>;
    const ranges = new Int32Array(rows.length * 2);
    rows.forEach(([first, last], i) => {
      ranges[2 * i] = first;
      ranges[2 * i + 1] = last;
    });
    return ranges;
  }

  /** Ids of the articles matching the filters (for tests and tools). */
  articlesMatching(filters: SearchFilters): Set<string> | undefined {
    const ranges = this.passageRanges(filters);
    if (!ranges) return undefined;
    const out = new Set<string>();
    const stmt = this.db.prepare('SELECT id FROM articles WHERE first_passage = ?').pluck();
    for (let i = 0; i < ranges.length; i += 2) out.add(stmt.get(ranges[i]) as string);
    return out;
  }

  /** Records each article's passage-id range (after its passages are written). */
  setPassageRanges(rowids?: readonly number[]): void {
    const sql = 'UPDATE articles SET first_passage = (SELECT min(id) FROM passages WHERE article = articles.rowid), last_passage = (SELECT max(id) FROM passages WHERE article = articles.rowid)';
    if (!rowids) {
      this.db.prepare(sql).run();
      return;
    }
    const stmt = this.db.prepare(`${sql} WHERE rowid = ?`);
    for (const rowid of rowids) stmt.run(rowid);
  }

  passagesByIds(ids: readonly number[]): Map<number, StoredPassage> {
    const out = new Map<number, StoredPassage>();
    if (ids.length === 0) return out;
    const stmt = this.db.prepare(`SELECT ${PASSAGE_COLUMNS} FROM passages p JOIN articles a ON a.rowid = p.article WHERE p.id IN (SELECT value FROM json_each(?))`);
    try {
      for (const row of stmt.all(JSON.stringify(ids)) as PassageRow[]) out.set(row.pid, decodePassage(row));
    } catch (err) {
      throw damaged(this.file, err);
    }
    return out;
  }

  /** Every passage in id order (for tools such as eval's baseline), streamed. */
  *allPassages(): Generator<StoredPassage> {
    const stmt = this.db.prepare(`SELECT ${PASSAGE_COLUMNS} FROM passages p JOIN articles a ON a.rowid = p.article ORDER BY p.id`);
    for (const row of stmt.iterate() as IterableIterator<PassageRow>) yield decodePassage(row);
  }

  /**
   * A page of articles, newest first: all of them (the listing index), or the lookup's matches (the
   * title index, at most LIST_MATCH_CAP of them) plus the article with its exact id. (SQLite sorts
   * NULL first, so DESC puts undated articles last.)
   */
  listArticles(query: ArticleQuery, offset: number, limit: number): { total: number; items: ArticleSummary[] } {
    const start = Math.min(offset, LIST_MATCH_CAP);
    if (query.words.length === 0) {
      const rows = this.db.prepare(`SELECT ${ARTICLE_COLUMNS} FROM articles ORDER BY date DESC, title LIMIT ? OFFSET ?`).all(limit, start) as ArticleRow[];
      return { total: this.info().articles, items: rows.map(decodeArticle) };
    }
    const matches = `SELECT rowid FROM articles_fts WHERE articles_fts MATCH @match LIMIT ${LIST_MATCH_CAP}`;
    const ids = `SELECT rowid FROM articles WHERE id = @id UNION ${matches}`;
    const params = { match: ftsQuery(query), id: query.id };
    const total = (this.db.prepare(`SELECT count(*) AS n FROM (${ids})`).get(params) as { n: number }).n;
    const rows = this.db
      .prepare(`SELECT ${ARTICLE_COLUMNS} FROM articles WHERE rowid IN (${ids}) ORDER BY date DESC, title LIMIT @limit OFFSET @start`)
      .all({ ...params, limit, start }) as ArticleRow[];
    return { total, items: rows.map(decodeArticle) };
  }

  /** Outlets whose lower-cased name starts with `prefix`, most articles first (one spelling per outlet). */
  outlets(prefix: string, limit: number): OutletCount[] {
    const key = prefix.trim().toLowerCase();
    return this.db
      .prepare(
        `SELECT min(outlet) AS name, count(*) AS articles FROM articles
         WHERE outlet_key IS NOT NULL AND outlet_key <> '' AND substr(outlet_key, 1, length(?)) = ?
         GROUP BY outlet_key ORDER BY articles DESC, name LIMIT ?`,
      )
      .all(key, key, limit) as OutletCount[];
  }

  /** Article id → rowid, content hash and keys: what an update compares the corpus against. */
  articleHashes(): Map<string, { rowid: number; hash: string; raw: string | null; url: string | null; text: string | null; source: string }> {
    const out = new Map<string, { rowid: number; hash: string; raw: string | null; url: string | null; text: string | null; source: string }>();
    // Reads every article row: a damaged page anywhere in the table shows here, as the one-line error.
    return this.reading(() => {
      const rows = this.db.prepare('SELECT rowid, id, hash, raw_hash, url_key, text_key, source FROM articles').raw().iterate() as IterableIterator<
        [number, string, string, string | null, string | null, string | null, string]
      >;
      for (const [rowid, id, hash, raw, url, text, source] of rows) out.set(id, { rowid, hash, raw, url, text, source });
      return out;
    });
  }

  /** Embedding key → passage id, for re-using vectors whose text and model are unchanged. */
  embedKeys(): Map<string, number> {
    const out = new Map<string, number>();
    return this.reading(() => {
      for (const [id, key] of this.db.prepare('SELECT id, embed_key FROM passages WHERE embed_key IS NOT NULL').raw().iterate() as IterableIterator<[number, string]>) {
        out.set(key, id);
      }
      return out;
    });
  }

  /** The heads of the keyword segments `ids` (what opening a segment reads). */
  segmentHeads(ids: readonly number[]): SegmentHeadRow[] {
    const stmt = this.db.prepare('SELECT id, docs, head FROM keyword_segments WHERE id = ?');
    return ids.map((id) => {
      const row = stmt.get(id) as SegmentHeadRow | undefined;
      if (!row) throw new IndexError(`The index ${this.file} lists keyword segment ${id} but does not hold it: ${rebuildHint(path.dirname(this.file))}.`);
      return row;
    });
  }

  /**
   * Opens the stored keyword segments `ids`: their heads are read and verified now, their postings
   * read on demand (into `cache`) through `pages.db` — a holder, so that a reader can move kept
   * segments to its next connection when it refreshes.
   */
  openSegments(ids: readonly number[], cache: PostingCache, pages: { db: IndexDatabase } = { db: this }): Map<number, Segment> {
    const out = new Map<number, Segment>();
    for (const row of this.segmentHeads(ids)) {
      const { id } = row;
      try {
        out.set(id, Segment.open(row.head, (first, last) => pages.db.postingPages(id, first, last), { cache, name: `segment ${id}` }));
      } catch (err) {
        throw damagedKeywords(this.file, err);
      }
    }
    return out;
  }

  /** Posting pages first..last of a keyword segment, in order: one range query (the segment checks what it gets). */
  postingPages(segment: number, first: number, last: number): Uint8Array[] {
    this.pagesStatement ??= this.db.prepare('SELECT data FROM keyword_pages WHERE segment = ? AND page BETWEEN ? AND ? ORDER BY page').pluck();
    try {
      return this.pagesStatement.all(segment, first, last) as Uint8Array[];
    } catch (err) {
      throw damaged(this.file, err);
    }
  }

  segmentIds(): number[] {
    return this.reading(() => this.db.prepare('SELECT id FROM keyword_segments ORDER BY id').pluck().all() as number[]);
  }

  deletedIds(): number[] {
    return this.reading(() => this.db.prepare('SELECT id FROM keyword_deleted').pluck().all() as number[]);
  }

  /**
   * The checksum recorded for the vector file `name` when it was committed; undefined when none was
   * (an index written before checksums, or updated since by a version without them: the record then
   * names an older file), and the check is skipped.
   */
  vectorsChecksum(name: string): VectorChecksum | undefined {
    const value = this.meta<unknown>(META.vectorsChecksum);
    if (value === undefined || value === null) return undefined;
    const parsed = vectorChecksumSchema.safeParse(value);
    if (!parsed.success) throw new IndexError(`The index ${this.file} has damaged metadata (${META.vectorsChecksum}): ${rebuildHint(path.dirname(this.file))}.`);
    return parsed.data.file === name ? parsed.data : undefined;
  }

  /** Corpus-learned related terms of an index term (none in an index built before they existed). */
  related(term: string): Array<[string, number]> | undefined {
    this.hasRelated ??= this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'related'").get() !== undefined;
    if (!this.hasRelated) return undefined;
    const row = this.db.prepare('SELECT neighbours FROM related WHERE term = ?').pluck().get(term) as string | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as Array<[string, number]>);
  }

  expansion(lemma: string): Array<[string, number]> | undefined {
    const row = this.db.prepare('SELECT alternatives FROM expansions WHERE lemma = ?').pluck().get(lemma) as string | undefined;
    return row === undefined ? undefined : (JSON.parse(row) as Array<[string, number]>);
  }

  // ---- writing (the caller holds the folder lock and wraps these in `transaction`) ----

  insertArticle(article: Omit<Article, 'text'>, hash: string, keys?: { raw: string; url?: string; text: string }): number {
    const info = this.db
      .prepare(
        'INSERT INTO articles (id, title, url, date, outlet, source, hash, date_first, date_last, outlet_key, raw_hash, url_key, text_key) VALUES (@id, @title, @url, @date, @outlet, @source, @hash, @date_first, @date_last, @outlet_key, @raw_hash, @url_key, @text_key)',
      )
      .run(encodeArticle(article, hash, keys));
    return Number(info.lastInsertRowid);
  }

  insertPassages(passages: readonly NewPassage[]): void {
    const stmt = this.db.prepare('INSERT INTO passages (id, article, position, start_char, end_char, text, embed_key) VALUES (?, ?, ?, ?, ?, ?, ?)');
    for (const p of passages) stmt.run(p.id, p.article, p.position, p.start, p.end, p.text, p.embedKey);
  }

  /** Removes an article and its passages; returns the removed passage ids. */
  deleteArticle(rowid: number): number[] {
    const ids = this.db.prepare('SELECT id FROM passages WHERE article = ?').pluck().all(rowid) as number[];
    this.db.prepare('DELETE FROM passages WHERE article = ?').run(rowid);
    this.db.prepare('DELETE FROM articles WHERE rowid = ?').run(rowid);
    return ids;
  }

  /** Writes a segment (`Segment.stored()`): its head row, then its pages; returns its id. */
  addSegment(segment: StoredSegment): number {
    const blob = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);
    const id = Number(this.db.prepare('INSERT INTO keyword_segments (docs, head) VALUES (?, ?)').run(segment.docs, blob(segment.head)).lastInsertRowid);
    const page = this.db.prepare('INSERT INTO keyword_pages (segment, page, data) VALUES (?, ?, ?)');
    segment.pages.forEach((data, n) => {
      page.run(id, n, blob(data));
    });
    return id;
  }

  /**
   * Writes a segment whose pages come one at a time (a streaming merge): `write` hands each page
   * to its sink as it fills and returns the head, stored last. Run it inside a transaction, so
   * that no reader ever sees the segment half written.
   */
  writeSegment(write: (sink: PageSink) => { docs: number; head: Uint8Array }): number {
    const id = Number(this.db.prepare("INSERT INTO keyword_segments (docs, head) VALUES (0, x'')").run().lastInsertRowid);
    const page = this.db.prepare('INSERT INTO keyword_pages (segment, page, data) VALUES (?, ?, ?)');
    const { docs, head } = write((n, data) => {
      page.run(id, n, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    });
    this.db.prepare('UPDATE keyword_segments SET docs = ?, head = ? WHERE id = ?').run(docs, Buffer.from(head.buffer, head.byteOffset, head.byteLength), id);
    return id;
  }

  removeSegments(ids: readonly number[]): void {
    const pages = this.db.prepare('DELETE FROM keyword_pages WHERE segment = ?');
    const heads = this.db.prepare('DELETE FROM keyword_segments WHERE id = ?');
    for (const id of ids) {
      pages.run(id);
      heads.run(id);
    }
  }

  markDeleted(ids: Iterable<number>): void {
    const stmt = this.db.prepare('INSERT OR IGNORE INTO keyword_deleted (id) VALUES (?)');
    for (const id of ids) stmt.run(id);
  }

  clearDeleted(): void {
    this.db.prepare('DELETE FROM keyword_deleted').run();
  }

  replaceExpansions(expansions: Record<string, Array<[string, number]>>): void {
    this.db.prepare('DELETE FROM expansions').run();
    const stmt = this.db.prepare('INSERT INTO expansions (lemma, alternatives) VALUES (?, ?)');
    for (const [lemma, list] of Object.entries(expansions)) stmt.run(lemma, JSON.stringify(list));
  }

  /** Every term's related terms (empty in an index built before they existed). */
  allRelated(): Record<string, Array<[string, number]>> {
    this.hasRelated ??= this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'related'").get() !== undefined;
    const out: Record<string, Array<[string, number]>> = {};
    if (!this.hasRelated) return out;
    for (const r of this.db.prepare('SELECT term, neighbours FROM related').iterate() as IterableIterator<{ term: string; neighbours: string }>) {
      out[r.term] = JSON.parse(r.neighbours) as Array<[string, number]>;
    }
    return out;
  }

  replaceRelated(related: Record<string, Array<[string, number]>>): void {
    this.db.exec(RELATED_TABLE);
    this.db.prepare('DELETE FROM related').run();
    const stmt = this.db.prepare('INSERT INTO related (term, neighbours) VALUES (?, ?)');
    for (const [term, list] of Object.entries(related)) stmt.run(term, JSON.stringify(list));
    this.hasRelated = true;
  }

  /** Folds the WAL into the database file (after a full build, so the file stands alone). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}

/** A keyword segment that fails its checks (at open, or a posting page when read), as the one-line error naming the index and the fix. */
export function damagedKeywords(file: string, err: unknown): Error {
  if (err instanceof DamagedSegmentError) return new IndexError(`The keyword index in ${file} is damaged (${err.detail}): ${rebuildHint(path.dirname(file))}.`);
  return err as Error;
}

/** SQLite's "not a database" / "malformed" and friends, as the one-line error naming the fix. */
export function damaged(file: string, err: unknown, options: { write?: boolean } = {}): Error {
  if (err instanceof IndexError) return err;
  // A folder or file this user may not write (or read) is not damage: say what permission is missing.
  const access = accessProblem(path.dirname(file), err, { ...options, file });
  if (access) return access;
  const code = (err as { code?: string }).code ?? '';
  if (/^SQLITE_(CORRUPT|NOTADB|IOERR|CANTOPEN|ERROR|RANGE|FORMAT)/.test(code) || err instanceof SyntaxError) {
    return new IndexError(`The index database ${file} is damaged (${(err as Error).message}): ${rebuildHint(path.dirname(file))}.`);
  }
  return err as Error;
}

/** An FTS5 query: every word as a quoted token (words are letters and digits only), the last as a prefix while typed. */
function ftsQuery(query: ArticleQuery): string {
  return query.words.map((w, i) => `"${w.replaceAll('"', '""')}"${query.prefix && i === query.words.length - 1 ? '*' : ''}`).join(' ');
}
