import { createHmac, randomBytes } from 'node:crypto';
import { accessSync, chmodSync, closeSync, constants, existsSync, linkSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { AccessError } from '../../storage/errors.js';
import { makeFolderSync } from '../../storage/make-folder.js';

/**
 * The bot's own state: one SQLite file in DATA_DIR (not the index, which reindexes replace) holding
 * per-guild settings, the question log and votes. WAL, so every shard of a sharded bot can share it.
 * This module is the only one that knows the file's format.
 *
 * The file is created on the first write (a setting changed, a question logged): a bot with
 * FEEDBACK=off whose servers never ran /settings leaves nothing on disk.
 */

export type Visibility = 'public' | 'private';

/** The .env values a guild without its own settings uses. */
export interface SettingsDefaults {
  adminRoleIds: readonly string[];
  rateLimitMax: number;
  rateLimitWindowSeconds: number;
  visibility: Visibility;
}

/** A guild's effective settings: its own where it set them, the .env defaults elsewhere. */
export interface GuildSettings {
  adminRoleIds: readonly string[];
  rateLimit: { max: number; windowSeconds: number };
  visibility: Visibility;
  /** Channels where every question-like message is answered (this guild's own; ASK_CHANNEL_IDS is separate). */
  askChannelIds: ReadonlySet<string>;
  /** Which of the above the guild set itself (the rest are defaults). */
  own: { adminRoles: boolean; rateLimit: boolean; visibility: boolean };
}

/** A passage an answer page showed. */
export interface ShownPassage {
  rank: number;
  articleId: string;
  chunkId: number;
  title: string;
}

export interface QuestionEntry {
  guildId: string | null;
  channelId: string | null;
  kind: string;
  question: string;
  filters: { after?: string; before?: string; outlet?: string };
  answered: boolean;
  /** The confidence model's probability for the top passage, when there was one. */
  confidence?: number;
  top?: { articleId: string; chunkId: number; title: string; url?: string };
  at?: Date;
}

export interface VoteEntry {
  questionId: number;
  offset: number;
  userId: string;
  vote: 'up' | 'down';
  results: readonly ShownPassage[];
  at?: Date;
}

export interface DayCounts {
  /** YYYY-MM-DD (UTC). */
  day: string;
  asked: number;
  answered: number;
  refused: number;
  up: number;
  down: number;
}

export interface DownVoted {
  question: string;
  kind: string;
  down: number;
  up: number;
  topTitle: string | null;
  topUrl: string | null;
}

export interface FeedbackReport {
  totals: Omit<DayCounts, 'day'>;
  /** The last `days` days, oldest first, including days with nothing. */
  days: DayCounts[];
  mostDownVoted: DownVoted[];
}

/** A vote with its question, for `npm run export-feedback`. */
export interface VoteRecord {
  questionId: number;
  guildId: string | null;
  kind: string;
  question: string;
  filters: { after?: string; before?: string; outlet?: string };
  offset: number;
  vote: 'up' | 'down';
  results: ShownPassage[];
  votedAt: string;
}

/**
 * Where the bot's answer to a member's message is (mentions, ask channels, forum posts, follow-ups),
 * so an edit or deletion of the question is followed after a restart too. Ids and hashes, no text.
 */
export interface MessageAnswer {
  questionId: string;
  guildId: string;
  channelId: string;
  messageId: string;
  /** A hash of the question message's text as it was answered (keyed: see keyedHash). */
  textHash: string;
  /** A hash of the question as searched (keyed too). */
  questionHash: string;
  /** Answered as a follow-up of earlier questions (which are not stored: read back from the thread). */
  followUp: boolean;
  at?: Date;
}

/**
 * How long, and how many per server, answers to messages are remembered: edits of older questions
 * are not followed. Per server, so a busy server only ever pushes out its own.
 */
export const MESSAGE_ANSWER_DAYS = 30;
export const MESSAGE_ANSWERS_PER_GUILD = 20_000;

/** The state file cannot be used: the message is one line naming the file and the fix. */
export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StateError';
  }
}

export const STATE_FILE_NAME = 'state.db';
/**
 * The key of the voter hashes, apart from the hashes (mode 0600 in DATA_DIR): a copy of state.db
 * alone cannot tell who voted. Installs before this kept it in the state file ('voter-salt' in
 * meta); it is moved out once, unchanged, so the stored hashes stay valid.
 */
export const VOTER_KEY_FILE = 'voter-key';
/** Stored instead of a question's text when it must not be kept: a private /ask, another member's message. */
export const UNSTORED_TEXT = '';
const LEGACY_FEEDBACK = 'feedback.jsonl';
/** How long opening the file waits out other processes (shards starting together) before giving up. */
const CONNECT_PATIENCE_MS = 15_000;
const IMPORTED_KEY = 'imported-feedback-jsonl';

