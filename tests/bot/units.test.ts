import type { ChatInputCommandInteraction } from 'discord.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loadBotConfig, restApiBase } from '../../src/bot/config.js';
import { checkFilters, checkText, searchText } from '../../src/bot/input.js';
import { editReplyWithRetry, isTransient } from '../../src/bot/edit-retry.js';
import { createLogger, scrub } from '../../src/bot/logger.js';
import { LongReply, TOKEN_LIFETIME_MS } from '../../src/bot/long-reply.js';
import { RateLimiter } from '../../src/bot/rate-limit.js';
import { SessionStore } from '../../src/bot/sessions.js';

const VALID = { DISCORD_TOKEN: 'aaa.bbb.ccc', DISCORD_CLIENT_ID: '123456789012345678' };

describe('bot config', () => {
  it('names every bad variable, without echoing the token', () => {
    const secret = 'not-a-token-secret';
    let message = '';
    try {
      loadBotConfig({ DISCORD_TOKEN: secret, DISCORD_CLIENT_ID: '12', ADMIN_ROLE_IDS: '123456789012345678,abc', RATE_LIMIT_MAX: 'ten', DISCORD_API_URL: 'ftp://x' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^DISCORD_TOKEN: does not look like a bot token/m);
    expect(message).toMatch(/^DISCORD_CLIENT_ID: must be a Discord ID/m);
    expect(message).toMatch(/^ADMIN_ROLE_IDS\.1: must be comma-separated role IDs/m);
    expect(message).toMatch(/^RATE_LIMIT_MAX: must be a whole number from 1 to 1000/m);
    expect(message).toMatch(/^DISCORD_API_URL: must start with http/m);
    expect(message).not.toContain(secret);
  });

  it('says where to find missing required values', () => {
    expect(() => loadBotConfig({})).toThrow(/DISCORD_TOKEN: required: Developer Portal[\s\S]*DISCORD_CLIENT_ID: required/);
  });

  it('parses role lists and normalises the API URL', () => {
    const c = loadBotConfig({ ...VALID, ADMIN_ROLE_IDS: ' 123456789012345678 , 223456789012345678,', DISCORD_API_URL: 'http://127.0.0.1:9/api/', DISCORD_GUILD_ID: '' });
    expect(c.ADMIN_ROLE_IDS).toEqual(['123456789012345678', '223456789012345678']);
    expect(restApiBase(c)).toBe('http://127.0.0.1:9/api');
    expect(c.DISCORD_GUILD_ID).toBeUndefined();
    expect(restApiBase(loadBotConfig(VALID))).toBeUndefined();
  });

  it('takes SHARD_COUNT as auto (the default) or a whole number, and names a bad one', () => {
    expect(loadBotConfig(VALID).SHARD_COUNT).toBe('auto');
    expect(loadBotConfig({ ...VALID, SHARD_COUNT: '' }).SHARD_COUNT).toBe('auto');
    expect(loadBotConfig({ ...VALID, SHARD_COUNT: '3' }).SHARD_COUNT).toBe(3);
    for (const bad of ['0', 'two', '1.5']) {
      expect(() => loadBotConfig({ ...VALID, SHARD_COUNT: bad })).toThrow(/SHARD_COUNT: must be auto or a whole number of shards/);
    }
  });
});

describe('input checks', () => {
  it('rejects empty, whitespace-only, mention-only and too long text', () => {
    expect(checkText('  \n ', 'question')).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) });
    expect(checkText('@here <#123456789012345678>', 'claim')).toMatchObject({ ok: false, error: expect.stringMatching(/only mentions/) });
    expect(checkText('a'.repeat(501), 'question')).toMatchObject({ ok: false, error: expect.stringMatching(/501 characters long; the limit is 500/) });
    expect(checkText(`  ${'a'.repeat(500)}  `, 'question')).toEqual({ ok: true, value: 'a'.repeat(500) });
  });
  it('treats invisible characters as blank and emoji or symbols alone as no words', () => {
    expect(checkText('\u200B\u200C\u200D\u2060\uFEFF\u200E', 'question')).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) });
    expect(checkText('\u3164 \u115F', 'question')).toMatchObject({ ok: false, error: expect.stringMatching(/empty/) });
    expect(checkText('🤔🔥 👨\u200D👩\u200D👧 ⁉️', 'question')).toMatchObject({ ok: false, error: expect.stringMatching(/only mentions, emoji or symbols/) });
    expect(checkText('<:kek:123456789012345678> ??? !!!', 'claim')).toMatchObject({ ok: false, error: expect.stringMatching(/only mentions, emoji or symbols/) });
    // Words survive, with invisible characters removed from them; numbers and other scripts are words.
    expect(checkText('Kher\u200Bson 🔥', 'question')).toEqual({ ok: true, value: 'Kherson 🔥' });
    expect(checkText('2022', 'question')).toMatchObject({ ok: true });
    expect(checkText('Херсон?', 'question')).toMatchObject({ ok: true });
  });
  it('strips Discord syntax from what is searched', () => {
    expect(searchText('@everyone <@!123456789012345678> what <:kek:123456789012345678> happened')).toBe('what happened');
    expect(searchText('who won per </ask:123456789012345678> <a:spin:123456789012345678>')).toBe('who won per');
    // A timestamp is a date members see: it is searched as that date.
    expect(searchText('what happened on <t:1667260800:D>?')).toBe('what happened on 1 November 2022 ?');
    expect(searchText('what happened <t:1667260800:R>?')).toBe('what happened ?');
  });
  it('checks dates are real and ordered', () => {
    expect(checkFilters({ after: '2022-02-30' })).toMatchObject({ ok: false });
    expect(checkFilters({ after: '2022-02-28', before: '2022-03-01', outlet: '  ' })).toEqual({ ok: true, value: { after: '2022-02-28', before: '2022-03-01', outlet: undefined } });
    expect(checkFilters({ after: '2023-01-01', before: '2022-01-01' })).toMatchObject({ ok: false, error: expect.stringMatching(/later than/) });
  });
});

