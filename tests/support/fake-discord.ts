/**
 * A local stand-in for Discord, for end-to-end tests of the bot: REST under /api/v10 and a gateway
 * WebSocket speaking the real protocol (HELLO, IDENTIFY, heartbeats, READY, GUILD_CREATE,
 * INTERACTION_CREATE), uncompressed JSON, sharded as Discord is: IDENTIFY's `shard: [id, count]` picks
 * the guilds a connection gets, and an interaction from guild G goes to shard (G >> 22) % count. It records every REST request so tests can assert on what
 * the bot sent, and keeps the messages the bot created so buttons can be clicked on them.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

const DISCORD_EPOCH = 1420070400000n;
let increment = 0n;
/** A snowflake for "now", so discord.js computes real ages (createdTimestamp) from it. */
export function snowflake(at = Date.now()): string {
  increment = (increment + 1n) % 4096n;
  return (((BigInt(at) - DISCORD_EPOCH) << 22n) | increment).toString();
}

export const PERMISSIONS = {
  addReactions: 1n << 6n,
  administrator: 1n << 3n,
  sendMessages: 1n << 11n,
  viewChannel: 1n << 10n,
  embedLinks: 1n << 14n,
  readMessageHistory: 1n << 16n,
  useApplicationCommands: 1n << 31n,
  createPublicThreads: 1n << 35n,
  sendMessagesInThreads: 1n << 38n,
  manageThreads: 1n << 34n,
};
const MEMBER_PERMISSIONS = (PERMISSIONS.viewChannel | PERMISSIONS.sendMessages | PERMISSIONS.useApplicationCommands).toString();
/** What the README's invite link grants the bot (its managed role), plus reactions (the 👍 on thanks). */
const BOT_PERMISSIONS = (
  BigInt(MEMBER_PERMISSIONS) |
  PERMISSIONS.embedLinks |
  PERMISSIONS.readMessageHistory |
  PERMISSIONS.addReactions |
  PERMISSIONS.createPublicThreads |
  PERMISSIONS.sendMessagesInThreads
).toString();

export interface RecordedRequest {
  method: string;
  /** Path after /api/v10, e.g. /interactions/123/abc/callback. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  authorization: string | undefined;
  /** Date.now() when it arrived. */
  at: number;
  status: number;
}

export interface FakeUser {
  id: string;
  username: string;
  global_name: string | null;
  discriminator: string;
  avatar: null;
  bot?: boolean;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  guild_id?: string;
  author: FakeUser;
  content: string;
  embeds: unknown[];
  components: unknown[];
  flags: number;
  [key: string]: unknown;
}

export interface SentInteraction {
  id: string;
  token: string;
  sentAt: number;
  payload: Record<string, unknown>;
}

/** How a failed edit fails: the connection is cut (no response), or Discord answers 500 or 429. */
export type EditFailure = 'reset' | 500 | 429;

export interface FakeDiscordOptions {
  token: string;
  applicationId?: string;
  guildId?: string;
  channelId?: string;
  adminRoleId?: string;
  /** Milliseconds between heartbeats requested in HELLO. */
  heartbeatInterval?: number;
  /** More servers the bot is in besides `guildId` (e.g. to route interactions to several shards). */
  otherGuildIds?: string[];
  /** The shard count /gateway/bot recommends (default 1). */
  recommendedShards?: number;
  /** False: the application may not use the privileged Message Content intent (IDENTIFY with it is closed with 4014). */
  messageContentAllowed?: boolean;
  /** The application belongs to a team of these users (its first is the team's owner) instead of to `owner`. */
  team?: FakeUser[];
  /** 503 for GET /applications/@me: Discord cannot say who owns the application. */
  applicationUnavailable?: boolean;
}

/** The shard Discord sends a guild's events to. */
export function shardOf(guildId: string, count: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(count));
}

type Json = Record<string, unknown>;

/** Gateway intent bits the stand-in honours. */
/** A command option as Discord sends it: string → STRING (3), number → INTEGER (4), boolean → BOOLEAN (5). */
function scalarOption(name: string, value: string | number | boolean): { name: string; type: number; value: string | number | boolean } {
  return { name, type: typeof value === 'string' ? 3 : typeof value === 'number' ? 4 : 5, value };
}

export const INTENTS = { guilds: 1 << 0, guildMessages: 1 << 9, messageContent: 1 << 15 } as const;
/** An ephemeral message's flag: only its user sees it, so it is not among a channel's messages. */
const EPHEMERAL = 64;
/** Channel types used here. */
const CHANNEL = { text: 0, publicThread: 11, forum: 15 } as const;

/** Where the stand-in serves attachment files (Discord: cdn.discordapp.com/attachments/…). */
const ATTACHMENTS_PATH = '/attachments/';

/** An attachment as Discord describes it in `resolved.attachments`. */
export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type: string;
}

export class FakeDiscord extends EventEmitter {
  readonly requests: RecordedRequest[] = [];
  /** Gateway payloads received from the bot (IDENTIFY, heartbeats…). */
  readonly gatewayReceived: Json[] = [];
  readonly applicationId: string;
  readonly guildId: string;
  readonly channelId: string;
  readonly adminRoleId: string;
  /** The bot's own (managed) role, with the permissions the README asks for. */
  readonly botRoleId = snowflake();
  readonly botUser: FakeUser;
  /** The application's owner (the bot's operator), served by GET /applications/@me. */
  readonly owner: FakeUser;
  url = '';

  private server: Server;
  private wss: WebSocketServer;
  private sockets = new Set<WebSocket>();
  /** [shard id, shard count] each identified connection asked for. */
  private shardOfSocket = new Map<WebSocket, [number, number]>();
  readonly guildIds: string[];
  private seq = 0;
  private messages = new Map<string, FakeMessage>();
  /** Interaction token → id of the message its "@original" refers to. */
  private originals = new Map<string, string>();
  private expired = new Set<string>();
  /** Interaction token → the interaction, so its responses go to its channel and name its user. */
  private interactions = new Map<string, Json>();
  private identified = false;
  private editFailures: { left: number; how: EditFailure } = { left: 0, how: 'reset' };

