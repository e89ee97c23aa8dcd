import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { forkNiced, startProcess } from '../thread.js';

/** What the bot asks of launcher-process.ts. */
export type LauncherRequest =
  | { op: 'start'; id: number; module: string; args: string[]; execArgv: string[]; env: NodeJS.ProcessEnv; nice: number }
  | { op: 'kill'; id: number; signal: NodeJS.Signals };

/** What launcher-process.ts reports about the process `id`. */
export type LauncherReply = { id: number } & (
  | { kind: 'message'; msg: unknown }
  | { kind: 'stdout' | 'stderr'; text: string }
  | { kind: 'error'; message: string }
  | { kind: 'exit'; code: number | null; signal: NodeJS.Signals | null }
);

export interface LaunchOptions {
  execArgv: string[];
  env: NodeJS.ProcessEnv;
  /** How much lower than the bot's priority it runs (nice); 0 for the same. */
  nice: number;
}

/**
 * A process started for the bot, directly or by the launcher: the part of ChildProcess the bot
 * uses. Events: 'message' (its IPC messages), 'stdout' and 'stderr' (text), 'error', and 'exit'
 * (code, signal), always last.
 */
export class Launched extends EventEmitter {
  exited = false;
  constructor(readonly kill: (signal: NodeJS.Signals) => void) {
    super();
    this.once('exit', () => {
      this.exited = true;
    });
  }
}

/** Forks `module` from this process: the way when no launcher runs (it stalls a big process's event loop while forking). */
function forkHere(module: string, args: string[], options: LaunchOptions): Launched {
  const child = forkNiced(module, args, options);
  const launched = new Launched((signal) => child.kill(signal));
  child.stdout?.on('data', (d: Buffer) => launched.emit('stdout', d.toString()));
  child.stderr?.on('data', (d: Buffer) => launched.emit('stderr', d.toString()));
  child.on('message', (msg) => launched.emit('message', msg));
  child.on('error', (err) => launched.emit('error', err));
  child.on('exit', (code, signal) => launched.emit('exit', code, signal));
  return launched;
}

/**
 * Starts processes for the bot (index builds) from a small process forked at start-up, while the
 * bot is small: a fork copies the forking process's page tables, which stalls the event loop of a
 * bot holding a model and an index for 20–80 ms (more on a busy machine), and every server waits.
 * When the launcher is gone, processes are forked here.
 */
export class Launcher {
  private readonly proc: ChildProcess | undefined;
  private readonly running = new Map<number, Launched>();
  private nextId = 1;
  private alive: boolean;

  constructor(options: { direct?: boolean } = {}) {
    this.alive = !options.direct;
    if (options.direct) return;
    const proc = startProcess(new URL('./launcher-process', import.meta.url));
    this.proc = proc;
    proc.on('message', (reply: LauncherReply) => this.relay(reply));
    proc.on('error', () => this.gone());
    proc.on('exit', () => this.gone());
    this.idle();
  }

  /** The launcher's process id while it runs. */
  get pid(): number | undefined {
    return this.alive ? this.proc?.pid : undefined;
  }

  /** Whether processes are started by the launcher (false: forked here). */
  get viaLauncher(): boolean {
    return this.alive;
  }

  launch(module: string, args: string[], options: LaunchOptions): Launched {
    if (!this.alive || !this.proc) return forkHere(module, args, options);
    const id = this.nextId++;
    const launched = new Launched((signal) => this.request({ op: 'kill', id, signal }));
    this.running.set(id, launched);
    this.proc.ref();
    this.proc.channel?.ref();
    this.request({ op: 'start', id, module, args, execArgv: options.execArgv, env: options.env, nice: options.nice });
    return launched;
  }

  /** Ends the launcher (its processes lose their channel, as when the bot exits). */
  close(): void {
    if (this.proc?.connected) this.proc.disconnect();
  }

  /**
   * Kills the launcher at once: the bot is exiting. Synchronous, so an 'exit' handler can call it. A
   * launcher still loading when its bot failed at startup was once seen never to notice the bot had
   * gone (blocked in the module loader, its channel unread); the bot's exit must not depend on it.
   */
  kill(): void {
    // A child that already exited has no handle left: kill() is then a no-op.
    this.proc?.kill('SIGKILL');
  }

  private request(req: LauncherRequest): void {
    try {
      this.proc!.send(req);
    } catch {
      this.gone();
    }
  }

  private relay(reply: LauncherReply): void {
    const launched = this.running.get(reply.id);
    if (!launched) return;
    if (reply.kind === 'message') launched.emit('message', reply.msg);
    else if (reply.kind === 'stdout' || reply.kind === 'stderr') launched.emit(reply.kind, reply.text);
    else if (reply.kind === 'error') launched.emit('error', new Error(reply.message));
    else if (reply.kind === 'exit') {
      this.running.delete(reply.id);
      launched.emit('exit', reply.code, reply.signal);
      this.idle();
    }
  }

  /** The launcher died: its processes died with their channel; say so, and fork here from now on. */
  private gone(): void {
    if (!this.alive) return;
    this.alive = false;
    for (const launched of this.running.values()) {
      launched.emit('stderr', 'the process launcher stopped');
      launched.emit('exit', null, 'SIGKILL');
    }
    this.running.clear();
  }

  /** An idle launcher never keeps the bot alive. */
  private idle(): void {
    if (this.running.size > 0) return;
    this.proc?.unref();
    this.proc?.channel?.unref();
  }
}