describe('RateLimiter', () => {
  it('allows max hits per window per key, then says how long to wait', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter(() => now);
    expect(limiter.take('a', 2, 60_000)).toBe(0);
    now += 10_000;
    expect(limiter.take('a', 2, 60_000)).toBe(0);
    expect(limiter.take('b', 2, 60_000)).toBe(0);
    now += 5_000;
    expect(limiter.take('a', 2, 60_000)).toBe(45_000);
    // Another guild's numbers apply to its own keys only.
    expect(limiter.take('c', 1, 10_000)).toBe(0);
    expect(limiter.take('c', 1, 10_000)).toBe(10_000);
    now += 45_000;
    expect(limiter.take('a', 2, 60_000)).toBe(0);
  });
});

describe('SessionStore', () => {
  it('expires entries and bounds its size', () => {
    let now = 0;
    const store = new SessionStore<number>(1000, 2, () => now);
    const a = store.put(1);
    const b = store.put(2);
    const c = store.put(3);
    expect(store.get(a)).toBeUndefined();
    expect(store.get(b)).toBe(2);
    now = 1001;
    expect(store.get(c)).toBeUndefined();
    expect(c.length).toBeLessThanOrEqual(10);
  });

  it("when full, the busiest server gives up its oldest: one server's burst cannot expire another's buttons", () => {
    const store = new SessionStore<string>(60_000, 4);
    const quiet = store.put('quiet', 'A');
    const busy = Array.from({ length: 10 }, (_, n) => store.put(`busy ${n}`, 'B'));
    expect(store.get(quiet)).toBe('quiet');
    expect(busy.map((id) => store.get(id) ?? null)).toEqual([...Array(7).fill(null), 'busy 7', 'busy 8', 'busy 9']);
    // Still the busiest, B gives up another one for A's next.
    const second = store.put('quiet 2', 'A');
    expect([store.get(quiet), store.get(second)]).toEqual(['quiet', 'quiet 2']);
    expect(busy.filter((id) => store.get(id) !== undefined)).toHaveLength(2);
  });
});

describe('logger scrubbing', () => {
  it('hides the token and interaction tokens in URLs', () => {
    expect(scrub('x TOKEN.abc.def y', ['TOKEN.abc.def'])).toBe('x [redacted] y');
    // discord.js's debug output shows the first two parts of the token: each part is hidden alone too.
    expect(scrub('Provided token: MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.*****', ['MTAxMjM0NTY3ODkwMTIzNDU2Nzg.GfAkEt.secretpart123'])).toBe('Provided token: [redacted].[redacted].*****');
    expect(scrub('/api/v10/webhooks/123/aW50ZXJhY3Rpb246MTIzNDU2Nzg5/messages/@original', [])).toBe('/api/v10/webhooks/123/[token]/messages/@original');
  });
});