  private constructor(private readonly options: FakeDiscordOptions) {
    super();
    this.applicationId = options.applicationId ?? snowflake();
    this.guildId = options.guildId ?? snowflake();
    this.channelId = options.channelId ?? snowflake();
    this.adminRoleId = options.adminRoleId ?? snowflake();
    this.guildIds = [this.guildId, ...(options.otherGuildIds ?? [])];
    this.botUser = { id: this.applicationId, username: 'Archivist', global_name: null, discriminator: '0000', avatar: null, bot: true };
    this.owner = { id: snowflake(), username: 'operator', global_name: 'Operator', discriminator: '0', avatar: null };
    this.server = createServer((req, res) => void this.handle(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onGateway(ws, new URL(req.url ?? '/', 'http://x').searchParams));
    });
  }

  static async start(options: FakeDiscordOptions): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    const { port } = fake.server.address() as AddressInfo;
    fake.url = `http://127.0.0.1:${port}`;
    return fake;
  }

  get gatewayUrl(): string {
    return this.url.replace(/^http/, 'ws');
  }

  get isIdentified(): boolean {
    return this.identified;
  }

  /** Ids of the shards with an identified gateway connection. */
  get identifiedShards(): number[] {
    return [...this.shardOfSocket.values()].map(([id]) => id).sort((a, b) => a - b);
  }

  /** Makes an interaction token invalid, as Discord does 15 minutes after the interaction. */
  expireToken(token: string): void {
    this.expired.add(token);
  }

  /**
   * Makes the next `count` message edits (PATCH of an interaction's reply) fail, as a flaky network
   * or Discord would; failed attempts are recorded with status 0 ('reset') or their HTTP status.
   */
  failNextEdits(count: number, how: EditFailure = 'reset'): void {
    this.editFailures = { left: count, how };
  }

  message(id: string): FakeMessage | undefined {
    return this.messages.get(id);
  }

  /** The message an interaction's "@original" currently is (its reply, or the message a button was on). */
  original(token: string): FakeMessage | undefined {
    const id = this.originals.get(token);
    return id ? this.messages.get(id) : undefined;
  }

  /** Resolves with the first recorded request (past or future) matching `pred`. */
  waitForRequest(pred: (r: RecordedRequest) => boolean, timeoutMs = 10_000, what = 'request'): Promise<RecordedRequest> {
    const found = this.requests.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onRequest = (r: RecordedRequest): void => {
        if (!pred(r)) return;
        clearTimeout(timer);
        this.off('request', onRequest);
        resolve(r);
      };
      const timer = setTimeout(() => {
        this.off('request', onRequest);
        const seen = this.requests.map((r) => `${r.method} ${r.path}`).slice(-10).join('\n  ');
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Last requests:\n  ${seen}`));
      }, timeoutMs);
      this.on('request', onRequest);
    });
  }

  /** Requests that use an interaction's token (callback and webhook calls), in arrival order. */
  requestsFor(interaction: Pick<SentInteraction, 'token'>): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes(`/${interaction.token}`));
  }

  // ---- interactions -------------------------------------------------------------------------

  member(user: FakeUser, options: { admin?: boolean; roles?: string[] } = {}): Json {
    const permissions = options.admin ? (BigInt(MEMBER_PERMISSIONS) | PERMISSIONS.administrator).toString() : MEMBER_PERMISSIONS;
    return {
      user,
      // The bot's member always carries its role (a message it appears in must not strip its permissions).
      roles: options.roles ?? (user.id === this.botUser.id ? [this.botRoleId] : []),
      permissions,
      joined_at: new Date(0).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      nick: null,
      avatar: null,
      premium_since: null,
      communication_disabled_until: null,
    };
  }

  /** The application as GET /applications/@me describes it: owned by `owner`, or by a team. */
  private application(): Json {
    const team = this.options.team;
    return {
      id: this.applicationId,
      name: 'Archivist',
      icon: null,
      description: '',
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: 'f'.repeat(64),
      flags: 0,
      owner: team ? { id: snowflake(), username: `team${this.applicationId}`, discriminator: '0000', avatar: null, flags: 1024 } : this.owner,
      team: team
        ? {
            id: snowflake(),
            name: 'Operators',
            icon: null,
            owner_user_id: team[0]!.id,
            members: team.map((user) => ({ membership_state: 2, team_id: '0', permissions: ['*'], role: 'admin', user })),
          }
        : null,
    };
  }

  user(name: string): FakeUser {
    return { id: snowflake(), username: name, global_name: name, discriminator: '0', avatar: null };
  }

  private base(type: number, user: FakeUser, member: { admin?: boolean; roles?: string[] }, guildId = this.guildId): Json {
    return {
      id: snowflake(),
      application_id: this.applicationId,
      type,
      guild_id: guildId,
      channel_id: this.channelId,
      channel: this.channel(guildId),
      member: this.member(user, member),
      token: `itok_${randomBytes(24).toString('base64url')}`,
      version: 1,
      app_permissions: MEMBER_PERMISSIONS,
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
      attachment_size_limit: 10_485_760,
    };
  }

  /** A slash command. Options: string → STRING, number → INTEGER, boolean → BOOLEAN. */
  slash(
    name: string,
    options: Record<string, string | number | boolean>,
    user: FakeUser,
    member: { admin?: boolean; roles?: string[] } = {},
    guildId = this.guildId,
  ): SentInteraction {
    const typed = Object.entries(options).map(([k, v]) => scalarOption(k, v));
    const payload = this.base(2, user, member, guildId);
    payload.data = { id: snowflake(), name, type: 1, options: typed, guild_id: guildId };
    return this.dispatchInteraction(payload);
  }

  /** A message context-menu command on `target`. */
  messageCommand(name: string, target: FakeMessage, user: FakeUser): SentInteraction {
    const payload = this.base(2, user, {});
    payload.data = { id: snowflake(), name, type: 3, target_id: target.id, resolved: { messages: { [target.id]: target } }, guild_id: this.guildId };
    return this.dispatchInteraction(payload);
  }

  /** Clicks a button of a message the bot sent (as a member of `guildId`, by default the main guild). */
  click(message: FakeMessage, customId: string, user: FakeUser, guildId = this.guildId): SentInteraction {
    const payload = this.base(3, user, {}, guildId);
    payload.data = { custom_id: customId, component_type: 2 };
    payload.message = message;
    const sent = this.dispatchInteraction(payload);
    this.originals.set(sent.token, message.id);
    return sent;
  }

  /** A message "from a user" in the channel, e.g. to right-click. */
  userMessage(author: FakeUser, content: string): FakeMessage {
    const message = this.newMessage({ author, content, type: 0, flags: 0 });
    return message;
  }

  private dispatchInteraction(payload: Json): SentInteraction {
    if (!this.identified) throw new Error('The bot has not identified on the gateway yet.');
    const guildId = payload.guild_id as string;
    const sockets = [...this.shardOfSocket].filter(([, [id, count]]) => shardOf(guildId, count) === id).map(([ws]) => ws);
    if (sockets.length === 0) throw new Error(`No identified shard receives guild ${guildId}'s events yet.`);
    this.dispatch('INTERACTION_CREATE', payload, sockets);
    this.interactions.set(payload.token as string, payload);
    return { id: payload.id as string, token: payload.token as string, sentAt: Date.now(), payload };
  }

  // ---- guild settings helper: subcommands with role / channel options ----------------------

  /**
   * A slash command with a subcommand (and optionally its group), as Discord nests them:
   * `subcommand('settings', ['admin-roles', 'add'], { role: { role: id } }, …)`,
   * `subcommand('sources', 'add', { file1: fake.attachment(…) }, …)`. Option values: string → STRING,
   * number → INTEGER, boolean → BOOLEAN, { role } → ROLE, { channel } → CHANNEL, a FakeAttachment →
   * ATTACHMENT (with the `resolved` data Discord sends for those).
   */
  subcommand(
    name: string,
    path: string | [string] | [string, string],
    options: Record<string, string | number | boolean | { role: string } | { channel: string } | FakeAttachment>,
    user: FakeUser,
    member: { admin?: boolean; roles?: string[] } = {},
    guildId = this.guildId,
  ): SentInteraction {
    const roles: Json = {};
    const channels: Json = {};
    const attachments: Record<string, FakeAttachment> = {};
    const typed = Object.entries(options).map(([k, v]) => {
      if (typeof v === 'object' && 'filename' in v) {
        attachments[v.id] = v;
        return { name: k, type: 11, value: v.id };
      }
      if (typeof v === 'object' && 'role' in v) {
        roles[v.role] = { id: v.role, name: 'a role', color: 0, hoist: false, position: 1, permissions: '0', managed: false, mentionable: false, icon: null, unicode_emoji: null, flags: 0 };
        return { name: k, type: 8, value: v.role };
      }
      if (typeof v === 'object' && 'channel' in v) {
        channels[v.channel] = { id: v.channel, name: 'asks', type: 0, permissions: MEMBER_PERMISSIONS, parent_id: null, flags: 0 };
        return { name: k, type: 7, value: v.channel };
      }
      return scalarOption(k, v);
    });
    const steps = typeof path === 'string' ? [path] : path;
    const sub = { name: steps.at(-1)!, type: 1, options: typed };
    const top = steps.length === 2 ? [{ name: steps[0], type: 2, options: [sub] }] : [sub];
    const payload = this.base(2, user, member, guildId);
    const resolved = {
      ...(Object.keys(roles).length ? { roles } : {}),
      ...(Object.keys(channels).length ? { channels } : {}),
      ...(Object.keys(attachments).length ? { attachments } : {}),
    };
    payload.data = { id: snowflake(), name, type: 1, options: top, guild_id: guildId, ...(Object.keys(resolved).length ? { resolved } : {}) };
    return this.dispatchInteraction(payload);
  }

  /** Clicks a button as a member of another guild's channel (votes and paging in a second server). */
  clickIn(guildId: string, message: FakeMessage, customId: string, user: FakeUser): SentInteraction {
    return this.click(message, customId, user, guildId);
  }

  // ---- gateway ------------------------------------------------------------------------------

  private send(ws: WebSocket, payload: Json): void {
    ws.send(JSON.stringify(payload));
  }

  private dispatch(t: string, d: unknown, to: Iterable<WebSocket> = this.sockets): void {
    this.seq++;
    for (const ws of to) this.send(ws, { op: 0, t, s: this.seq, d });
  }

  private onGateway(ws: WebSocket, query: URLSearchParams): void {
    if (query.get('encoding') !== 'json' || query.has('compress')) {
      ws.close(4012, 'this fake speaks uncompressed JSON only');
      return;
    }
    this.sockets.add(ws);
    ws.on('close', () => {
      this.sockets.delete(ws);
      this.shardOfSocket.delete(ws);
      this.emit('gateway-close');
    });
    this.send(ws, { op: 10, d: { heartbeat_interval: this.options.heartbeatInterval ?? 45_000 }, s: null, t: null });
    ws.on('message', (raw) => {
      const payload = JSON.parse(raw.toString()) as Json;
      this.gatewayReceived.push(payload);
      this.emit('gateway', payload);
      const op = payload.op;
      if (op === 1) this.send(ws, { op: 11, d: null, s: null, t: null });
      else if (op === 2) this.onIdentify(ws, payload.d as Json);
    });
  }

  private onIdentify(ws: WebSocket, d: Json): void {
    if (d.token !== this.options.token && d.token !== `Bot ${this.options.token}`) {
      ws.close(4004, 'Authentication failed.');
      return;
    }
    if (!this.identifyAllowed(ws, d)) return;
    const requested = d.shard;
    const [shardId, shardCount] = Array.isArray(requested) ? (requested as [number, number]) : [0, 1];
    if (!Number.isInteger(shardId) || !Number.isInteger(shardCount) || shardCount < 1 || shardId < 0 || shardId >= shardCount) {
      ws.close(4010, 'Invalid shard.');
      return;
    }
    const guilds = this.guildIds.filter((g) => shardOf(g, shardCount) === shardId);
    this.seq++;
    this.send(ws, {
      op: 0,
      t: 'READY',
      s: this.seq,
      d: {
        v: 10,
        user: { ...this.botUser, verified: true, mfa_enabled: false, flags: 0 },
        guilds: guilds.map((id) => ({ id, unavailable: true })),
        session_id: randomBytes(16).toString('hex'),
        resume_gateway_url: this.gatewayUrl,
        shard: [shardId, shardCount],
        application: { id: this.applicationId, flags: 0 },
        private_channels: [],
        relationships: [],
        user_settings: {},
        presences: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
      },
    });
    for (const id of guilds) {
      this.seq++;
      this.send(ws, { op: 0, t: 'GUILD_CREATE', s: this.seq, d: this.guild(id) });
    }
    this.shardOfSocket.set(ws, [shardId, shardCount]);
    this.identified = true;
    this.emit('identified');
  }

  private channel(guildId = this.guildId): Json {
    return { id: this.channelId, type: 0, guild_id: guildId, name: 'general', position: 0, permission_overwrites: this.overwrites(this.channelId), nsfw: false, topic: null, last_message_id: null, rate_limit_per_user: 0, parent_id: null, flags: 0 };
  }

  private guild(id: string): Json {
    const role = (id: string, name: string, permissions: string, position: number): Json => ({
      id, name, permissions, position, color: 0, hoist: false, managed: false, mentionable: false, icon: null, unicode_emoji: null, flags: 0,
    });
    return {
      id,
      name: 'Archivist Test Server',
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: snowflake(),
      afk_channel_id: null,
      afk_timeout: 300,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [role(id, '@everyone', MEMBER_PERMISSIONS, 0), role(this.adminRoleId, 'Archivists', MEMBER_PERMISSIONS, 1), role(this.botRoleId, 'Archivist', BOT_PERMISSIONS, 2)],
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      joined_at: new Date().toISOString(),
      large: false,
      unavailable: false,
      member_count: 1,
      voice_states: [],
      members: [this.member(this.botUser)],
      channels: [this.channel(id), ...this.extraChannels(id, 'channels')],
      threads: this.extraChannels(id, 'threads'),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  // ---- REST ---------------------------------------------------------------------------------

  private newMessage(fields: Partial<FakeMessage>): FakeMessage {
    const message: FakeMessage = {
      id: snowflake(),
      channel_id: this.channelId,
      guild_id: this.guildId,
      author: this.botUser,
      content: '',
      embeds: [],
      components: [],
      flags: 0,
      type: 0,
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      pinned: false,
      ...fields,
    };
    this.messages.set(message.id, message);
    return message;
  }

  /**
   * What a message responding to an interaction carries, as on Discord: the interaction's channel,
   * and who used it (`interaction_metadata`; the deprecated `interaction` for a command too). Its
   * author is the bot all the same.
   */
  private responseFields(token: string): Partial<FakeMessage> {
    const interaction = this.interactions.get(token);
    if (!interaction) return {};
    const user = (interaction.member as { user: FakeUser }).user;
    const guildId = interaction.guild_id as string;
    const data = (interaction.data ?? {}) as Json;
    return {
      channel_id: interaction.channel_id as string,
      guild_id: guildId,
      interaction_metadata: { id: interaction.id, type: interaction.type, user, authorizing_integration_owners: { '0': guildId } },
      ...(interaction.type === 2 ? { interaction: { id: interaction.id, type: 2, name: data.name, user } } : {}),
    };
  }

  /** Applies a message body from the bot (reply, edit) to a stored message. */
  private applyBody(message: FakeMessage, body: Json): FakeMessage {
    for (const key of ['content', 'embeds', 'components', 'allowed_mentions'] as const) {
      if (body[key] !== undefined) message[key] = body[key] as never;
    }
    if (typeof body.flags === 'number') message.flags = body.flags;
    return message;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const record: RecordedRequest = {
      method: req.method ?? 'GET',
      path: decodeURIComponent(url.pathname).replace(/^\/api\/v10/, ''),
      query: url.searchParams,
      body: raw && (req.headers['content-type'] ?? '').includes('json') ? (JSON.parse(raw) as unknown) : raw || undefined,
      authorization: req.headers.authorization,
      at: Date.now(),
      status: 0,
    };
    const reply = (status: number, body?: unknown): void => {
      record.status = status;
      this.requests.push(record);
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
      this.emit('request', record);
    };
    if (req.method === 'GET' && url.pathname.startsWith(ATTACHMENTS_PATH)) return this.serveAttachment(url.pathname, record, res);
    if (!url.pathname.startsWith('/api/v10/')) return reply(404, { message: '404: Not Found', code: 0 });
    const path = record.path;
    const body = (record.body ?? {}) as Json;
    const authed = req.headers.authorization === `Bot ${this.options.token}`;
    const m = (re: RegExp): RegExpExecArray | null => re.exec(path);
    let match: RegExpExecArray | null;

    // Interaction callbacks and webhook calls are authorised by the interaction token alone.
    match = req.method === 'POST' ? m(/^\/interactions\/(\d+)\/([^/]+)\/callback$/) : null;
    if (match) {
      const token = match[2]!;
      const data = (body.data ?? {}) as Json;
      const type = body.type as number;
      let message: FakeMessage | undefined;
      if (type === 4 || type === 5) {
        message = this.newMessage({ ...this.responseFields(token), author: this.botUser, flags: type === 5 ? ((data.flags as number) ?? 0) | 128 : 0, webhook_id: this.applicationId, application_id: this.applicationId, type: 20 });
        this.applyBody(message, data);
        this.originals.set(token, message.id);
      } else if (type === 7) {
        message = this.original(token);
        if (message) this.applyBody(message, data);
      } else if (type === 6) {
        message = this.original(token);
      }
      if (url.searchParams.get('with_response') === 'true') {
        return reply(200, { interaction: { id: match[1], type: 2, response_message_loading: type === 5, response_message_ephemeral: false }, resource: { type, message } });
      }
      return reply(204);
    }
    match = m(/^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/([^/]+))?$/);
    if (match) {
      const [, , token, which] = match;
      if (this.expired.has(token!)) return reply(401, { message: 'Invalid Webhook Token', code: 50027 });
      if (req.method === 'POST' && !which) {
        const message = this.newMessage({ ...this.responseFields(token!), webhook_id: this.applicationId, application_id: this.applicationId, type: 0 });
        return reply(200, this.applyBody(message, body));
      }
      if (req.method === 'PATCH' && this.editFailures.left > 0) {
        this.editFailures.left--;
        const how = this.editFailures.how;
        if (how === 429) {
          res.setHeader('retry-after', '0.05');
          res.setHeader('x-ratelimit-scope', 'user');
          return reply(429, { message: 'You are being rate limited.', retry_after: 0.05, global: false });
        }
        if (how === 500) return reply(500, { message: '500: Internal Server Error', code: 0 });
        // Cut the connection without an answer, as a socket reset does.
        this.requests.push(record);
        this.emit('request', record);
        req.socket.destroy();
        return;
      }
      const id = which === '@original' ? this.originals.get(token!) : which;
      const message = id ? this.messages.get(id) : undefined;
      if (!message) return reply(404, { message: 'Unknown Message', code: 10008 });
      if (req.method === 'PATCH') {
        message.flags &= ~128; // no longer "thinking…"
        message.edited_timestamp = new Date().toISOString();
        return reply(200, this.applyBody(message, body));
      }
      if (req.method === 'GET') return reply(200, message);
      if (req.method === 'DELETE') {
        this.messages.delete(message.id);
        return reply(204);
      }
    }

    if (!authed) return reply(401, { message: '401: Unauthorized', code: 0 });
    if (req.method === 'GET' && path === '/gateway/bot') {
      return reply(200, { url: this.gatewayUrl, shards: this.options.recommendedShards ?? 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } });
    }
    if (req.method === 'GET' && path === '/gateway') return reply(200, { url: this.gatewayUrl });
    if (req.method === 'GET' && path === '/users/@me') return reply(200, this.botUser);
    // discord.js's ClientApplication#fetch (GET /applications/@me); OAuth2's older route answers the same.
    if (req.method === 'GET' && (path === '/applications/@me' || path === '/oauth2/applications/@me')) {
      if (this.options.applicationUnavailable) return reply(503, { message: 'Service Unavailable', code: 0 });
      return reply(200, this.application());
    }
    if (this.handleChannelRest(req.method ?? 'GET', path, body, reply, url.searchParams)) return;
    match = req.method === 'PUT' ? m(/^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/) : null;
    if (match) {
      const list = Array.isArray(record.body) ? (record.body as Json[]) : [];
      return reply(200, list.map((c) => ({ ...c, id: snowflake(), application_id: match![1], guild_id: match![2], version: snowflake(), type: c.type ?? 1 })));
    }
    match = req.method === 'GET' ? m(/^\/channels\/(\d+)$/) : null;
    if (match) {
      return match[1] === this.channelId ? reply(200, this.channel()) : reply(404, { message: 'Unknown Channel', code: 10003 });
    }
    match = req.method === 'POST' ? m(/^\/channels\/(\d+)\/messages$/) : null;
    if (match) {
      if (match[1] !== this.channelId) return reply(404, { message: 'Unknown Channel', code: 10003 });
      return reply(200, this.applyBody(this.newMessage({ type: 0 }), body));
    }
    return reply(404, { message: '404: Not Found', code: 0 });
  }

  // ---- messages, channels and threads (ask by mention, ask channels, follow-ups) --------------
  // MESSAGE_CREATE as Discord sends it: only with the GuildMessages intent, and with the text of
  // messages that do not mention the bot blanked unless the bot asked for Message Content. More
  // channels (text, forum) and threads in GUILD_CREATE; thread creation, message fetch and message
  // replies over REST.

  /** Channels and threads besides the main text channel, by id. */
  private readonly moreChannels = new Map<string, Json>();

  /** Thread creations left to refuse with 403 Missing Permissions (as without "Create Public Threads"). */
  refuseThreads = 0;

  /** Permissions taken from the bot in a channel (its threads inherit them), by channel id. */
  private readonly denied = new Map<string, bigint>();
  /** Permissions given to the bot in a channel beyond its role's (e.g. Manage Threads), by channel id. */
  private readonly allowed = new Map<string, bigint>();

  private overwrites(channelId: string): Json[] {
    const deny = this.denied.get(channelId);
    const allow = this.allowed.get(channelId);
    return deny || allow ? [{ id: this.botUser.id, type: 1, allow: (allow ?? 0n).toString(), deny: (deny ?? 0n).toString() }] : [];
  }

  /** Gives the bot permissions in a channel beyond its role's (e.g. Manage Threads), as a moderator's override does (CHANNEL_UPDATE). */
  allowBot(channelId: string, ...permissions: bigint[]): void {
    this.allowed.set(channelId, permissions.reduce((a, b) => a | b, this.allowed.get(channelId) ?? 0n));
    const stored = this.moreChannels.get(channelId);
    if (stored) stored.permission_overwrites = this.overwrites(channelId);
    if (this.identified) this.dispatchGuild('CHANNEL_UPDATE', stored ?? this.channel());
  }

  /** A member renames a thread (e.g. a forum post's title): THREAD_UPDATE. */
  renameThread(threadId: string, name: string): void {
    const thread = this.moreChannels.get(threadId);
    if (!thread || thread.type !== CHANNEL.publicThread) throw new Error(`no thread ${threadId}`);
    thread.name = name.slice(0, 100);
    this.dispatchGuild('THREAD_UPDATE', thread);
  }

  /**
   * A thread archived (as Discord does once it is inactive for its auto-archive duration, or a
   * moderator does), and `locked` too if asked. Announced with THREAD_UPDATE unless `announce` is
   * false (an event the bot missed: its cache still says active).
   */
  archiveThread(threadId: string, options: { locked?: boolean; announce?: boolean } = {}): void {
    const thread = this.moreChannels.get(threadId);
    if (!thread || thread.type !== CHANNEL.publicThread) throw new Error(`no thread ${threadId}`);
    const meta = thread.thread_metadata as Json;
    meta.archived = true;
    meta.archive_timestamp = new Date().toISOString();
    if (options.locked) meta.locked = true;
    if (options.announce !== false) this.dispatchGuild('THREAD_UPDATE', thread);
  }

  /** Whether a channel is an archived thread. */
  isArchived(channelId: string): boolean {
    return (this.moreChannels.get(channelId)?.thread_metadata as { archived?: boolean } | undefined)?.archived === true;
  }

  /** Whether a channel or thread still exists (a thread the bot deleted does not). */
  hasChannel(id: string): boolean {
    return id === this.channelId || this.moreChannels.has(id);
  }

  /**
   * Takes permissions from the bot in a channel, as a moderator's channel override does (announced
   * with CHANNEL_UPDATE). REST then acts as Discord does: 403 for a message without Send Messages
   * (Send Messages in Threads in its threads) or a thread without Create Public Threads, and a
   * message's embeds silently dropped without Embed Links.
   */
  denyBot(channelId: string, ...permissions: bigint[]): void {
    this.denied.set(channelId, permissions.reduce((a, b) => a | b, this.denied.get(channelId) ?? 0n));
    const stored = this.moreChannels.get(channelId);
    if (stored) stored.permission_overwrites = this.overwrites(channelId);
    if (this.identified) this.dispatchGuild('CHANNEL_UPDATE', stored ?? this.channel());
  }

  /** Whether the bot has `permission` in a channel or thread (a thread's come from its parent). */
  private botMay(channelId: string, permission: bigint): boolean {
    const channel = this.moreChannels.get(channelId);
    const from = channel?.type === CHANNEL.publicThread ? String(channel.parent_id) : channelId;
    const has = (BigInt(BOT_PERMISSIONS) | (this.allowed.get(from) ?? 0n)) & ~(this.denied.get(from) ?? 0n);
    return (has & permission) === permission;
  }

  /**
   * A user edits their message: MESSAGE_UPDATE as Discord sends it (text blanked as for MESSAGE_CREATE).
   * `unfurl`: no edit by the user, an update Discord sends by itself with the text unchanged (a link's
   * embed unfolded): edited_timestamp stays and `embeds` gains one.
   */
  editMessage(message: FakeMessage, content: string, options: { unfurl?: boolean } = {}): void {
    message.content = content;
    if (options.unfurl) message.embeds = [...message.embeds, { type: 'link', url: 'https://example.com/', title: 'A page' }];
    else message.edited_timestamp = new Date().toISOString();
    const mentioned = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]);
    // A reply pings its author as when it was posted (post()).
    const replied = (message.referenced_message as FakeMessage | undefined)?.author.id;
    message.mentions = [...new Set([...mentioned, ...(replied ? [replied] : [])])].map((uid) => (uid === this.botUser.id ? this.botUser : { ...message.author, id: uid! }));
    const readable = ((this.identifyIntents ?? 0) & INTENTS.messageContent) !== 0 || (message.mentions as FakeUser[]).some((u) => u.id === this.botUser.id);
    const { user: _user, ...member } = this.member(message.author);
    this.dispatchGuild('MESSAGE_UPDATE', { ...message, ...(readable ? {} : { content: '', embeds: [] }), guild_id: this.guildOf(message.channel_id), member });
  }

  /** A message deleted (by its author or a moderator): MESSAGE_DELETE, which carries ids only. */
  deleteMessage(message: FakeMessage): void {
    this.messages.delete(message.id);
    this.dispatchGuild('MESSAGE_DELETE', { id: message.id, channel_id: message.channel_id, guild_id: this.guildOf(message.channel_id) });
  }

  /** The intents of the last IDENTIFY (undefined before one). */
  get identifyIntents(): number | undefined {
    const identify = [...this.gatewayReceived].reverse().find((p) => p.op === 2) as { d?: { intents?: number } } | undefined;
    return identify?.d?.intents;
  }

  private identifyAllowed(ws: WebSocket, d: Json): boolean {
    if (this.options.messageContentAllowed === false && (Number(d.intents) & INTENTS.messageContent) !== 0) {
      ws.close(4014, 'Disallowed intent(s).');
      return false;
    }
    return true;
  }

  private extraChannels(guildId: string, kind: 'channels' | 'threads'): Json[] {
    // GUILD_CREATE lists active threads only: an archived one is known to the bot by fetching it.
    return [...this.moreChannels.values()].filter((c) => c.guild_id === guildId && (c.type === CHANNEL.publicThread) === (kind === 'threads') && !this.isArchived(c.id as string));
  }

  /** A text or forum channel in the main server or `guildId` (add before the bot connects, or it is announced with CHANNEL_CREATE). */
  addChannel(type: 'text' | 'forum', name: string, guildId = this.guildId): string {
    const id = snowflake();
    const channel: Json = {
      id, type: type === 'forum' ? CHANNEL.forum : CHANNEL.text, guild_id: guildId, name, position: this.moreChannels.size + 1, permission_overwrites: [], nsfw: false,
      topic: null, last_message_id: null, rate_limit_per_user: 0, parent_id: null, flags: 0,
      ...(type === 'forum' ? { available_tags: [], default_reaction_emoji: null, default_thread_rate_limit_per_user: 0, default_sort_order: null, default_forum_layout: 0 } : {}),
    };
    this.moreChannels.set(id, channel);
    if (this.identified) this.dispatchGuild('CHANNEL_CREATE', channel);
    return id;
  }

  /** The server a channel or thread is in (the main channel: the main server). */
  guildOf(channelId: string): string {
    return (this.moreChannels.get(channelId)?.guild_id as string | undefined) ?? this.guildId;
  }

  /** A channel or thread the stand-in knows, as Discord returns it. */
  channelById(id: string): Json | undefined {
    return id === this.channelId ? this.channel() : this.moreChannels.get(id);
  }

  private newThread(id: string, parentId: string, ownerId: string, name: string): Json {
    const thread: Json = {
      id, type: CHANNEL.publicThread, guild_id: this.guildOf(parentId), parent_id: parentId, owner_id: ownerId, name: String(name).slice(0, 100),
      last_message_id: null, rate_limit_per_user: 0, message_count: 0, member_count: 1, flags: 0, total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: 1440, archive_timestamp: new Date().toISOString(), locked: false, create_timestamp: new Date().toISOString() },
    };
    this.moreChannels.set(id, thread);
    this.dispatchGuild('THREAD_CREATE', { ...thread, newly_created: true });
    return thread;
  }

  /** A user starts a thread on a message (e.g. the bot's answer): the thread has the message's id. */
  startThread(message: FakeMessage, user: FakeUser, name = 'Follow-up'): string {
    return this.newThread(message.id, message.channel_id, user.id, name).id as string;
  }

  /** A user's new post in a forum channel: a thread, and its starter message (same id) in it. */
  forumPost(forumId: string, author: FakeUser, title: string, content: string): FakeMessage {
    const id = snowflake();
    this.newThread(id, forumId, author.id, title);
    return this.postWithId(id, id, author, content);
  }

  /**
   * A user's message in a channel or thread, sent to the bot as MESSAGE_CREATE. `replyTo`: a message
   * it replies to; `past`: only stored, as a message from before the bot connected (REST can read it).
   */
  post(channelId: string, author: FakeUser, content: string, options: { replyTo?: FakeMessage; past?: boolean } = {}): FakeMessage {
    return this.postWithId(snowflake(), channelId, author, content, options);
  }

  private postWithId(id: string, channelId: string, author: FakeUser, content: string, options: { replyTo?: FakeMessage; past?: boolean } = {}): FakeMessage {
    const mentioned = [...content.matchAll(/<@!?(\d+)>/g)].map((m) => m[1]);
    const replyTo = options.replyTo;
    const mentions = [...new Set([...mentioned, ...(replyTo ? [replyTo.author.id] : [])])].map((uid) => (uid === this.botUser.id ? this.botUser : { ...author, id: uid! }));
    const guildId = this.guildOf(channelId);
    const message = this.newMessage({
      id, channel_id: channelId, guild_id: guildId, author, content, type: replyTo ? 19 : 0, flags: 0, mentions,
      ...(replyTo ? { message_reference: { type: 0, message_id: replyTo.id, channel_id: replyTo.channel_id, guild_id: guildId }, referenced_message: replyTo } : {}),
    });
    const thread = this.moreChannels.get(channelId);
    if (thread) thread.last_message_id = id;
    const intents = this.identifyIntents ?? 0;
    if ((intents & INTENTS.guildMessages) === 0 || options.past) return message; // Discord sends no guild messages without it
    const readable = (intents & INTENTS.messageContent) !== 0 || mentions.some((u) => u.id === this.botUser.id);
    const { user: _user, ...rest } = this.member(author);
    this.dispatchGuild('MESSAGE_CREATE', {
      ...message,
      ...(readable ? {} : { content: '', embeds: [], attachments: [], components: [] }),
      guild_id: guildId,
      member: rest,
    });
    return message;
  }

  /** Messages the bot sent to a channel or thread (replies, answers in threads), oldest first. */
  messagesIn(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId && m.author.id === this.botUser.id);
  }

  /** Resolves with the first message the bot sent (or sends) to `channelId` that matches `pred`. */
  waitForBotMessage(channelId: string, pred: (m: FakeMessage) => boolean = () => true, timeoutMs = 10_000): Promise<FakeMessage> {
    const found = this.messagesIn(channelId).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onMessage = (m: FakeMessage): void => {
        if (m.channel_id !== channelId || !pred(m)) return;
        clearTimeout(timer);
        this.off('bot-message', onMessage);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.off('bot-message', onMessage);
        const seen = this.requests.map((r) => `${r.method} ${r.path} ${r.status}`).slice(-10).join('\n  ');
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for a message from the bot in channel ${channelId}. Last requests:\n  ${seen}`));
      }, timeoutMs);
      this.on('bot-message', onMessage);
    });
  }

  /** An event of the server `d.guild_id` names (else the main one), to the shard that has it. */
  private dispatchGuild(t: string, d: Json): void {
    const guildId = typeof d.guild_id === 'string' ? d.guild_id : this.guildId;
    const sockets = [...this.shardOfSocket].filter(([, [id, count]]) => shardOf(guildId, count) === id).map(([ws]) => ws);
    this.dispatch(t, d, sockets);
  }

  /** REST of channels, messages and threads; true when it answered. */
  private handleChannelRest(method: string, path: string, requestBody: Json, reply: (status: number, body?: unknown) => void, query: URLSearchParams = new URLSearchParams()): boolean {
    const answered = (status: number, payload: unknown): true => {
      reply(status, payload);
      return true;
    };
    let body = requestBody;
    let match = /^\/channels\/(\d+)$/.exec(path);
    if (match && method === 'GET') {
      const channel = this.channelById(match[1]!);
      reply(channel ? 200 : 404, channel ?? { message: 'Unknown Channel', code: 10003 });
      return true;
    }
    // Renaming or archiving a thread: its owner may, or Manage Threads (any other channel needs Manage
    // Channels, which the bot lacks); locking it takes Manage Threads.
    if (match && method === 'PATCH') {
      const thread = this.moreChannels.get(match[1]!);
      if (!thread) return answered(404, { message: 'Unknown Channel', code: 10003 });
      const manage = thread.type === CHANNEL.publicThread && this.botMay(thread.id as string, PERMISSIONS.manageThreads);
      if (thread.type !== CHANNEL.publicThread || (thread.owner_id !== this.botUser.id && !manage)) return answered(403, { message: 'Missing Permissions', code: 50013 });
      if (body.locked !== undefined && !manage) return answered(403, { message: 'Missing Permissions', code: 50013 });
      const meta = thread.thread_metadata as Json;
      // An archived thread takes no change but being unarchived; a locked one only by Manage Threads.
      if (meta.archived === true && body.archived !== false) return answered(400, { message: 'Thread is archived', code: 50083 });
      if (meta.archived === true && meta.locked === true && !manage) return answered(403, { message: 'Missing Permissions', code: 50013 });
      if (typeof body.name === 'string') thread.name = body.name.slice(0, 100);
      if (typeof body.archived === 'boolean') meta.archived = body.archived;
      if (typeof body.locked === 'boolean') meta.locked = body.locked;
      this.dispatchGuild('THREAD_UPDATE', thread);
      return answered(200, thread);
    }
    // Deleting a thread takes Manage Threads, even for its owner.
    if (match && method === 'DELETE') {
      const thread = this.moreChannels.get(match[1]!);
      if (!thread) return answered(404, { message: 'Unknown Channel', code: 10003 });
      if (thread.type !== CHANNEL.publicThread || !this.botMay(thread.id as string, PERMISSIONS.manageThreads)) return answered(403, { message: 'Missing Permissions', code: 50013 });
      this.moreChannels.delete(thread.id as string);
      for (const m of [...this.messages.values()]) if (m.channel_id === thread.id) this.messages.delete(m.id);
      this.dispatchGuild('THREAD_DELETE', { id: thread.id, guild_id: thread.guild_id, parent_id: thread.parent_id, type: thread.type });
      return answered(200, thread);
    }
    match = /^\/channels\/(\d+)\/typing$/.exec(path);
    if (match && method === 'POST') {
      reply(204);
      return true;
    }
    match = /^\/channels\/(\d+)\/messages$/.exec(path);
    // Reading a channel's messages, newest first (Discord's order), `limit` of them before or after an id.
    if (match && method === 'GET') {
      if (!this.channelById(match[1]!)) return answered(404, { message: 'Unknown Channel', code: 10003 });
      const limit = Math.min(100, Number(query.get('limit') ?? 50));
      const after = query.get('after');
      const before = query.get('before');
      const all = [...this.messages.values()]
        .filter((m) => m.channel_id === match![1] && (m.flags & EPHEMERAL) === 0 && (!after || BigInt(m.id) > BigInt(after)) && (!before || BigInt(m.id) < BigInt(before)))
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1));
      return answered(200, after ? all.slice(-limit) : all.slice(0, limit));
    }
    if (match && method === 'POST') {
      const channelId = match[1]!;
      if (!this.channelById(channelId)) return answered(404, { message: 'Unknown Channel', code: 10003 });
      const inThread = this.moreChannels.get(channelId)?.type === CHANNEL.publicThread;
      if (!this.botMay(channelId, inThread ? PERMISSIONS.sendMessagesInThreads : PERMISSIONS.sendMessages)) return answered(403, { message: 'Missing Permissions', code: 50013 });
      // Without Embed Links Discord sends the message and drops its embeds, saying nothing.
      if (!this.botMay(channelId, PERMISSIONS.embedLinks)) body = { ...body, embeds: [] };
      const ref = body.message_reference as { message_id?: string } | undefined;
      const referenced = ref?.message_id ? this.messages.get(ref.message_id) : undefined;
      if (ref?.message_id && !referenced) return answered(400, { message: 'Invalid Form Body', code: 50035 });
      const message = this.newMessage({
        channel_id: channelId, guild_id: this.guildOf(channelId), type: referenced ? 19 : 0,
        ...(referenced ? { message_reference: { type: 0, message_id: referenced.id, channel_id: referenced.channel_id, guild_id: this.guildOf(channelId) }, referenced_message: referenced } : {}),
      });
      this.applyBody(message, body);
      reply(200, message);
      this.emit('bot-message', message);
      return true;
    }
    match = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path);
    if (match && (method === 'GET' || method === 'PATCH' || method === 'DELETE')) {
      const message = this.messages.get(match[2]!);
      if (!message || message.channel_id !== match[1]) return answered(404, { message: 'Unknown Message', code: 10008 });
      // The bot may edit and delete its own messages only (others' need Manage Messages, which it lacks).
      if (method !== 'GET' && message.author.id !== this.botUser.id) return answered(403, { message: 'Missing Permissions', code: 50013 });
      // Nothing in an archived thread can be edited or deleted until it is unarchived.
      if (method !== 'GET' && this.isArchived(match[1]!)) return answered(400, { message: 'Thread is archived', code: 50083 });
      if (method === 'DELETE') {
        this.messages.delete(message.id);
        reply(204);
        return true;
      }
      if (method === 'PATCH') {
        message.edited_timestamp = new Date().toISOString();
        this.applyBody(message, this.botMay(match[1]!, PERMISSIONS.embedLinks) ? body : { ...body, embeds: [] });
      }
      reply(200, message);
      return true;
    }
    match = /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/.exec(path);
    if (match && method === 'POST') {
      const message = this.messages.get(match[2]!);
      if (!message || message.channel_id !== match[1]) return answered(404, { message: 'Unknown Message', code: 10008 });
      if (this.refuseThreads > 0 || !this.botMay(match[1]!, PERMISSIONS.createPublicThreads)) {
        this.refuseThreads = Math.max(0, this.refuseThreads - 1);
        return answered(403, { message: 'Missing Permissions', code: 50013 });
      }
      if (this.moreChannels.has(message.id)) return answered(400, { message: 'A thread has already been created for this message', code: 160004 });
      reply(201, this.newThread(message.id, match[1]!, this.botUser.id, String(body.name ?? 'thread')));
      return true;
    }
    match = /^\/channels\/(\d+)\/threads$/.exec(path);
    if (match && method === 'POST') {
      const forum = this.moreChannels.get(match[1]!);
      if (!forum || forum.type !== CHANNEL.forum) return answered(400, { message: 'Invalid Form Body', code: 50035 });
      const id = snowflake();
      const thread = this.newThread(id, forum.id as string, this.botUser.id, String(body.name ?? 'post'));
      const starter = this.newMessage({ id, channel_id: id });
      this.applyBody(starter, (body.message ?? {}) as Json);
      reply(201, { ...thread, message: starter });
      return true;
    }
    return false;
  }

  /** A slash command used in another channel or thread than the main one. */
  slashIn(channelId: string, name: string, options: Record<string, string | number | boolean>, user: FakeUser): SentInteraction {
    const typed = Object.entries(options).map(([k, v]) => scalarOption(k, v));
    const payload = this.base(2, user, {});
    payload.channel_id = channelId;
    payload.channel = this.channelById(channelId);
    payload.data = { id: snowflake(), name, type: 1, options: typed, guild_id: this.guildId };
    return this.dispatchInteraction(payload);
  }

  // ---- sources from chat: attachments, subcommands, autocomplete (helper "sources") ----------

  private files = new Map<string, { body: Buffer; contentType: string }>();
  /** Downloads of attachment files, by path, in arrival order. */
  readonly attachmentDownloads: string[] = [];

  /**
   * A file "uploaded" with a command: served by this stand-in over HTTP at its `url`, as Discord's
   * CDN serves attachments. `size` is what Discord reports (default: the real size).
   */
  attachment(filename: string, body: string | Buffer, options: { contentType?: string; size?: number } = {}): FakeAttachment {
    const id = snowflake();
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    const contentType = options.contentType ?? 'text/plain; charset=utf-8';
    const path = `${ATTACHMENTS_PATH}${id}/${encodeURIComponent(filename)}`;
    this.files.set(path, { body: bytes, contentType });
    return { id, filename, size: options.size ?? bytes.byteLength, url: `${this.url}${path}`, proxy_url: `${this.url}${path}`, content_type: contentType };
  }

  /**
   * An autocomplete request (interaction type 4) while the user types into option `focused`; the
   * bot answers with a callback of type 8 carrying `choices` (see `choices()`).
   */
  autocomplete(
    name: string,
    sub: string | undefined,
    options: Record<string, string>,
    focused: string,
    user: FakeUser,
    member: { admin?: boolean; roles?: string[] } = {},
    guildId = this.guildId,
  ): SentInteraction {
    const typed = Object.entries(options).map(([k, v]) => ({ name: k, type: 3, value: v, ...(k === focused ? { focused: true } : {}) }));
    const payload = this.base(4, user, member, guildId);
    payload.data = { id: snowflake(), name, type: 1, options: sub ? [{ name: sub, type: 1, options: typed }] : typed, guild_id: guildId };
    return this.dispatchInteraction(payload);
  }

  /** The choices the bot answered an autocomplete interaction with (waits for the type 8 callback). */
  async choices(i: SentInteraction, timeoutMs = 5000): Promise<{ choices: Array<{ name: string; value: string }>; ms: number }> {
    const r = await this.waitForRequest((r) => r.method === 'POST' && r.path === `/interactions/${i.id}/${i.token}/callback`, timeoutMs, `the autocomplete answer to ${i.id}`);
    const body = r.body as { type: number; data?: { choices?: Array<{ name: string; value: string }> } };
    if (body.type !== 8) throw new Error(`expected an autocomplete result (type 8), got type ${body.type}`);
    return { choices: body.data?.choices ?? [], ms: r.at - i.sentAt };
  }

  private serveAttachment(pathname: string, record: RecordedRequest, res: ServerResponse): void {
    const file = this.files.get(pathname);
    record.status = file ? 200 : 404;
    this.attachmentDownloads.push(pathname);
    if (!file) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.byteLength) }).end(file.body);
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
