import { Client, GatewayIntentBits, Team, type User } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { attachmentUrlProblem } from '../../src/bot/attachment-hosts.js';
import { ConfigError } from '../../src/config.js';
import { capRate, loadBotConfig, withinCeiling } from '../../src/bot/config.js';
import { escapeMarkup } from '../../src/bot/format.js';
import { operatorIds, Operators } from '../../src/bot/operators.js';
import { RateLimiter } from '../../src/bot/rate-limit.js';
import { takeSearch } from '../../src/bot/reply.js';
import type { BotState } from '../../src/bot/state/store.js';

/** Issue #19 points 1, 2 and 6 at the unit level (the bot tests cover them end to end). */
const BASE = { DISCORD_TOKEN: 'MTAx.GfAkEt.unit-test-token', DISCORD_CLIENT_ID: '123456789012345678' };

describe('fair sharing of the search pool', () => {
  const config = loadBotConfig({ ...BASE, USER_RATE_LIMIT_MAX: '6', GUILD_RATE_LIMIT_MAX: '8', RATE_LIMIT_CEILING_MAX: '20' });
  /** A state whose servers all set 1000 searches a minute for each member (as /settings used to allow). */
  const state = { settings: () => ({ rateLimit: { max: 1000, windowSeconds: 60 } }) } as unknown as BotState;

  it('one person in several servers shares one allowance, and nothing is taken when refused', () => {
    let now = 0;
    const ctx = { config, state, limiter: new RateLimiter(() => now) };
    const guilds = ['111111111111111111', '222222222222222222', '333333333333333333'];
    for (let i = 0; i < 6; i++) expect(takeSearch(ctx, guilds[i % 3]!, 'u1')).toBeUndefined();
    const refused = takeSearch(ctx, guilds[1]!, 'u1');
    expect(refused?.message).toMatch(/limit of 6 per 60 s \(across every server this bot is in\)\. Try again in 60 s\./);
    // Someone else in the same servers is not affected.
    expect(takeSearch(ctx, guilds[1]!, 'u2')).toBeUndefined();
    now += 60_000;
    expect(takeSearch(ctx, guilds[0]!, 'u1')).toBeUndefined();
  });

  it('a server gets its share of the pool, whatever it set for its members', () => {
    const ctx = { config, state, limiter: new RateLimiter(() => 0) };
    for (let i = 0; i < 8; i++) expect(takeSearch(ctx, '444444444444444444', `member${i}`)).toBeUndefined();
    expect(takeSearch(ctx, '444444444444444444', 'member9')?.message).toMatch(/This server has used its share .*8 per 60 s/);
    expect(takeSearch(ctx, '555555555555555555', 'member9')).toBeUndefined();
  });

  it('a member limit stored above the ceiling is held at the ceiling', () => {
    const low = loadBotConfig({ ...BASE, RATE_LIMIT_CEILING_MAX: '3', RATE_LIMIT_MAX: '2' });
    const ctx = { config: low, state, limiter: new RateLimiter(() => 0) };
    for (let i = 0; i < 3; i++) expect(takeSearch(ctx, '444444444444444444', 'u1')).toBeUndefined();
    expect(takeSearch(ctx, '444444444444444444', 'u1')?.message).toMatch(/limit of 3 per 60 s\./);
  });

  it('the ceiling bounds the burst and the rate, and the default must be under it', () => {
    const ceiling = { max: 20, windowSeconds: 60 };
    expect(withinCeiling({ max: 20, windowSeconds: 60 }, ceiling)).toBe(true);
    expect(withinCeiling({ max: 10, windowSeconds: 600 }, ceiling)).toBe(true);
    expect(withinCeiling({ max: 21, windowSeconds: 3600 }, ceiling)).toBe(false);
    expect(withinCeiling({ max: 10, windowSeconds: 29 }, ceiling)).toBe(false);
    expect(capRate({ max: 1000, windowSeconds: 1 }, ceiling)).toEqual(ceiling);
    expect(() => loadBotConfig({ ...BASE, RATE_LIMIT_MAX: '50' })).toThrow(ConfigError);
    expect(() => loadBotConfig({ ...BASE, RATE_LIMIT_MAX: '50' })).toThrow(/RATE_LIMIT_MAX: 50 per 60 s .* above the ceiling of 20 per 60 s/);
  });
});

