/**
 * The bot state store (DATA_DIR/state.db) on real SQLite files: created lazily, migrated from an
 * older format with its rows kept, the old feedback.jsonl imported once, per-guild settings over the
 * .env defaults, one vote per user per page, the report's counts, and damaged / newer files refused
 * with one line naming the file and the fix.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createHmac } from 'node:crypto';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS, SCHEMA_VERSION } from '../../src/bot/state/schema.js';
import { BotState, StateError, VOTER_KEY_FILE, type SettingsDefaults } from '../../src/bot/state/store.js';
import { BotProcess, cleanEnv } from '../support/bot-process.js';
import { REPO, tempDir } from '../support/corpus.js';

const DEFAULTS: SettingsDefaults = { adminRoleIds: ['111111111111111111'], rateLimitMax: 5, rateLimitWindowSeconds: 60, visibility: 'public' };
const GUILD_A = '222222222222222222';
const GUILD_B = '333333333333333333';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('archivist-state-'));
});
afterEach(async () => {
  await cleanup();
});

const file = (): string => path.join(dir, 'state.db');

describe('BotState', () => {
  it('creates nothing until something is written, then one file in DATA_DIR', () => {
    const state = BotState.open(path.join(dir, 'data'), DEFAULTS);
    expect(state.settings(GUILD_A)).toMatchObject({ adminRoleIds: DEFAULTS.adminRoleIds, rateLimit: { max: 5, windowSeconds: 60 }, visibility: 'public' });
    expect(state.anyAskChannels()).toBe(false);
    expect(state.report(GUILD_A).totals.asked).toBe(0);
    expect(existsSync(path.join(dir, 'data'))).toBe(false);
    state.setVisibility(GUILD_A, 'private');
    expect(existsSync(path.join(dir, 'data', 'state.db'))).toBe(true);
    state.close();
  });

  it('keeps settings per guild over the .env defaults, and survives a reopen', () => {
    const state = BotState.open(dir, DEFAULTS);
    state.setVisibility(GUILD_A, 'private');
    state.setRateLimit(GUILD_A, 2, 30);
    expect(state.addAdminRole(GUILD_A, '444444444444444444')).toBe(true);
    expect(state.addAdminRole(GUILD_A, '444444444444444444')).toBe(false);
    expect(state.addAskChannel(GUILD_A, '555555555555555555')).toBe(true);
    state.close();

    const again = BotState.open(dir, DEFAULTS);
    const a = again.settings(GUILD_A);
    // The first change copies the .env roles into the guild's own list.
    expect(a.adminRoleIds).toEqual(['111111111111111111', '444444444444444444']);
    expect(a).toMatchObject({ rateLimit: { max: 2, windowSeconds: 30 }, visibility: 'private', own: { adminRoles: true, rateLimit: true, visibility: true } });
    expect([...a.askChannelIds]).toEqual(['555555555555555555']);
    expect(again.anyAskChannels()).toBe(true);
    const b = again.settings(GUILD_B);
    expect(b).toMatchObject({ adminRoleIds: DEFAULTS.adminRoleIds, rateLimit: { max: 5, windowSeconds: 60 }, visibility: 'public', own: { adminRoles: false, rateLimit: false, visibility: false } });
    expect(b.askChannelIds.size).toBe(0);

    expect(again.removeAdminRole(GUILD_A, '111111111111111111')).toBe(true);
    expect(again.settings(GUILD_A).adminRoleIds).toEqual(['444444444444444444']);
    expect(again.removeAdminRole(GUILD_A, '444444444444444444')).toBe(true);
    // An emptied own list stays the guild's own: only Administrators are admins there now.
    expect(again.settings(GUILD_A)).toMatchObject({ adminRoleIds: [], own: { adminRoles: true } });
    expect(again.removeAskChannel(GUILD_A, '555555555555555555')).toBe(true);
    expect(again.anyAskChannels()).toBe(false);

    again.resetSettings(GUILD_A);
    expect(again.settings(GUILD_A)).toMatchObject({ adminRoleIds: DEFAULTS.adminRoleIds, visibility: 'public', own: { adminRoles: false, rateLimit: false, visibility: false } });
    again.close();
  });

  it('logs questions and keeps one vote per user per page, without storing user ids', async () => {
    const state = BotState.open(dir, DEFAULTS);
    const shown = [{ rank: 1, articleId: 'art-1', chunkId: 7, title: 'Kherson liberated' }];
    const q = state.logQuestion({ guildId: GUILD_A, channelId: '666666666666666666', kind: 'ask', question: 'Who took Kherson?', filters: {}, answered: true, confidence: 0.8, top: { ...shown[0]!, url: 'https://example.org/k' } });
    const refused = state.logQuestion({ guildId: GUILD_A, channelId: null, kind: 'ask', question: 'banana bread', filters: {}, answered: false });
    state.logQuestion({ guildId: GUILD_B, channelId: null, kind: 'cite', question: 'elsewhere', filters: {}, answered: true });
    const userId = '777777777777777777';
    expect(state.recordVote({ questionId: q, offset: 0, userId, vote: 'up', results: shown })).toBe('recorded');
    expect(state.recordVote({ questionId: q, offset: 0, userId, vote: 'up', results: shown })).toBe('unchanged');
    expect(state.recordVote({ questionId: q, offset: 0, userId, vote: 'down', results: shown })).toBe('changed');
    expect(state.recordVote({ questionId: q, offset: 5, userId, vote: 'up', results: shown })).toBe('recorded');
    expect(state.recordVote({ questionId: q, offset: 0, userId: '888888888888888888', vote: 'down', results: shown })).toBe('recorded');
    expect(state.recordVote({ questionId: refused, offset: 0, userId, vote: 'down', results: [] })).toBe('recorded');
    expect(state.counts()).toEqual({ questions: 3, votes: 4 });

    const report = state.report(GUILD_A);
    expect(report.totals).toEqual({ asked: 2, answered: 1, refused: 1, up: 1, down: 3 });
    expect(report.days).toHaveLength(14);
    expect(report.days.at(-1)).toMatchObject({ day: new Date().toISOString().slice(0, 10), asked: 2, answered: 1, refused: 1, up: 1, down: 3 });
    expect(report.mostDownVoted[0]).toEqual({ question: 'Who took Kherson?', kind: 'ask', down: 2, up: 1, topTitle: 'Kherson liberated', topUrl: 'https://example.org/k' });
    expect(state.report(GUILD_B).totals).toEqual({ asked: 1, answered: 1, refused: 0, up: 0, down: 0 });

    expect(state.votes({ guildId: GUILD_B })).toEqual([]);
    const votes = state.votes({ guildId: GUILD_A });
    expect(votes).toHaveLength(4);
    expect(votes[0]).toMatchObject({ question: 'Who took Kherson?', results: shown });
    state.close();
    const bytes = await readFile(file());
    expect(bytes.includes(Buffer.from(userId))).toBe(false);
  });

  it('upgrades a file of an older format in place, keeping its rows', () => {
    const old = new Database(file());
    old.exec(MIGRATIONS[0]!);
    old.pragma('user_version = 1');
    old.prepare("INSERT INTO guild_settings (guild_id, visibility, updated_at) VALUES (?, 'private', '2026-01-01T00:00:00Z')").run(GUILD_A);
    old.prepare("INSERT INTO questions (guild_id, kind, question, answered, asked_at) VALUES (?, 'ask', 'old question', 1, '2026-01-01T00:00:00Z')").run(GUILD_A);
    old.close();

    const state = BotState.open(dir, DEFAULTS);
    expect(state.settings(GUILD_A).visibility).toBe('private');
    expect(state.counts().questions).toBe(1);
    state.close();
    const db = new Database(file(), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.prepare('SELECT origin FROM questions').get()).toEqual({ origin: 'bot' });
    db.close();
  });

  it('imports the old DATA_DIR/feedback.jsonl once, reporting unreadable lines, then deletes it (it holds raw user ids)', async () => {
    const line = (vote: 'up' | 'down', userId: string, question: string, abstained = false) =>
      JSON.stringify({
        at: '2026-11-30T10:00:00.000Z',
        vote,
        userId,
        guildId: GUILD_A,
        channelId: '666666666666666666',
        kind: 'ask',
        question,
        filters: { outlet: 'Kyiv' },
        offset: 0,
        mode: 'hybrid',
        abstained,
        results: abstained ? [] : [{ rank: 1, articleId: 'art-9', chunkId: 3, title: 'An old answer' }],
      });
    const legacy = [line('down', '777777777777777777', 'old question'), '{"not": "a vote"', line('up', '888888888888888888', 'other question'), '', line('down', '777777777777777777', 'refused one', true)].join('\n');
    await writeFile(path.join(dir, 'feedback.jsonl'), `${legacy}\n`);
    const notices: string[] = [];
    const state = BotState.open(dir, DEFAULTS, { importLegacy: true, onNotice: (m) => notices.push(m) });
    expect(notices).toHaveLength(2);
    expect(notices[0]).toMatch(/^Imported 3 votes from .*feedback\.jsonl into .*state\.db; 1 unreadable lines left out \(feedback\.jsonl lines 2\)/);
    expect(notices[1]).toMatch(/^Deleted .*feedback\.jsonl \(it held raw user ids\): its 3 votes were imported into .*state\.db before\.$/);
    expect(state.counts()).toEqual({ questions: 3, votes: 3 });
    expect(state.report(GUILD_A).totals).toEqual({ asked: 3, answered: 2, refused: 1, up: 1, down: 2 });
    expect(state.votes()[0]).toMatchObject({ question: 'old question', vote: 'down', filters: { outlet: 'Kyiv' }, results: [{ articleId: 'art-9', chunkId: 3 }] });
    state.close();
    expect(existsSync(path.join(dir, 'feedback.jsonl'))).toBe(false);

    // A file that reappears (restored from a backup) is not imported twice, and not deleted unseen: it is not the one imported.
    await writeFile(path.join(dir, 'feedback.jsonl'), `${legacy}\n${line('up', '999999999999999999', 'later')}\n`);
    const again = BotState.open(dir, DEFAULTS, { importLegacy: true, onNotice: (m) => notices.push(m) });
    expect(notices).toHaveLength(3);
    expect(notices[2]).toMatch(/feedback\.jsonl changed since its votes were imported into .*: kept, not read again/);
    expect(again.counts()).toEqual({ questions: 3, votes: 3 });
    again.close();
    expect(existsSync(path.join(dir, 'feedback.jsonl'))).toBe(true);
  });

  it('FEEDBACK=off: the old feedback.jsonl is not imported and no file is created', async () => {
    await writeFile(path.join(dir, 'feedback.jsonl'), '{}\n');
    const state = BotState.open(dir, DEFAULTS, { importLegacy: false });
    expect(state.counts()).toEqual({ questions: 0, votes: 0 });
    expect(existsSync(file())).toBe(false);
    state.close();
  });

  it('several processes (shards) create, migrate and write one file at once without losing a row', async () => {
    // An old vote log too: exactly one of them imports it.
    await writeFile(path.join(dir, 'feedback.jsonl'), `${JSON.stringify({ at: '2026-11-30T10:00:00.000Z', vote: 'up', userId: '1', guildId: GUILD_A, channelId: null, kind: 'ask', question: 'old', filters: {}, offset: 0, abstained: false, results: [] })}\n`);
    const writers = ['a', 'b', 'c'].map((name) => new BotProcess('tests/support/state-writer.ts', cleanEnv({}), dir, { args: [dir, name, '1000'] }));
    const codes = await Promise.all(writers.map((w) => w.wait()));
    expect(codes, writers.map((w) => w.output).join('\n')).toEqual([0, 0, 0]);
    const state = BotState.open(dir, DEFAULTS, { importLegacy: true });
    expect(state.counts()).toEqual({ questions: 3001, votes: 3001 });
    expect(state.report(GUILD_A).totals).toMatchObject({ asked: 3001, answered: 1501, up: 3001 });
    state.close();
    const db = new Database(file(), { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  }, 60_000);

  it('a damaged file is one line naming the file and the fix; so is a file from a newer version', async () => {
    await writeFile(file(), Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4096, 0xab)]));
    expect(() => BotState.open(dir, DEFAULTS)).toThrow(StateError);
    try {
      BotState.open(dir, DEFAULTS);
    } catch (err) {
      const message = (err as Error).message;
      expect(message).not.toContain('\n');
      expect(message).toContain(`The bot state file ${file()} is damaged`);
      expect(message).toContain(`mv ${file()} ${file()}.damaged`);
    }
    await writeFile(file(), 'this is not a database at all, just text long enough to be read as a header\n'.repeat(20));
    expect(() => BotState.open(dir, DEFAULTS)).toThrow(/is damaged \(file is not a database\)/);

    const newer = path.join(dir, 'newer');
    await mkdir(newer);
    const db = new Database(path.join(newer, 'state.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => BotState.open(newer, DEFAULTS)).toThrow(/was written by a newer Archivist \(format \d+, this one reads up to \d+\)/);
  });

  it('a DATA_DIR that is a file fails at open with one line naming the setting, not as a "damaged" state file at the first write', async () => {
    const data = path.join(dir, 'data-file');
    await writeFile(data, 'not a folder\n');
    expect(() => BotState.open(data, DEFAULTS)).toThrow(StateError);
    expect(() => BotState.open(data, DEFAULTS)).toThrow(`DATA_DIR ${data} is a file, not a folder: set DATA_DIR to a folder (the bot keeps its state file, state.db, there).`);
  });

  it('a state file this user may not write fails at open for the bot (one line, the fix), not at the first write; a reader still opens it', async () => {
    const data = path.join(dir, 'read-only');
    const state = BotState.open(data, DEFAULTS);
    state.setVisibility(GUILD_A, 'private');
    state.close();
    const probe = `
      import { BotState } from ${JSON.stringify(path.join(REPO, 'src/bot/state/store.ts'))};
      const defaults = ${JSON.stringify(DEFAULTS)};
      const reader = BotState.open(process.argv[1], defaults);
      const visibility = reader.settings(${JSON.stringify(GUILD_A)}).visibility;
      reader.close();
      try { BotState.open(process.argv[1], defaults, { writable: true }); console.log('opened for writing'); }
      catch (err) { console.log(visibility, err.name, err.message); }`;
    let prefix: string[] = [];
    if (process.getuid?.() === 0) {
      // Root may write anything: the bot runs as nobody, the file stays root's (0644 in a folder anyone may write).
      chmodSync(dir, 0o755);
      chmodSync(data, 0o777);
      chmodSync(path.join(data, 'state.db'), 0o644);
      prefix = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'];
    } else {
      // Its owner's read-only file (0400 is left as it is; a 0444 one would be made 0600).
      chmodSync(path.join(data, 'state.db'), 0o400);
    }
    const [command, ...args] = [...prefix, path.join(REPO, 'node_modules/.bin/tsx'), '--eval', probe, data];
    const { stdout } = await promisify(execFile)(command!, args, { cwd: REPO, env: { ...process.env, HOME: dir } });
    const uid = process.getuid?.() === 0 ? 65534 : process.getuid?.();
    expect(stdout.trim()).toBe(
      `private StateError This user (uid ${uid}) may not write ${path.join(data, 'state.db')} (EACCES; owned by uid ${process.getuid?.()}), where the bot keeps its settings and votes: give it read and write permission (chown, or chmod u+rw) or run the bot as its owner.`,
    );
  }, 60_000);

  it.runIf(existsSync('/proc/self'))('a DATA_DIR that cannot hold folders is one line naming it, not a hang', () => {
    // procfs refuses new folders with ENOENT, on which Node's recursive mkdir retries forever.
    const state = BotState.open('/proc/archivist-data', DEFAULTS);
    expect(() => state.setVisibility(GUILD_A, 'private')).toThrow(/Cannot create the folder \/proc\/archivist-data: .*set DATA_DIR to a writable folder/);
    state.close();
  });

  it('keeps private data private: DATA_DIR 0700, state file and voter-hash key 0600, the key apart from the hashes', async () => {
    const data = path.join(dir, 'private');
    const state = BotState.open(data, DEFAULTS);
    const q = state.logQuestion({ guildId: GUILD_A, channelId: null, kind: 'ask', question: 'Who took Kherson?', filters: {}, answered: true });
    state.recordVote({ questionId: q, offset: 0, userId: '777777777777777777', vote: 'up', results: [] });
    state.close();
    const mode = (f: string): number => statSync(f).mode & 0o777;
    expect(mode(data)).toBe(0o700);
    expect(mode(path.join(data, 'state.db'))).toBe(0o600);
    for (const f of ['state.db-wal', 'state.db-shm']) if (existsSync(path.join(data, f))) expect(mode(path.join(data, f))).toBe(0o600);
    expect(mode(path.join(data, VOTER_KEY_FILE))).toBe(0o600);
    const key = (await readFile(path.join(data, VOTER_KEY_FILE), 'utf8')).trim();
    expect(key.length).toBeGreaterThanOrEqual(32);
    const db = new Database(path.join(data, 'state.db'), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM meta WHERE value LIKE ?").get(`%${key}%`)).toEqual({ n: 0 });
    db.close();
    expect((await readFile(path.join(data, 'state.db'))).includes(Buffer.from(key))).toBe(false);
  });

  it('an older install: the key is moved out of state.db once, the file made 0600, and the stored hashes still match their voters', async () => {
    const old = new Database(file());
    old.exec(MIGRATIONS[0]!);
    old.exec(MIGRATIONS[1]!);
    old.pragma('user_version = 2');
    const salt = 'an-old-salt-kept-in-the-state-file-0123456789';
    old.prepare("INSERT INTO meta (key, value) VALUES ('voter-salt', ?)").run(salt);
    old.prepare("INSERT INTO questions (id, guild_id, kind, question, answered, asked_at) VALUES (1, ?, 'ask', 'old question', 1, '2026-01-01T00:00:00Z')").run(GUILD_A);
    const voter = createHmac('sha256', salt).update('777777777777777777').digest('base64url').slice(0, 22);
    old.prepare("INSERT INTO votes (question_id, page_offset, voter, vote, results, voted_at) VALUES (1, 0, ?, 'up', '[]', '2026-01-01T00:00:00Z')").run(voter);
    old.close();
    chmodSync(file(), 0o644);

    const notices: string[] = [];
    const state = BotState.open(dir, DEFAULTS, { onNotice: (m) => notices.push(m) });
    expect(notices.join('\n')).toMatch(/Moved the voter-hash key out of .*state\.db into .*voter-key \(mode 0600\)/);
    // The same voter voting again is recognised (the hash is unchanged): the vote changes, no second one.
    expect(state.recordVote({ questionId: 1, offset: 0, userId: '777777777777777777', vote: 'down', results: [] })).toBe('changed');
    expect(state.counts().votes).toBe(1);
    state.close();
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect((await readFile(path.join(dir, VOTER_KEY_FILE), 'utf8')).trim()).toBe(salt);
    const db = new Database(file(), { readonly: true });
    expect(db.prepare("SELECT count(*) AS n FROM meta WHERE key = 'voter-salt'").get()).toEqual({ n: 0 });
    db.close();
    const reopened = BotState.open(dir, DEFAULTS, { onNotice: (m) => notices.push(m) });
    expect(reopened.recordVote({ questionId: 1, offset: 0, userId: '777777777777777777', vote: 'down', results: [] })).toBe('unchanged');
    reopened.close();
    expect(notices.filter((n) => n.startsWith('Moved'))).toHaveLength(1);
  });
});
