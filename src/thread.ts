import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
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
