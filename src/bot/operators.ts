import { Team, type Client, type ClientApplication } from 'discord.js';

/**
 * Who operates the bot: its application's owner, or every member of the team that owns it, as
 * Discord says (GET /applications/@me). The shared index is theirs unless SOURCES_GUILD_IDS names
 * servers. Fetched once and kept for a while (an owner change shows up within `ttlMs`).
 */
export class Operators {
  private known: { ids: ReadonlySet<string>; at: number } | undefined;
  private pending: Promise<ReadonlySet<string>> | undefined;

  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The operators' user ids; rejects when Discord cannot say (then nobody is taken for one). */
  ids(client: Pick<Client, 'application'>): Promise<ReadonlySet<string>> {
    if (this.known && this.now() - this.known.at < this.ttlMs) return Promise.resolve(this.known.ids);
    this.pending ??= (async () => {
      try {
        const app = client.application;
        if (!app) throw new Error('the client has no application yet (not ready)');
        const ids = operatorIds(await app.fetch());
        this.known = { ids, at: this.now() };
        return ids;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }

  /** What is known without asking Discord (for autocomplete, which cannot wait): undefined if nothing yet. */
  cached(): ReadonlySet<string> | undefined {
    return this.known?.ids;
  }
}

/** The owner's id, or the ids of the owning team's members. */
export function operatorIds(app: Pick<ClientApplication, 'owner'>): ReadonlySet<string> {
  const owner = app.owner;
  if (!owner) return new Set();
  if (owner instanceof Team) return new Set(owner.members.keys());
  return new Set([owner.id]);
}
