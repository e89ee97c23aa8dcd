/**
 * The bot state file's schema, as numbered migrations: `PRAGMA user_version` holds how many have
 * run. Append a migration to change the format; never edit one that has shipped (files in the wild
 * were made by it).
 */
export const MIGRATIONS: readonly string[] = [
  // 1: per-guild settings, the question log and votes.
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

  -- One row per guild that changed a setting; a NULL column means "the .env default".
  CREATE TABLE guild_settings (
    guild_id TEXT PRIMARY KEY,
    rate_limit_max INTEGER,
    rate_limit_window_seconds INTEGER,
    visibility TEXT CHECK (visibility IN ('public', 'private')),
    -- 1 once the guild keeps its own admin role list (then guild_admin_roles is the whole list, even empty).
    own_admin_roles INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE guild_admin_roles (guild_id TEXT NOT NULL, role_id TEXT NOT NULL, PRIMARY KEY (guild_id, role_id));
  CREATE TABLE guild_ask_channels (guild_id TEXT NOT NULL, channel_id TEXT NOT NULL, PRIMARY KEY (guild_id, channel_id));

  -- Each answered question: no asker id (votes carry what one vote per user needs).
  CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    guild_id TEXT,
    channel_id TEXT,
    kind TEXT NOT NULL,
    question TEXT NOT NULL,
    filters TEXT NOT NULL DEFAULT '{}',
    answered INTEGER NOT NULL,
    confidence REAL,
    top_article_id TEXT,
    top_chunk_id INTEGER,
    top_title TEXT,
    top_url TEXT,
    asked_at TEXT NOT NULL
  );
  CREATE INDEX questions_by_guild ON questions (guild_id, asked_at);

  -- One vote per voter per page of an answer; voter is a keyed hash of the Discord user id.
  CREATE TABLE votes (
    question_id INTEGER NOT NULL REFERENCES questions (id) ON DELETE CASCADE,
    page_offset INTEGER NOT NULL,
    voter TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    -- The passages the page showed: [{rank, articleId, chunkId, title}].
    results TEXT NOT NULL,
    voted_at TEXT NOT NULL,
    PRIMARY KEY (question_id, page_offset, voter)
  );
  `,
  // 2: where a question row came from (the bot, or the old DATA_DIR/feedback.jsonl), and votes by time for the report.
  `
  ALTER TABLE questions ADD COLUMN origin TEXT NOT NULL DEFAULT 'bot';
  CREATE INDEX votes_by_time ON votes (voted_at);
  `,
  // 3: which bot message answers which member's message (mentions, ask channels, forum posts,
  // follow-ups), so edits and deletions are followed across restarts. Ids and hashes only, no text.
  `
  CREATE TABLE message_answers (
    question_id TEXT PRIMARY KEY,
    guild_id TEXT NOT NULL,
    answer_channel_id TEXT NOT NULL,
    answer_id TEXT NOT NULL,
    -- A hash of the question message's text (a forum post's: title and text): an update that keeps it changes nothing.
    text_hash TEXT NOT NULL,
    -- A hash of the question as searched: an edit that searches the same question keeps its answer.
    question_hash TEXT NOT NULL,
    follow_up INTEGER NOT NULL,
    answered_at TEXT NOT NULL
  );
  CREATE INDEX message_answers_by_guild ON message_answers (guild_id);
  CREATE INDEX message_answers_by_time ON message_answers (answered_at);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;