const legacyRecord = z.object({
  at: z.string(),
  vote: z.enum(['up', 'down']),
  userId: z.string().min(1),
  guildId: z.string().nullable(),
  channelId: z.string().nullable(),
  kind: z.string(),
  question: z.string(),
  filters: z.object({ after: z.string().optional(), before: z.string().optional(), outlet: z.string().optional() }).default({}),
  offset: z.number().int().min(0),
  mode: z.string().optional(),
  abstained: z.boolean(),
  results: z.array(z.object({ rank: z.number(), articleId: z.string(), chunkId: z.number(), title: z.string() })),
});

const shownSchema = z.array(z.object({ rank: z.number(), articleId: z.string(), chunkId: z.number(), title: z.string() }));
const filtersSchema = z.object({ after: z.string().optional(), before: z.string().optional(), outlet: z.string().optional() });

export interface OpenOptions {
  /** Import DATA_DIR/feedback.jsonl (the bot's vote log before this file existed) if not done yet. */
  importLegacy?: boolean;
  /** Told about one-off events worth a log line (the import, the key moved out of the file). */
  onNotice?: (message: string) => void;
  /**
   * The caller writes the file (the bot): an existing state file this user may not write fails at
   * open, in one line, not at the first /settings or vote. Readers (export-feedback) leave it unset.
   */
  writable?: boolean;
}

/** The statements run for every answered message, prepared once per connection. */
interface AnswerStatements {
  db: Database.Database;
  insert: Database.Statement;
  remove: Database.Statement;
  read: Database.Statement;
  expire: Database.Statement;
  count: Database.Statement;
  dropOldest: Database.Statement;
}

/** Answers to messages saved for a server between two counts of its rows (the count drifts only if another process deletes them). */
const RECOUNT_EVERY = 100;

export class BotState {
  private db: Database.Database | undefined;
  private salt: string | undefined;
  private answerSql: AnswerStatements | undefined;
  /** Each server's rows of message_answers as last counted, and saves since: the per-server bound without a count per save. */
  private readonly answerRows = new Map<string, { rows: number; saves: number }>();

  private notice: (message: string) => void = () => {};

  private constructor(
    readonly file: string,
    private readonly defaults: SettingsDefaults,
  ) {}

  /** The voter-hash key's file. */
  get keyFile(): string {
    return path.join(path.dirname(this.file), VOTER_KEY_FILE);
  }

  /** The state file of DATA_DIR (opened now if it exists, so a damaged one fails at startup). */
  static open(dataDir: string, defaults: SettingsDefaults, options: OpenOptions = {}): BotState {
    // A file named as DATA_DIR: said now, not as a "damaged" state file at the first write.
    const info = statSync(dataDir, { throwIfNoEntry: false });
    if (info && !info.isDirectory()) {
      throw new StateError(`DATA_DIR ${dataDir} ${info.isFile() ? 'is a file, not a folder' : 'is not a folder'}: set DATA_DIR to a folder (the bot keeps its state file, ${STATE_FILE_NAME}, there).`);
    }
    const state = new BotState(path.join(dataDir, STATE_FILE_NAME), defaults);
    if (options.onNotice) state.notice = options.onNotice;
    if (options.writable) state.checkWritable();
    const legacy = path.join(dataDir, LEGACY_FEEDBACK);
    if (existsSync(state.file) || (options.importLegacy && existsSync(legacy))) state.connect();
    if (options.importLegacy && existsSync(legacy)) {
      const result = state.importLegacy(legacy);
      if (result) {
        const bad = result.skipped.length ? `; ${result.skipped.length} unreadable lines left out (${LEGACY_FEEDBACK} lines ${result.skipped.slice(0, 10).join(', ')}${result.skipped.length > 10 ? ', …' : ''})` : '';
        options.onNotice?.(`Imported ${result.imported} votes from ${legacy} into ${state.file}${bad}.`);
      }
      state.removeImportedLegacy(legacy);
    }
    return state;
  }

  /** SQLite opens a file it may not write read-only without a word, and refuses the first write: say so now. */
  private checkWritable(): void {
    for (const f of [path.dirname(this.file), this.file, `${this.file}-wal`, `${this.file}-shm`]) {
      if (!existsSync(f)) continue;
      try {
        accessSync(f, constants.W_OK);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
        const owner = statSync(f).uid;
        throw new StateError(
          `This user (uid ${process.getuid?.() ?? '?'}) may not write ${f} (${code}; owned by uid ${owner}), where the bot keeps its settings and votes: give it read and write permission (chown, or chmod u+rw) or run the bot as its owner.`,
        );
      }
    }
  }

