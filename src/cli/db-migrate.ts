/** `archivist db migrate`: applies the PostgreSQL schema migrations not applied yet (idempotent). */
import { commandLine, usageName } from '../command-line.js';
import { ConfigError, loadCoreConfig, storeTarget } from '../config.js';
import { loadDotenv } from '../env.js';
import { LATEST_VERSION, migrate } from '../storage/postgres/migrations.js';
import { connect } from '../storage/postgres/connect.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import { cliProgram, EXIT_FAILURE } from './common.js';

cliProgram(usageName('db migrate'), 'Create or upgrade the PostgreSQL database schema (SEARCH_BACKEND=postgres, DATABASE_URL): applies the migrations not applied yet.')
  .addHelpText('after', `\nIdempotent; every ${commandLine('index')} migrates too. Exit codes: 0 up to date, 1 failed, 2 bad usage.`)
  .parse();

loadDotenv();

try {
  const config = loadCoreConfig();
  const target = storeTarget({ ...config, SEARCH_BACKEND: 'postgres' }, config.INDEX_DIR);
  if (target.kind !== 'postgres') throw new ConfigError(`${commandLine('db migrate')} needs DATABASE_URL`);
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
  process.exitCode = EXIT_FAILURE;
}