describe('LongReply', () => {
  type Sent = { via: 'edit' | 'channel'; body: unknown };
  function fakeInteraction(createdAgoMs: number, now: number, sent: Sent[], failEdits = false): ChatInputCommandInteraction {
    const channel = { isSendable: () => true, send: async (body: unknown) => void sent.push({ via: 'channel', body }) };
    return {
      createdTimestamp: now - createdAgoMs,
      deferred: true,
      replied: false,
      channelId: '1',
      channel,
      user: { toString: () => '<@42>' },
      editReply: async (body: unknown) => {
        if (failEdits) throw new Error('Invalid Webhook Token');
        sent.push({ via: 'edit', body });
      },
    } as unknown as ChatInputCommandInteraction;
  }
  const log = pino({ level: 'silent' });

  it('edits the reply while the token is young, throttling progress', async () => {
    const sent: Sent[] = [];
    let now = 10_000_000;
    const reply = new LongReply(fakeInteraction(0, now, sent), log, 1500, () => now);
    reply.progress({ content: 'a' });
    reply.progress({ content: 'b' }); // too soon: dropped
    now += 2000;
    reply.progress({ content: 'c' });
    expect(await reply.finish({ content: 'done' })).toBe('reply');
    expect(sent.map((s) => (s.body as { content: string }).content)).toEqual(['a', 'c', 'done']);
    expect(sent.every((s) => s.via === 'edit')).toBe(true);
  });

  it('posts to the channel once the token is too old, mentioning the admin without pinging', async () => {
    const sent: Sent[] = [];
    const now = 10_000_000;
    const reply = new LongReply(fakeInteraction(TOKEN_LIFETIME_MS + 1, now, sent), log, 1500, () => now);
    reply.progress({ content: 'ignored' });
    expect(await reply.finish({ content: 'done' })).toBe('channel');
    expect(sent).toEqual([{ via: 'channel', body: { content: '<@42> done', allowedMentions: { parse: [] } } }]);
  });

  it('falls back to the channel when editing fails', async () => {
    const sent: Sent[] = [];
    const reply = new LongReply(fakeInteraction(0, Date.now(), sent, true), log);
    expect(await reply.finish({ content: 'done' })).toBe('channel');
    expect(sent[0]!.via).toBe('channel');
  });
});

describe('editReplyWithRetry', () => {
  const log = createLogger({ level: 'silent', secrets: [] });
  const reset = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
  const status = (n: number) => Object.assign(new Error(`HTTP ${n}`), { status: n });

  it('tells transient failures (socket, 5xx, 429, timeout) from the rest', () => {
    expect(isTransient(reset)).toBe(true);
    expect(isTransient(status(502))).toBe(true);
    expect(isTransient(status(429))).toBe(true);
    expect(isTransient(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(true);
    expect(isTransient(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET' } }))).toBe(true);
    expect(isTransient(status(404))).toBe(false);
    expect(isTransient(status(401))).toBe(false);
    expect(isTransient('nope')).toBe(false);
  });

  it('retries with doubling, bounded pauses, then falls back to a follow-up', async () => {
    const calls: string[] = [];
    const pauses: number[] = [];
    const interaction = {
      editReply: async () => {
        calls.push('edit');
        throw reset;
      },
      followUp: async (body: { content?: string; flags?: number }) => {
        calls.push(`follow-up ${body.content} ${body.flags ?? 0}`);
      },
    };
    const outcome = await editReplyWithRetry(interaction as never, { content: 'answer' }, log, {
      attempts: 4,
      baseDelayMs: 400,
      maxDelayMs: 1000,
      ephemeral: true,
      sleep: async (ms) => void pauses.push(ms),
    });
    expect(outcome).toBe('follow-up');
    expect(calls).toEqual(['edit', 'edit', 'edit', 'edit', 'follow-up answer 64']);
    expect(pauses).toEqual([400, 800, 1000]);
  });

  it('stops at the first success, and throws a non-transient error at once', async () => {
    let n = 0;
    const flaky = { editReply: async () => (++n < 2 ? Promise.reject(status(503)) : undefined), followUp: async () => undefined };
    expect(await editReplyWithRetry(flaky as never, { content: 'x' }, log, { sleep: async () => undefined })).toBe('edited');
    expect(n).toBe(2);
    let m = 0;
    const gone = {
      editReply: async () => {
        m++;
        return Promise.reject(status(404));
      },
      followUp: async () => undefined,
    };
    await expect(editReplyWithRetry(gone as never, { content: 'x' }, log, { sleep: async () => undefined })).rejects.toMatchObject({ status: 404 });
    expect(m).toBe(1);
  });
});