  /**
   * Deletes the old vote log (raw user ids) once the state file records its import and the file is
   * the one imported (same size and time): the votes are in the state file, keyed by hashes.
   */
  private removeImportedLegacy(legacy: string): void {
    const row = this.reader()?.prepare('SELECT value FROM meta WHERE key = ?').get(IMPORTED_KEY) as { value: string } | undefined;
    if (!row) return;
    const done = JSON.parse(row.value) as { size?: number; mtimeMs?: number; imported?: number };
    const now = statSync(legacy, { throwIfNoEntry: false });
    if (!now) return;
    if (now.size !== done.size || now.mtimeMs !== done.mtimeMs) {
      this.notice(`${legacy} changed since its votes were imported into ${this.file}: kept, not read again. Delete it once you no longer need it (it holds raw user ids).`);
      return;
    }
    try {
      rmSync(legacy, { force: true });
      this.notice(`Deleted ${legacy} (it held raw user ids): its ${done.imported ?? 0} votes were imported into ${this.file} before.`);
    } catch (err) {
      this.notice(`Could not delete ${legacy} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): its votes are in ${this.file}; delete it yourself (it holds raw user ids).`);
    }
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.answerSql = undefined;
    this.answerRows.clear();
  }

  // ---- settings ------------------------------------------------------------------------------

  settings(guildId: string | null): GuildSettings {
    const defaults: GuildSettings = {
      adminRoleIds: this.defaults.adminRoleIds,
      rateLimit: { max: this.defaults.rateLimitMax, windowSeconds: this.defaults.rateLimitWindowSeconds },
      visibility: this.defaults.visibility,
      askChannelIds: new Set(),
      own: { adminRoles: false, rateLimit: false, visibility: false },
    };
    const db = guildId ? this.reader() : undefined;
    if (!db || !guildId) return defaults;
    const row = db.prepare('SELECT rate_limit_max, rate_limit_window_seconds, visibility, own_admin_roles FROM guild_settings WHERE guild_id = ?').get(guildId) as
      | { rate_limit_max: number | null; rate_limit_window_seconds: number | null; visibility: Visibility | null; own_admin_roles: number }
      | undefined;
    const channels = (db.prepare('SELECT channel_id FROM guild_ask_channels WHERE guild_id = ? ORDER BY channel_id').all(guildId) as { channel_id: string }[]).map((r) => r.channel_id);
    const ownRoles = row?.own_admin_roles === 1;
    const ownRate = row?.rate_limit_max != null && row.rate_limit_window_seconds != null;
    return {
      adminRoleIds: ownRoles ? this.ownRoles(db, guildId) : defaults.adminRoleIds,
      rateLimit: ownRate ? { max: row.rate_limit_max!, windowSeconds: row.rate_limit_window_seconds! } : defaults.rateLimit,
      visibility: row?.visibility ?? defaults.visibility,
      askChannelIds: new Set(channels),
      own: { adminRoles: ownRoles, rateLimit: ownRate, visibility: row?.visibility != null },
    };
  }

  /** The guilds that set ask channels (they need the Message Content intent, chosen at startup). */
  askChannelGuilds(): string[] {
    const db = this.reader();
    if (!db) return [];
    return (db.prepare('SELECT DISTINCT guild_id FROM guild_ask_channels ORDER BY guild_id').all() as { guild_id: string }[]).map((r) => r.guild_id);
  }

  /** Whether any guild has ask channels (they need the Message Content intent, chosen at startup). */
  anyAskChannels(): boolean {
    const db = this.reader();
    return !!db && db.prepare('SELECT 1 FROM guild_ask_channels LIMIT 1').get() !== undefined;
  }

  /**
   * Adds an admin role. A guild's first change copies the .env list (ADMIN_ROLE_IDS) into its own,
   * so what /settings showed before stays true. Returns false when the role was already there.
   */
  addAdminRole(guildId: string, roleId: string): boolean {
    return this.write((db) => {
      this.ownRoleList(db, guildId);
      return db.prepare('INSERT OR IGNORE INTO guild_admin_roles (guild_id, role_id) VALUES (?, ?)').run(guildId, roleId).changes > 0;
    });
  }

  /** Removes an admin role (from the guild's own list, made from the .env one first). False when it was not there. */
  removeAdminRole(guildId: string, roleId: string): boolean {
    return this.write((db) => {
      this.ownRoleList(db, guildId);
      return db.prepare('DELETE FROM guild_admin_roles WHERE guild_id = ? AND role_id = ?').run(guildId, roleId).changes > 0;
    });
  }

