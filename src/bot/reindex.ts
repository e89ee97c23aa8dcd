import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildProgress, BuildReport } from '../indexer/build.js';
import { type Launched, Launcher } from './launcher.js';
import type { Logger } from './logger.js';

/** How much lower than the bot's own priority a rebuild runs (nice). */
const BACKGROUND_NICE = 10;

/** IPC message type (shard → manager → other shards): the index changed, reopen it. */
export const REINDEXED = 'archivist:reindexed';

/** Messages from reindex-worker.ts over IPC. */
export type WorkerMessage =
  | { type: 'progress'; progress: BuildProgress }
  | { type: 'done'; report: BuildReport }
  | { type: 'error'; message: string; busy?: boolean };

/** `busy`: another process (e.g. another shard's /reindex) holds the index's writer lock. */
export type ReindexOutcome = { ok: true; report: BuildReport; ms: number } | { ok: false; error: string; ms: number; busy?: boolean };

export interface RunningReindex {
  by: string;
  startedAt: Date;
}

/** What a run is for, passed to the worker: `track` names files whose new articles the report counts (/sources add). */
export interface ReindexJob {
  track?: string[];
  /**
   * The bot holds the kept sources' lock for this run (/sources add and remove). Otherwise (a
   * /reindex) the worker takes it for the whole build, or reports busy when a change of the sources is under way.
   */
  underSourcesLock?: boolean;
}

// Compiled (dist/*.js, `npm start`), the worker is JavaScript and runs on plain node. In development
// it is TypeScript, run with tsx's loader, resolved from here (so any cwd works) and only then, so a
// production install without dev dependencies never looks for tsx.
const COMPILED = import.meta.url.endsWith('.js');
const WORKER = fileURLToPath(new URL(COMPILED ? './reindex-worker.js' : './reindex-worker.ts', import.meta.url));
const workerExecArgv = (): string[] => (COMPILED ? [] : ['--import', pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href]);

/**
 * Runs index builds in a child process, so embedding a large corpus never blocks the bot's
 * event loop (interactions must be acknowledged within 3 s), one at a time.
 */
export class Reindexer {
  private child: Launched | undefined;
  private info: RunningReindex | undefined;
  private current: Promise<ReindexOutcome> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Starts the worker; the bot's is started before it loads anything (launcher.ts says why). */
    private readonly launcher: Launcher = new Launcher({ direct: true }),
  ) {}

  get running(): RunningReindex | undefined {
    return this.info;
  }

  /** Resolves once no build is running (at once when none is). */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  /**
   * Starts a build (an update in place of the configured corpus plus the sources kept from chat),
   * or returns undefined when one is already running.
   */
  start(by: string, onProgress: (p: BuildProgress) => void, job: ReindexJob = {}): Promise<ReindexOutcome> | undefined {
    if (this.info) return undefined;
    const run = this.run(by, onProgress, job);
    this.current = run;
    void run.then(() => {
      if (this.current === run) this.current = undefined;
    });
    return run;
  }

  private run(by: string, onProgress: (p: BuildProgress) => void, job: ReindexJob): Promise<ReindexOutcome> {
    const started = performance.now();
    this.info = { by, startedAt: new Date() };
    // A rebuild is background work: under load, answering questions comes first.
    const child = this.launcher.launch(WORKER, [JSON.stringify(job)], { execArgv: workerExecArgv(), env: this.env, nice: BACKGROUND_NICE });
    this.child = child;
    let stderr = '';
    child.on('stderr', (text: string) => {
      stderr = (stderr + text).slice(-4000);
    });
    child.on('stdout', (text: string) => this.log.debug({ worker: text.trim() }, 'reindex worker output'));

    return new Promise<ReindexOutcome>((resolve) => {
      let settled = false;
      const ms = (): number => Math.round(performance.now() - started);
      const finish = (outcome: ReindexOutcome): void => {
        if (settled) return;
        settled = true;
        this.info = undefined;
        resolve(outcome);
        // The build is over (and its lock released); a worker that lingers is not waited for.
        if (!child.exited) setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      };
      child.on('message', (raw: unknown) => {
        const msg = raw as WorkerMessage;
        if (msg.type === 'progress') onProgress(msg.progress);
        else if (msg.type === 'done') finish({ ok: true, report: msg.report, ms: ms() });
        else if (msg.type === 'error') finish({ ok: false, error: msg.message, ms: ms(), busy: msg.busy });
      });
      child.on('error', (err: Error) => finish({ ok: false, error: `could not start the index worker: ${err.message}`, ms: ms() }));
      child.on('exit', (code: number | null, signal: NodeJS.Signals | null) => {
        this.child = undefined;
        const why = signal ? `was stopped (${signal})` : `exited with code ${code}`;
        const detail = stderr.trim().split('\n').slice(-3).join(' ');
        finish({ ok: false, error: `the index worker ${why}${detail ? `: ${detail}` : ''}`, ms: ms() });
      });
    });
  }

  /** Stops a running build (on shutdown); the core then leaves the previous index live. */
  async stop(timeoutMs = 5000): Promise<void> {
    const child = this.child;
    if (!child || child.exited) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
