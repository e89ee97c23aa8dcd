/** `npm run db:migrate`: applies the PostgreSQL schema migrations not applied yet (idempotent). */
import { ConfigError, loadCoreConfig, storeTarget } from '../config.js';
import { loadDotenv } from '../env.js';
import { LATEST_VERSION, migrate } from '../storage/postgres/migrations.js';
import { connect } from '../storage/postgres/connect.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';

loadDotenv();

try {
  const config = loadCoreConfig();
  const target = storeTarget({ ...config, SEARCH_BACKEND: 'postgres' }, config.INDEX_DIR);
  if (target.kind !== 'postgres') throw new ConfigError('db:migrate needs DATABASE_URL');
  const sql = connect(target);
  try {
    const applied = await migrate(sql);
    process.stderr.write(
      applied.length
        ? `Applied migration${applied.length > 1 ? 's' : ''} ${applied.join(', ')} to ${sql.location} (schema version ${LATEST_VERSION}).\n`
        : `${sql.location} is up to date (schema version ${LATEST_VERSION}).\n`,
    );
  } finally {
    await sql.close();
  }
} catch (err) {
  const known = err instanceof ConfigError || err instanceof DatabaseUnavailableError;
  process.stderr.write(`${known ? (err as Error).message : `Migration failed: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exitCode = 1;
}