  setRateLimit(guildId: string, max: number, windowSeconds: number): void {
    this.write((db) => {
      this.ensureGuild(db, guildId);
      db.prepare('UPDATE guild_settings SET rate_limit_max = ?, rate_limit_window_seconds = ?, updated_at = ? WHERE guild_id = ?').run(max, windowSeconds, now(), guildId);
    });
  }

  setVisibility(guildId: string, visibility: Visibility): void {
    this.write((db) => {
      this.ensureGuild(db, guildId);
      db.prepare('UPDATE guild_settings SET visibility = ?, updated_at = ? WHERE guild_id = ?').run(visibility, now(), guildId);
    });
  }

  addAskChannel(guildId: string, channelId: string): boolean {
    return this.write((db) => db.prepare('INSERT OR IGNORE INTO guild_ask_channels (guild_id, channel_id) VALUES (?, ?)').run(guildId, channelId).changes > 0);
  }

  removeAskChannel(guildId: string, channelId: string): boolean {
    const db = this.reader();
    if (!db) return false;
    return this.write((w) => w.prepare('DELETE FROM guild_ask_channels WHERE guild_id = ? AND channel_id = ?').run(guildId, channelId).changes > 0);
  }

  /** Back to the .env defaults for everything (ask channels removed too). */
  resetSettings(guildId: string): void {
    if (!this.reader()) return;
    this.write((db) => {
      for (const table of ['guild_settings', 'guild_admin_roles', 'guild_ask_channels']) db.prepare(`DELETE FROM ${table} WHERE guild_id = ?`).run(guildId);
    });
  }

  // ---- question log and votes ------------------------------------------------------------------

  /** Logs an answered (or refused) question; returns its id for votes on the answer. */
  logQuestion(q: QuestionEntry): number {
    return this.write((db) => this.questionInserter(db)(q, (q.at ?? new Date()).toISOString()));
  }

  /** Records a vote: one per user per page of an answer (a second vote replaces the first). */
  recordVote(v: VoteEntry): 'recorded' | 'changed' | 'unchanged' {
    return this.write((db) => {
      const voter = this.voterKey(v.userId);
      const before = db.prepare('SELECT vote FROM votes WHERE question_id = ? AND page_offset = ? AND voter = ?').get(v.questionId, v.offset, voter) as { vote: string } | undefined;
      db.prepare(
        `INSERT INTO votes (question_id, page_offset, voter, vote, results, voted_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (question_id, page_offset, voter) DO UPDATE SET vote = excluded.vote, results = excluded.results, voted_at = excluded.voted_at`,
      ).run(v.questionId, v.offset, voter, v.vote, JSON.stringify(v.results), (v.at ?? new Date()).toISOString());
      return !before ? 'recorded' : before.vote === v.vote ? 'unchanged' : 'changed';
    });
  }

  /** Counts for /feedback report: this guild only, the last `days` days by UTC date. */
  report(guildId: string, options: { days?: number; now?: Date; top?: number } = {}): FeedbackReport {
    const dayCount = options.days ?? 14;
    const end = options.now ?? new Date();
    const days: DayCounts[] = [];
    for (let i = dayCount - 1; i >= 0; i--) {
      days.push({ day: new Date(end.getTime() - i * 86_400_000).toISOString().slice(0, 10), asked: 0, answered: 0, refused: 0, up: 0, down: 0 });
    }
    const empty = { asked: 0, answered: 0, refused: 0, up: 0, down: 0 };
    const db = this.reader();
    if (!db) return { totals: empty, days, mostDownVoted: [] };
    const byDay = new Map(days.map((d) => [d.day, d]));
    const since = days[0]!.day;
    const asked = db
      .prepare(
        `SELECT substr(asked_at, 1, 10) AS day, count(*) AS asked, sum(answered) AS answered FROM questions
         WHERE guild_id = ? AND asked_at >= ? GROUP BY day`,
      )
      .all(guildId, since) as { day: string; asked: number; answered: number }[];
    for (const r of asked) {
      const d = byDay.get(r.day);
      if (d) Object.assign(d, { asked: r.asked, answered: r.answered, refused: r.asked - r.answered });
    }
    const votes = db
      .prepare(
        `SELECT substr(v.voted_at, 1, 10) AS day, sum(v.vote = 'up') AS up, sum(v.vote = 'down') AS down FROM votes v JOIN questions q ON q.id = v.question_id
         WHERE q.guild_id = ? AND v.voted_at >= ? GROUP BY day`,
      )
      .all(guildId, since) as { day: string; up: number; down: number }[];
    for (const r of votes) {
      const d = byDay.get(r.day);
      if (d) Object.assign(d, { up: r.up, down: r.down });
    }
    const q = db.prepare('SELECT count(*) AS asked, coalesce(sum(answered), 0) AS answered FROM questions WHERE guild_id = ?').get(guildId) as { asked: number; answered: number };
    const v = db
      .prepare(`SELECT coalesce(sum(v.vote = 'up'), 0) AS up, coalesce(sum(v.vote = 'down'), 0) AS down FROM votes v JOIN questions q ON q.id = v.question_id WHERE q.guild_id = ?`)
      .get(guildId) as { up: number; down: number };
    // The same question asked again adds up; its top source is the latest answer's (looked up for
    // the few listed only: a correlated lookup per group would be quadratic in a busy server).
    const mostDownVoted = db
      .prepare(
        `WITH grouped AS (
           SELECT lower(q.question) AS key, q.kind AS kind, max(q.question) AS question,
                  sum(v.vote = 'down') AS down, sum(v.vote = 'up') AS up, max(v.voted_at) AS last
           FROM votes v JOIN questions q ON q.id = v.question_id
           WHERE q.guild_id = ? AND q.question <> ''
           GROUP BY key, q.kind
           HAVING down > 0
           ORDER BY down DESC, down - up DESC, last DESC
           LIMIT ?
         )
         SELECT g.question, g.kind, g.down, g.up, l.top_title AS topTitle, l.top_url AS topUrl
         FROM grouped g
         LEFT JOIN questions l ON l.id = (
           SELECT id FROM questions WHERE guild_id = ? AND lower(question) = g.key AND kind = g.kind ORDER BY asked_at DESC, id DESC LIMIT 1
         )
         ORDER BY g.down DESC, g.down - g.up DESC, g.last DESC`,
      )
      .all(guildId, options.top ?? 5, guildId) as DownVoted[];
    return { totals: { asked: q.asked, answered: q.answered, refused: q.asked - q.answered, up: v.up, down: v.down }, days, mostDownVoted };
  }

