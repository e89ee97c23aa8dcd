/**
 * Memory of the bot's search pool with its embedding model loaded: starts a SearchPool of N
 * workers on a hybrid index, loads the model, answers a few questions and prints one JSON line with
 * the process's RSS (every thread's memory: workers and model thread included) before and after the
 * model loaded, and the answers' modes.
 *   tsx bench/pool-memory.ts INDEX_DIR MODEL_DIR MODEL_ID [workers=2]
 */
import { SearchPool } from '../src/bot/search-pool.js';
import { loadCoreConfig } from '../src/config.js';

const [dir, modelDir, modelId, workers = '2'] = process.argv.slice(2) as [string, string, string, string?];
if (!dir || !modelDir || !modelId) {
  console.error('usage: tsx bench/pool-memory.ts INDEX_DIR MODEL_DIR MODEL_ID [workers]');
  process.exit(2);
}
const settings = loadCoreConfig({ ...process.env, MODEL_DIR: modelDir, EMBEDDING_MODEL: modelId, ALLOW_REMOTE_MODELS: 'false' });
const rssMB = (): number => Math.round(process.memoryUsage.rss() / 2 ** 20);
const pool = new SearchPool({ dir, settings, workers: Number(workers) });
await pool.start();
const opened = rssMB();
await pool.loadModels();
const modes: string[] = [];
for (const q of ['What did Saldo urge residents to do?', 'grain exports', 'Who leads the region?', 'missile strikes on the city']) {
  modes.push((await pool.ask(q, { k: 5 })).mode);
}
const loaded = rssMB();
// Answer time with the model: 40 different questions (no cached question vector), one at a time.
const words = ['grain', 'missile', 'election', 'prices', 'energy', 'talks', 'court', 'storm', 'vaccine', 'border'];
const ms: number[] = [];
for (let i = 0; i < 40; i++) {
  const started = performance.now();
  await pool.ask(`what happened with ${words[i % 10]} and ${words[(i * 3 + 1) % 10]} ${i}?`, { k: 5 });
  ms.push(performance.now() - started);
}
ms.sort((a, b) => a - b);
await pool.close();
console.log(JSON.stringify({ workers: Number(workers), rssOpenedMB: opened, rssModelLoadedMB: loaded, modes, answerP50Ms: Math.round(ms[20]! * 10) / 10 }));
process.exit(0);
