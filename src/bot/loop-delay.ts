import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from './logger.js';

/** Longer than this, a stall is logged as a warning: interactions must be acknowledged within 3 s. */
const WARN_MS = 500;

/**
 * Watches the event loop's delay (perf_hooks), which is how late a timer fires: every interaction of
 * every server waits that long. Every `everyMs` it logs the longest and the 99th percentile stall of
 * the period ("event loop delay", debug; a warning beyond WARN_MS), then starts a new period.
 * Returns the stop function.
 */
export function watchEventLoop(log: Logger, everyMs = 5000): () => void {
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const ms = (ns: number): number => Math.round(ns / 1e5) / 10;
  const timer = setInterval(() => {
    const stats = { maxMs: ms(h.max), p99Ms: ms(h.percentile(99)), meanMs: ms(h.mean) };
    h.reset();
    if (stats.maxMs > WARN_MS) log.warn(stats, 'event loop delay: a long stall (every server waited)');
    else log.debug(stats, 'event loop delay');
  }, everyMs).unref();
  return () => {
    clearInterval(timer);
    h.disable();
  };
}
