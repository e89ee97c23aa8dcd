/** `npm run status`: what the configured index holds and how it will be searched (as /status shows it). */
import { ConfigError, loadCoreConfig } from '../config.js';
import { loadDotenv } from '../env.js';
import { openSearcher } from '../open.js';
import { IndexError } from '../storage/errors.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';

loadDotenv();

try {
  const config = loadCoreConfig();
  const searcher = await openSearcher(config, config.INDEX_DIR, { model: 'await', explicitModel: process.env.EMBEDDING_MODEL || undefined });
  const s = searcher.status();
  const lines = [
    `Index: ${s.dir} (${config.SEARCH_BACKEND})`,
    `Articles: ${s.articles}, passages: ${s.chunks}, updated ${s.createdAt}`,
    `Search: ${s.mode === 'hybrid' ? `hybrid (keyword + semantic, ${s.model})` : `keyword only — ${s.modelError ?? 'no model'}`}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  await searcher.close();
} catch (err) {
  const known = err instanceof ConfigError || err instanceof IndexError || err instanceof DatabaseUnavailableError;
  process.stderr.write(`${known ? (err as Error).message : `Failed: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exitCode = 1;
}