  /** Every vote with its question (optionally one guild's), oldest first. */
  votes(options: { guildId?: string } = {}): VoteRecord[] {
    const db = this.reader();
    if (!db) return [];
    const rows = db
      .prepare(
        `SELECT q.id AS questionId, q.guild_id AS guildId, q.kind, q.question, q.filters, v.page_offset AS offset, v.vote, v.results, v.voted_at AS votedAt
         FROM votes v JOIN questions q ON q.id = v.question_id
         WHERE (? IS NULL OR q.guild_id = ?) AND q.question <> '' ORDER BY v.voted_at, q.id, v.page_offset`,
      )
      .all(options.guildId ?? null, options.guildId ?? null) as (Omit<VoteRecord, 'filters' | 'results'> & { filters: string; results: string })[];
    return rows.map((r) => ({ ...r, filters: filtersSchema.parse(JSON.parse(r.filters)), results: shownSchema.parse(JSON.parse(r.results)) }));
  }

  /** Rows per table, for tests and the FEEDBACK=off guarantee. */
  counts(): { questions: number; votes: number } {
    const db = this.reader();
    if (!db) return { questions: 0, votes: 0 };
    const n = (table: string): number => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    return { questions: n('questions'), votes: n('votes') };
  }

  // ---- answers to messages ---------------------------------------------------------------------

  /**
   * Remembers (or replaces) the answer to a message; drops those past the age and per-server bounds.
   * Runs on every answered message, so it stays cheap: cached statements, index seeks only (the
   * server's oldest beyond the bound, by a row count kept in memory and redone every RECOUNT_EVERY saves).
   */
  saveMessageAnswer(a: MessageAnswer, bounds: { days?: number; perGuild?: number } = {}): void {
    const at = a.at ?? new Date();
    const days = bounds.days ?? MESSAGE_ANSWER_DAYS;
    const perGuild = bounds.perGuild ?? MESSAGE_ANSWERS_PER_GUILD;
    const known = this.answerRows.get(a.guildId);
    const recount = !known || known.saves + 1 >= RECOUNT_EVERY;
    const rows = this.write((db) => {
      const sql = this.answerStatements(db);
      // Replaced, not updated: its rowid then says it is the guild's newest.
      let replaced = 0;
      for (const r of sql.remove.all(a.questionId) as { guild_id: string }[]) {
        if (r.guild_id === a.guildId) replaced++;
        else this.forgetRows(r.guild_id, 1);
      }
      sql.insert.run(a.questionId, a.guildId, a.channelId, a.messageId, a.textHash, a.questionHash, a.followUp ? 1 : 0, at.toISOString());
      let rows = recount ? (sql.count.get(a.guildId) as { n: number }).n : known.rows + 1 - replaced;
      for (const r of sql.expire.all(new Date(at.getTime() - days * 86_400_000).toISOString()) as { guild_id: string }[]) {
        if (r.guild_id === a.guildId) rows--;
        else this.forgetRows(r.guild_id, 1);
      }
      if (rows > perGuild) rows -= sql.dropOldest.run(a.guildId, rows - perGuild).changes;
      return rows;
    });
    // Kept only once written: a failed save leaves the next one to count again.
    this.answerRows.set(a.guildId, { rows, saves: recount ? 0 : known.saves + 1 });
  }