describe('defence in depth', () => {
  it('downloads attachments only from Discord’s CDN, or the stand-in DISCORD_API_URL names', () => {
    const none = { DISCORD_API_URL: undefined };
    expect(attachmentUrlProblem('https://cdn.discordapp.com/attachments/1/2/a.txt?ex=1', none)).toBeUndefined();
    expect(attachmentUrlProblem('https://media.discordapp.net/attachments/1/2/a.txt', none)).toBeUndefined();
    for (const bad of ['http://cdn.discordapp.com/a.txt', 'https://cdn.discordapp.com.evil.example/a', 'https://169.254.169.254/latest', 'http://127.0.0.1:8080/attachments/a', 'https://cdn.discordapp.com:8443/a', 'file:///etc/passwd', 'nonsense']) {
      expect(attachmentUrlProblem(bad, none), bad).toMatch(/^not downloaded: /);
    }
    const standIn = { DISCORD_API_URL: 'http://127.0.0.1:8080' };
    expect(attachmentUrlProblem('http://127.0.0.1:8080/attachments/a', standIn)).toBeUndefined();
    expect(attachmentUrlProblem('http://127.0.0.1:9090/attachments/a', standIn)).toMatch(/not from 127\.0\.0\.1:9090/);
  });

  it('escapes block markup on every line of admin-supplied text', () => {
    expect(escapeMarkup('fine\n# Big heading\n  > quote\n-# subtext\n1. list\n- item')).toBe('fine\n\\# Big heading\n  \\> quote\n\\-# subtext\n1\\. list\n\\- item');
  });

  it('ALLOW_ASK_CHANNELS: empty is the default (none), else all or server IDs', () => {
    expect(loadBotConfig({ ...BASE, ALLOW_ASK_CHANNELS: '' }).ALLOW_ASK_CHANNELS).toEqual([]);
    expect(loadBotConfig({ ...BASE, ALLOW_ASK_CHANNELS: 'ALL' }).ALLOW_ASK_CHANNELS).toBe('all');
    expect(loadBotConfig({ ...BASE, ALLOW_ASK_CHANNELS: '111111111111111111, 222222222222222222' }).ALLOW_ASK_CHANNELS).toEqual(['111111111111111111', '222222222222222222']);
    expect(() => loadBotConfig({ ...BASE, ALLOW_ASK_CHANNELS: 'yes' })).toThrow(/ALLOW_ASK_CHANNELS/);
  });
});

describe('the operators', () => {
  const client = new Client({ intents: [GatewayIntentBits.Guilds] });
  // As discord.js makes a User of an API user (ClientApplication does the same for its owner).
  const addUser = (data: object): User => (client.users as unknown as { _add(d: object): User })._add(data);
  it('are the owner, or every member of the owning team', () => {
    const user = addUser({ id: '100000000000000001', username: 'op', discriminator: '0', global_name: null, avatar: null });
    expect([...operatorIds({ owner: user })]).toEqual(['100000000000000001']);
    const member = (id: string) => ({ membership_state: 2, team_id: '9', role: 'developer', permissions: ['*'], user: { id, username: id, discriminator: '0', global_name: null, avatar: null } });
    const team = new (Team as unknown as new (c: Client, d: unknown) => Team)(client, { id: '9', name: 't', icon: null, owner_user_id: '100000000000000002', members: [member('100000000000000002'), member('100000000000000003')] });
    expect([...operatorIds({ owner: team })].sort()).toEqual(['100000000000000002', '100000000000000003']);
    expect(operatorIds({ owner: null }).size).toBe(0);
  });

  it('are fetched once, kept for a while, and not invented when Discord cannot say', async () => {
    let now = 0;
    let fetches = 0;
    const user = addUser({ id: '100000000000000004', username: 'op', discriminator: '0', global_name: null, avatar: null });
    const fetch = async () => {
      fetches++;
      return { owner: user };
    };
    const fake = { application: { fetch } } as unknown as Client;
    const operators = new Operators(1000, () => now);
    expect(operators.cached()).toBeUndefined();
    await Promise.all([operators.ids(fake), operators.ids(fake)]);
    expect(fetches).toBe(1);
    expect([...(await operators.ids(fake))]).toEqual(['100000000000000004']);
    now += 1001;
    await operators.ids(fake);
    expect(fetches).toBe(2);
    const failing = { application: { fetch: async () => Promise.reject(new Error('503')) } } as unknown as Client;
    await expect(new Operators().ids(failing)).rejects.toThrow('503');
  });
});
