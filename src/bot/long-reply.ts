import type { ChatInputCommandInteraction, InteractionEditReplyOptions } from 'discord.js';
import { NO_MENTIONS } from './format.js';
import type { Logger } from './logger.js';

/** Interaction tokens last 15 minutes; stop using ours a little before, to be safe. */
export const TOKEN_LIFETIME_MS = 14 * 60 * 1000;

type Body = Pick<InteractionEditReplyOptions, 'content' | 'embeds'>;

/**
 * The reply of a long job (/reindex): progress edits, throttled to stay clear of rate limits, and a
 * final result that falls back to a normal channel message once the interaction token has expired
 * (or an edit fails), so a run longer than 15 minutes still reports.
 */
export class LongReply {
  private lastEdit = 0;
  private editing: Promise<unknown> = Promise.resolve();
  private tokenDead = false;

  constructor(
    private readonly interaction: ChatInputCommandInteraction,
    private readonly log: Logger,
    private readonly minIntervalMs = 1500,
    private readonly now: () => number = Date.now,
  ) {}

  private tokenUsable(): boolean {
    return !this.tokenDead && this.now() - this.interaction.createdTimestamp < TOKEN_LIFETIME_MS;
  }

  /** Shows progress; drops updates that come too fast or after the token is gone. */
  progress(body: Body): void {
    const t = this.now();
    // Progress can come before the deferral is acknowledged: editing is only possible after it.
    if (!this.interaction.deferred && !this.interaction.replied) return;
    if (!this.tokenUsable() || t - this.lastEdit < this.minIntervalMs) return;
    this.lastEdit = t;
    this.editing = this.editing
      .then(() => this.interaction.editReply({ ...body, allowedMentions: NO_MENTIONS }))
      .catch((err: unknown) => {
        this.tokenDead = true;
        this.log.warn({ err }, 'progress edit failed; the final result will go to the channel');
      });
  }

  /** Shows the final result: in the reply if possible, else as a message in the channel. */
  async finish(body: Body): Promise<'reply' | 'channel' | 'lost'> {
    await this.editing;
    if (this.tokenUsable()) {
      try {
        await this.interaction.editReply({ ...body, allowedMentions: NO_MENTIONS });
        return 'reply';
      } catch (err) {
        this.log.warn({ err }, 'final edit failed; posting to the channel instead');
      }
    }
    try {
      const channel = this.interaction.channel ?? (await this.interaction.client.channels.fetch(this.interaction.channelId));
      if (channel?.isSendable()) {
        await channel.send({ ...body, content: `${this.interaction.user} ${body.content ?? ''}`.trim(), allowedMentions: NO_MENTIONS });
        return 'channel';
      }
      this.log.error({ channelId: this.interaction.channelId }, 'cannot post the result: the channel is not sendable');
    } catch (err) {
      this.log.error({ err }, 'cannot post the result to the channel');
    }
    return 'lost';
  }
}