  /** The remembered answer to a message of this guild (none past MESSAGE_ANSWER_DAYS). */
  messageAnswer(questionId: string, guildId: string, now = new Date()): MessageAnswer | undefined {
    const db = this.reader();
    if (!db) return undefined;
    const row = this.answerStatements(db).read.get(questionId, guildId, new Date(now.getTime() - MESSAGE_ANSWER_DAYS * 86_400_000).toISOString()) as
      | { question_id: string; guild_id: string; answer_channel_id: string; answer_id: string; text_hash: string; question_hash: string; follow_up: number; answered_at: string }
      | undefined;
    if (!row) return undefined;
    return {
      questionId: row.question_id,
      guildId: row.guild_id,
      channelId: row.answer_channel_id,
      messageId: row.answer_id,
      textHash: row.text_hash,
      questionHash: row.question_hash,
      followUp: row.follow_up === 1,
      at: new Date(row.answered_at),
    };
  }

  /** Forgets the answer to a message (removed, or deleted by a moderator). */
  forgetMessageAnswer(questionId: string): void {
    if (!this.reader()) return;
    const gone = this.write((db) => this.answerStatements(db).remove.all(questionId) as { guild_id: string }[]);
    for (const r of gone) this.forgetRows(r.guild_id, 1);
  }

  /**
   * A keyed hash (HMAC-SHA-256, with the voter-hash key) of a message's text or question: the state
   * file alone cannot confirm a guess of what a message said. Labelled, so it never equals a voter hash.
   */
  keyedHash(text: string): string {
    return createHmac('sha256', this.key()).update(`message-answer\0${text}`).digest('base64url');
  }

  /** How many answers to messages are remembered (for tests of the bounds). */
  messageAnswerCount(guildId?: string): number {
    const db = this.reader();
    if (!db) return 0;
    return (db.prepare('SELECT count(*) AS n FROM message_answers WHERE ? IS NULL OR guild_id = ?').get(guildId ?? null, guildId ?? null) as { n: number }).n;
  }

  // ---- internals -----------------------------------------------------------------------------

  /** The open database, or undefined when the file does not exist (yet: another shard may create it). */
  private reader(): Database.Database | undefined {
    if (!this.db && existsSync(this.file)) this.connect();
    return this.db;
  }

  private write<T>(fn: (db: Database.Database) => T): T {
    const db = this.connect();
    return db.transaction(() => fn(db)).immediate();
  }

