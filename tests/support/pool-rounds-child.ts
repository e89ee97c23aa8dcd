/**
 * A process that does what a long-running bot does to its search workers, with an embedding model
 * loaded: pools started and closed again, a worker ended and replaced. Prints one line per round
 * (the answer's mode) and "done"; a native crash shows as a signal or an abort exit code.
 *   tsx tests/support/pool-rounds-child.ts SETTINGS_JSON INDEX_DIR ROUNDS
 */
import { SearchPool } from '../../src/bot/search-pool.js';
import type { SearchConfig } from '../../src/bot/answer-service.js';

const [settingsJson, dir, rounds] = process.argv.slice(2) as [string, string, string];
const settings = JSON.parse(settingsJson) as SearchConfig;
for (let round = 0; round < Number(rounds); round++) {
  const pool = new SearchPool({ dir, settings, workers: 2 });
  await pool.start();
  await pool.loadModels();
  const modes = [(await pool.ask('What did Saldo urge residents to do?', { k: 3 })).mode];
  // A worker that dies is replaced by one that loads the model again.
  const replaced = new Promise((resolve) => pool.once('worker-exit', resolve));
  await (pool as unknown as { slots: Array<{ worker: { terminate(): Promise<number> } }> }).slots[0]!.worker.terminate();
  await replaced;
  await new Promise<void>((resolve) => pool.once('models-settled', () => resolve()));
  for (const a of await Promise.all([pool.ask('Kherson', { k: 3 }), pool.ask('Saldo', { k: 3 })])) modes.push(a.mode);
  await pool.close();
  console.log(`round ${round}: ${modes.join(' ')}`);
}
console.log('done');
