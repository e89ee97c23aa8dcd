/**
 * The pure parts of following answers to members' messages: the state file's message_answers rows
 * written cheaply (statements prepared once, no walk of a server's rows per save) within their bounds,
 * their hashes keyed, and the earlier questions of an edited follow-up read back from its thread.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnswersByQuestion, earlierQuestions } from '../../src/bot/messages.js';
import { BotState, type SettingsDefaults } from '../../src/bot/state/store.js';
import { tempDir } from '../support/corpus.js';

const DEFAULTS: SettingsDefaults = { adminRoleIds: [], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' };
const BUSY = '444444444444444444';
const QUIET = '555555555555555555';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('archivist-message-answers-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await cleanup();
});

const answerOf = (guildId: string, n: number, at?: Date) => ({
  questionId: `${guildId.slice(0, 3)}${String(n).padStart(15, '0')}`,
  guildId,
  channelId: '7',
  messageId: String(n),
  textHash: 'text',
  questionHash: 'question',
  followUp: false,
  ...(at ? { at } : {}),
});

describe('message_answers writes', () => {
  it('an answered message runs cached statements only, with no walk of its server rows, and the bounds still hold', () => {
    const state = BotState.open(dir, DEFAULTS);
    try {
      const bounds = { perGuild: 5, days: 30 };
      // The first save of a server prepares the statements and counts its rows.
      state.saveMessageAnswer(answerOf(BUSY, 0), bounds);
      state.saveMessageAnswer(answerOf(QUIET, 0, new Date(Date.now() - 40 * 86_400_000)), bounds);
      state.saveMessageAnswer(answerOf(QUIET, 1), bounds);

      const statement = Object.getPrototypeOf(new Database(':memory:').prepare('SELECT 1')) as Record<'run' | 'get' | 'all', (...args: unknown[]) => unknown>;
      const ran: string[] = [];
      for (const method of ['run', 'get', 'all'] as const) {
        const real = statement[method];
        vi.spyOn(statement, method).mockImplementation(function (this: { source: string }, ...args: unknown[]) {
          ran.push(this.source);
          return real.apply(this, args);
        });
      }
      const prepare = vi.spyOn(Database.prototype, 'prepare');
      for (let n = 1; n <= 250; n++) {
        state.saveMessageAnswer(answerOf(BUSY, n), bounds);
        state.messageAnswer(answerOf(BUSY, n).questionId, BUSY);
      }
      state.forgetMessageAnswer(answerOf(BUSY, 250).questionId);
      state.saveMessageAnswer(answerOf(BUSY, 251), bounds);
      expect(ran.length).toBeGreaterThan(500);
      expect(prepare).not.toHaveBeenCalled();
      expect(ran.filter((sql) => /OFFSET/i.test(sql))).toEqual([]);
      // A count every hundred saves, not one per save.
      expect(ran.filter((sql) => /count\(\*\)/i.test(sql)).length).toBeLessThanOrEqual(3);
      vi.restoreAllMocks();

      // The busy server kept its newest five; the quiet one lost only its answer past 30 days.
      expect(state.messageAnswerCount(BUSY)).toBe(5);
      expect([246, 247, 248, 249, 251].map((n) => state.messageAnswer(answerOf(BUSY, n).questionId, BUSY)?.messageId)).toEqual(['246', '247', '248', '249', '251']);
      expect(state.messageAnswer(answerOf(BUSY, 245).questionId, BUSY)).toBeUndefined();
      expect(state.messageAnswerCount(QUIET)).toBe(1);
    } finally {
      state.close();
    }
  });

  it('the bound holds across a reopen (the count is read again) and when an answer is saved twice', () => {
    const bounds = { perGuild: 3, days: 30 };
    const first = BotState.open(dir, DEFAULTS);
    for (let n = 0; n < 3; n++) first.saveMessageAnswer(answerOf(BUSY, n), bounds);
    first.close();
    const again = BotState.open(dir, DEFAULTS);
    try {
      again.saveMessageAnswer(answerOf(BUSY, 2), bounds);
      expect(again.messageAnswerCount(BUSY)).toBe(3);
      again.saveMessageAnswer(answerOf(BUSY, 3), bounds);
      expect(again.messageAnswerCount(BUSY)).toBe(3);
      expect(again.messageAnswer(answerOf(BUSY, 0).questionId, BUSY)).toBeUndefined();
      // Saved again, 2 became the newest: 1 goes next, not 2.
      again.saveMessageAnswer(answerOf(BUSY, 4), bounds);
      expect([1, 2, 3, 4].map((n) => again.messageAnswer(answerOf(BUSY, n).questionId, BUSY)?.messageId ?? null)).toEqual([null, '2', '3', '4']);
    } finally {
      again.close();
    }
  });
});

describe('hashes of members’ messages', () => {
  it('are keyed with the bot’s hash key: not a plain SHA-256, the same after a reopen, another under another key', () => {
    const text = 'Did the ferry to the lighthouse island run on Sunday?';
    const state = BotState.open(path.join(dir, 'one'), DEFAULTS);
    const answers = new AnswersByQuestion(state);
    const hash = answers.hash(text);
    state.close();
    expect(hash).not.toBe(createHash('sha256').update(text).digest('base64url'));
    const reopened = BotState.open(path.join(dir, 'one'), DEFAULTS);
    const other = BotState.open(path.join(dir, 'two'), DEFAULTS);
    try {
      expect(new AnswersByQuestion(reopened).hash(text)).toBe(hash);
      expect(new AnswersByQuestion(other).hash(text)).not.toBe(hash);
    } finally {
      reopened.close();
      other.close();
    }
  });
});

describe('an edited follow-up remembered without its chain', () => {
  const hash = (q: string): string => createHash('sha256').update(q).digest('hex');
  const FIRST = 'When does the night market open?';
  const SECOND = 'Is there parking near it?';
  const THIRD = 'Do the stalls take cards?';

  it('keeps only the questions asked before it: not itself as first asked, nor the follow-ups since', () => {
    // Newest first, as a thread's chain is kept.
    expect(earlierQuestions([THIRD, SECOND, FIRST], hash(SECOND), hash)).toEqual([FIRST]);
    expect(earlierQuestions([SECOND, FIRST], hash(SECOND), hash)).toEqual([FIRST]);
    expect(earlierQuestions([FIRST], hash(FIRST), hash)).toEqual([]);
  });

  it('keeps the chain whole when it does not hold the question (rebuilt from the thread name after a restart)', () => {
    expect(earlierQuestions([FIRST], hash(SECOND), hash)).toEqual([FIRST]);
    expect(earlierQuestions(undefined, hash(SECOND), hash)).toBeUndefined();
  });
});