  /** Opens (creating if needed) and migrates the file; any failure is a StateError saying what to do. */
  private connect(): Database.Database {
    if (this.db) return this.db;
    // Shards starting together open (and may create and migrate) the file at once. SQLite's busy
    // timeout covers most waits, but not every one (switching a new file to WAL, recovering a WAL
    // another process is writing): those report "database is locked" at once, so wait and try again.
    const until = Date.now() + CONNECT_PATIENCE_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        this.db = this.connectOnce();
        return this.db;
      } catch (err) {
        if (err instanceof StateError) throw err;
        // Its folder cannot be made (a read-only or special file system): says which, not "damaged".
        if (err instanceof AccessError) throw new StateError(err.message);
        if (!isBusy(err) || Date.now() >= until) throw damaged(this.file, err);
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(250, 20 * attempt));
      }
    }
  }

  /** One try at opening and migrating the file; errors are SQLite's own (StateError for a newer format). */
  private connectOnce(): Database.Database {
    // Private to the bot's user: the folder 0700 when made here, the file (and SQLite's -wal and
    // -shm, which copy its mode) 0600, also when an older version made it 0644.
    makeFolderSync(path.dirname(this.file), 'set DATA_DIR to a writable folder', 0o700);
    if (existsSync(this.file)) tighten(this.file);
    else closeSync(openSync(this.file, 'a', 0o600));
    for (const f of [`${this.file}-wal`, `${this.file}-shm`]) if (existsSync(f)) tighten(f);
    const db = new Database(this.file);
    try {
      db.pragma('busy_timeout = 10000');
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const check = db.pragma('quick_check(1)', { simple: true });
      if (check !== 'ok') throw new Error(String(check));
      migrate(db, this.file);
      this.moveKeyOut(db);
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private ensureGuild(db: Database.Database, guildId: string): void {
    db.prepare('INSERT OR IGNORE INTO guild_settings (guild_id, updated_at) VALUES (?, ?)').run(guildId, now());
  }

  private ownRoles(db: Database.Database, guildId: string): string[] {
    return (db.prepare('SELECT role_id FROM guild_admin_roles WHERE guild_id = ? ORDER BY role_id').all(guildId) as { role_id: string }[]).map((r) => r.role_id);
  }

  /** Makes the guild's admin roles its own list, starting from the .env one. */
  private ownRoleList(db: Database.Database, guildId: string): void {
    this.ensureGuild(db, guildId);
    const row = db.prepare('SELECT own_admin_roles FROM guild_settings WHERE guild_id = ?').get(guildId) as { own_admin_roles: number };
    if (row.own_admin_roles === 1) return;
    const insert = db.prepare('INSERT OR IGNORE INTO guild_admin_roles (guild_id, role_id) VALUES (?, ?)');
    for (const id of this.defaults.adminRoleIds) insert.run(guildId, id);
    db.prepare('UPDATE guild_settings SET own_admin_roles = 1, updated_at = ? WHERE guild_id = ?').run(now(), guildId);
  }

  /**
   * Writes one row of the question log; prepared once, for the import's many rows. `askedAt` is
   * given as stored (the import keeps the old log's timestamps as they were written).
   */
  private questionInserter(db: Database.Database): (q: QuestionEntry, askedAt: string, origin?: string) => number {
    const insert = db.prepare(
      `INSERT INTO questions (guild_id, channel_id, kind, question, filters, answered, confidence, top_article_id, top_chunk_id, top_title, top_url, asked_at, origin)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return (q, askedAt, origin = 'bot') =>
      Number(
        insert.run(
          q.guildId,
          q.channelId,
          q.kind,
          q.question,
          JSON.stringify(q.filters),
          q.answered ? 1 : 0,
          q.confidence ?? null,
          q.top?.articleId ?? null,
          q.top?.chunkId ?? null,
          q.top?.title ?? null,
          q.top?.url ?? null,
          askedAt,
          origin,
        ).lastInsertRowid,
      );
  }

  /**
   * A keyed hash (HMAC-SHA256) of a user id: enough to keep one vote per user, without storing who
   * voted. The key lives in its own file, made once (by whichever shard comes first).
   */
  private voterKey(userId: string): string {
    return createHmac('sha256', this.key()).update(userId).digest('base64url').slice(0, 22);
  }

  /** The hash key: read from its file, else made (DATA_DIR too: a message may be hashed before the state file exists). */
  private key(): string {
    if (this.salt) return this.salt;
    // Opening an existing state file first moves a key an older version kept in it out to the key file.
    this.reader();
    const existing = readKey(this.keyFile);
    if (existing === undefined) makeFolderSync(path.dirname(this.file), 'set DATA_DIR to a writable folder', 0o700);
    this.salt = existing ?? createKey(this.keyFile);
    return this.salt;
  }

  /** The answers-to-messages statements of this connection (prepared on first use). */
  private answerStatements(db: Database.Database): AnswerStatements {
    if (this.answerSql?.db === db) return this.answerSql;
    this.answerSql = {
      db,
      insert: db.prepare(
        `INSERT INTO message_answers (question_id, guild_id, answer_channel_id, answer_id, text_hash, question_hash, follow_up, answered_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      remove: db.prepare('DELETE FROM message_answers WHERE question_id = ? RETURNING guild_id'),
      read: db.prepare(
        `SELECT question_id, guild_id, answer_channel_id, answer_id, text_hash, question_hash, follow_up, answered_at
         FROM message_answers WHERE question_id = ? AND guild_id = ? AND answered_at >= ?`,
      ),
      // Index seeks (answered_at; guild_id, whose index ends in the rowid): nothing read but what goes.
      expire: db.prepare('DELETE FROM message_answers WHERE answered_at < ? RETURNING guild_id'),
      count: db.prepare('SELECT count(*) AS n FROM message_answers WHERE guild_id = ?'),
      dropOldest: db.prepare('DELETE FROM message_answers WHERE rowid IN (SELECT rowid FROM message_answers WHERE guild_id = ? ORDER BY rowid LIMIT ?)'),
    };
    return this.answerSql;
  }

  /** Rows of a server deleted other than by its own save: its count follows. */
  private forgetRows(guildId: string, n: number): void {
    const known = this.answerRows.get(guildId);
    if (known) known.rows = Math.max(0, known.rows - n);
  }

  /** Moves a key kept in the state file by an older version out to the key file, unchanged (once; in a write transaction, so shards agree). */
  private moveKeyOut(db: Database.Database): void {
    db.transaction(() => {
      const row = db.prepare("SELECT value FROM meta WHERE key = 'voter-salt'").get() as { value: string } | undefined;
      if (!row) return;
      const existing = readKey(this.keyFile);
      if (existing === undefined) writeKey(this.keyFile, row.value, 'w');
      else if (existing !== row.value) throw new StateError(`${this.keyFile} and the key kept in ${this.file} differ: restore the key file that belongs to this state file (or delete the key file to use the one in the state file).`);
      db.prepare("DELETE FROM meta WHERE key = 'voter-salt'").run();
      this.notice(`Moved the voter-hash key out of ${this.file} into ${this.keyFile} (mode 0600); the stored vote hashes stay valid.`);
    }).immediate();
  }

  /** Imports the old vote log once; undefined when it was imported before. */
  private importLegacy(file: string): { imported: number; skipped: number[] } | undefined {
    return this.write((db) => {
      if (db.prepare('SELECT 1 FROM meta WHERE key = ?').get(IMPORTED_KEY)) return undefined;
      const lines = readFileSync(file, 'utf8').split('\n');
      const skipped: number[] = [];
      let imported = 0;
      const insertQuestion = this.questionInserter(db);
      const insertVote = db.prepare('INSERT INTO votes (question_id, page_offset, voter, vote, results, voted_at) VALUES (?, ?, ?, ?, ?, ?)');
      lines.forEach((line, i) => {
        if (!line.trim()) return;
        let parsed: z.infer<typeof legacyRecord>;
        try {
          parsed = legacyRecord.parse(JSON.parse(line));
        } catch {
          skipped.push(i + 1);
          return;
        }
        const top = parsed.results[0];
        // The old log has a line per vote and no question log: each vote stands for one answered question.
        const id = insertQuestion(
          {
            guildId: parsed.guildId,
            channelId: parsed.channelId,
            kind: parsed.kind,
            question: parsed.question,
            filters: parsed.filters,
            answered: !parsed.abstained,
            top: top && { articleId: top.articleId, chunkId: top.chunkId, title: top.title },
          },
          parsed.at,
          LEGACY_FEEDBACK,
        );
        insertVote.run(id, parsed.offset, this.voterKey(parsed.userId), parsed.vote, JSON.stringify(parsed.results), parsed.at);
        imported++;
      });
      const { size, mtimeMs } = statSync(file);
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(IMPORTED_KEY, JSON.stringify({ at: now(), size, mtimeMs, imported, skipped: skipped.length }));
      return { imported, skipped };
    });
  }
}

function now(): string {
  return new Date().toISOString();
}

/** Mode 0600 for a file of ours that is open to others (as older versions created them). */
function tighten(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    /* not ours to change: SQLite reports any real problem when opening it */
  }
}

function readKey(file: string): string | undefined {
  try {
    tighten(file);
    const key = readFileSync(file, 'utf8').trim();
    if (key.length < 16) throw new StateError(`The voter-hash key file ${file} is empty or too short: restore it from a backup, or delete it (votes cast before then no longer count as the same voter's).`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (err instanceof StateError) throw err;
    throw new StateError(`Cannot read the voter-hash key file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): check that the bot may read it.`);
  }
}

function writeKey(file: string, key: string, flag: 'w' | 'wx'): void {
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag });
}

