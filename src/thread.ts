import { type ChildProcess, fork } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Compiled (dist/*.js) a worker is plain JavaScript. In development it is TypeScript: on Node 20 a
// worker does not inherit tsx's `--import` hooks, so a tiny bootstrap loads it with tsx's tsImport.
const COMPILED = import.meta.url.endsWith('.js');

/**
 * Starts the worker thread whose module is `module` without its extension, e.g.
 * `new URL('./search-worker', import.meta.url)`: the .js file when compiled, else the .ts one.
 */
export function startWorker(module: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (COMPILED) return new Worker(new URL(`${module.href}.js`), options);
  const entry = `${module.href}.ts`;
  // tsx/esm/api resolves to its CommonJS build under require(); the ES module sits beside it.
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return new Worker(`import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`, { ...options, eval: true });
}

/**
 * Starts the child process whose module is `module` without its extension (as `startWorker`), with
 * an IPC channel that carries typed arrays (advanced serialization). In development the child loads
 * TypeScript through tsx's loader.
 */
export function startProcess(module: URL): ChildProcess {
  if (COMPILED) return fork(fileURLToPath(`${module.href}.js`), [], { serialization: 'advanced' });
  const loader = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm').replace(/\.cjs$/, '.mjs')).href;
  return fork(fileURLToPath(`${module.href}.ts`), [], { serialization: 'advanced', execArgv: ['--import', loader] });
}

/**
 * Forks `module` (a path) with piped output and an IPC channel, `nice` steps below this process's
 * priority: how index builds start (src/bot/launcher.ts). Where lowering is not allowed it runs at
 * this process's priority.
 */
export function forkNiced(module: string, args: string[], options: { execArgv: string[]; env: NodeJS.ProcessEnv; nice: number }): ChildProcess {
  const child = fork(module, args, { execArgv: options.execArgv, env: options.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  if (options.nice && child.pid !== undefined) {
    try {
      os.setPriority(child.pid, Math.min(19, os.getPriority() + options.nice));
    } catch {
      /* not allowed here */
    }
  }
  return child;
}

/**
 * Lowers the calling worker thread's priority, so on a busy machine the bot's main thread, which
 * acknowledges interactions, gets the CPU first. Only on Linux, where a nice value is per thread
 * (pid 0 = this thread); elsewhere it would lower the whole process.
 */
export function niceThisThread(by: number): void {
  if (process.platform !== 'linux') return;
  try {
    os.setPriority(0, Math.min(19, os.getPriority(0) + by));
  } catch {
    /* not allowed here: it runs at the process's priority */
  }
}
