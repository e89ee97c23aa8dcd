/** Runs the real bot (`src/bot/main.ts`, as `npm start` does) as a child process, collecting its JSON logs. */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Settings the bot reads: dropped from the inherited environment so a developer's shell cannot leak in. */
const BOT_VARS = /^(DISCORD_|SOURCES_|ADMIN_ROLE_IDS|ALLOW_ASK_CHANNELS|USER_RATE_LIMIT_|GUILD_RATE_LIMIT_|DATA_DIR|RATE_LIMIT_|LOG_LEVEL|LOG_FORMAT|FEEDBACK|SEARCH_WORKERS|HEALTH_FILE|CORPUS_PATHS|INDEX_DIR|EMBEDDING_|MODEL_|ALLOW_REMOTE_MODELS|EMBED_BATCH_SIZE|EMBED_THREADS|HNSW_)/;

export function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!BOT_VARS.test(k)) env[k] = v;
  return { ...env, ...vars };
}

export interface LogLine {
  level: number;
  msg?: string;
  [key: string]: unknown;
}

export class BotProcess extends EventEmitter {
  readonly logs: LogLine[] = [];
  /** Everything the process wrote, for "the token never appears" checks. */
  output = '';
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;

  /**
   * `script` is relative to the repository root (or `root`, another checkout, for before/after
   * benchmarks); `cwd` should be a temp dir (no stray .env). Extra `args` go to the script.
   */
  constructor(script: string, env: NodeJS.ProcessEnv, cwd: string, options: { root?: string; args?: string[]; nodeArgs?: string[] } = {}) {
    super();
    const file = path.join(options.root ?? ROOT, script);
    // Compiled JavaScript runs on plain node; TypeScript through tsx's loader, as in development.
    const loader = file.endsWith('.ts') ? ['--import', TSX] : [];
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, file, ...(options.args ?? [])], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      this.output += d.toString();
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const parsed = JSON.parse(line) as LogLine;
          this.logs.push(parsed);
          this.emit('log', parsed);
        } catch {
          /* not a log line */
        }
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      }),
    );
  }

  waitForLog(pred: (l: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine> {
    const found = this.logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const onLog = (l: LogLine): void => {
        if (!pred(l)) return;
        cleanup();
        resolve(l);
      };
      const onExit = (): void => {
        cleanup();
        reject(new Error(`The bot exited (code ${this.exitCode}) before ${what}. Output:\n${this.output.slice(-3000)}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}. Output:\n${this.output.slice(-3000)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('log', onLog);
        this.child.off('exit', onExit);
      };
      this.on('log', onLog);
      this.child.once('exit', onExit);
    });
  }

  /** Sends a signal and waits (bounded) for the exit code; kills hard if it hangs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<number | null> {
    if (this.exitCode !== undefined) return this.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  wait(): Promise<number | null> {
    return this.exited;
  }
}