/**
 * A new random key, unless another process made one first (then theirs is used): written whole to
 * a temp file and hard-linked to the name, so nobody ever reads a half-written key.
 */
function createKey(file: string): string {
  const key = randomBytes(32).toString('base64url');
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeKey(tmp, key, 'wx');
  try {
    linkSync(tmp, file);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readKey(file) ?? key;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Brings the file to SCHEMA_VERSION, in one write transaction (shards starting together migrate once). */
function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new StateError(`The bot state file ${file} was written by a newer Archivist (format ${version}, this one reads up to ${SCHEMA_VERSION}): run the newer version, or move the file aside to start with empty settings and feedback.`);
    }
    for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}

/** SQLite's "database is locked": another process holds the file for a moment. */
function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) || /database is locked/i.test(String((err as Error | null)?.message ?? ''));
}

function damaged(file: string, err: unknown): StateError {
  const reason = (err as Error).message?.split('\n')[0] ?? String(err);
  const code = (err as { code?: string }).code;
  if (code === 'EACCES' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_READONLY' || code === 'EROFS') {
    return new StateError(`Cannot open the bot state file ${file} (${reason}): check that DATA_DIR exists and the bot may write there.`);
  }
  return new StateError(
    `The bot state file ${file} is damaged (${reason}): move it aside (mv ${file} ${file}.damaged) and start again; the bot then starts with the .env defaults and an empty question log (restore a backup to keep the old settings and votes).`,
  );
}
