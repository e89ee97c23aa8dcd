import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

// Compiled (dist/*.js) a worker is plain JavaScript. In development it is TypeScript: on Node 20 a
// worker does not inherit tsx's `--import` hooks, so a tiny bootstrap loads it with tsx's tsImport
// (as search-pool.ts and text/related.ts do).
const COMPILED = import.meta.url.endsWith('.js');

/** Starts the worker thread of module `name` (without extension) in this folder. */
export function startWorker(name: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (COMPILED) return new Worker(new URL(`./${name}.js`, import.meta.url), options);
  const entry = new URL(`./${name}.ts`, import.meta.url).href;
  // tsx/esm/api resolves to its CommonJS build under require(); the ES module sits beside it.
  const api = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return new Worker(`import(${JSON.stringify(api)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`, { ...options, eval: true });
}
