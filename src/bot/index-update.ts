import type { BuildProgress } from '../indexer/build.js';
import type { BotContext } from './context.js';
import type { ReindexJob, ReindexOutcome } from './reindex.js';

/**
 * Runs an update of the index for `/sources add` and `/sources remove` in the Reindexer's child
 * process (off the event loop), after any build already running (one at a time, with /reindex),
 * then swaps it in: the search workers pick up the new generation, other shards are told, and the
 * outlets for autocomplete are refreshed. A result that could not be swapped in is a failure.
 */
export async function updateIndex(ctx: BotContext, by: string, job: ReindexJob, onProgress: (p: BuildProgress) => void = () => {}): Promise<ReindexOutcome> {
  let outcome: ReindexOutcome;
  for (;;) {
    const run = ctx.reindexer.start(by, onProgress, job);
    if (run) {
      outcome = await run;
      break;
    }
    await ctx.reindexer.idle();
  }
  if (!outcome.ok) {
    if (!outcome.busy) ctx.lastReindex = { at: new Date(), by, ok: false, error: outcome.error };
    return outcome;
  }
  try {
    await ctx.search.reopen();
  } catch (err) {
    const error = `the index was updated but could not be opened: ${(err as Error).message}`;
    ctx.lastReindex = { at: new Date(), by, ok: false, error };
    return { ok: false, error, ms: outcome.ms };
  }
  ctx.lastReindex = { at: new Date(), by, ok: true, report: outcome.report };
  ctx.indexProblem = undefined;
  ctx.announceReindex();
  await refreshOutlets(ctx);
  return outcome;
}

/** Refreshes the outlets for autocomplete; a failure leaves the previous list (and is logged). */
export async function refreshOutlets(ctx: Pick<BotContext, 'outlets' | 'log'>): Promise<void> {
  try {
    await ctx.outlets.refresh();
  } catch (err) {
    ctx.log.warn({ err }, 'could not refresh the outlets for autocomplete');
  }
}
