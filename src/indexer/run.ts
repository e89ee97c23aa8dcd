import type { StoreTarget } from '../config.js';
import { connect } from '../storage/postgres/connect.js';
import { buildIndex, type BuildOptions, type BuildReport } from './build.js';
import { buildPostgres } from './postgres.js';

/** Indexes into the configured store: the embedded index folder, or PostgreSQL. */
export async function runIndex(target: StoreTarget, options: Omit<BuildOptions, 'out'>): Promise<BuildReport> {
  if (target.kind === 'embedded') return buildIndex({ ...options, out: target.dir });
  const sql = connect(target);
  try {
    return await buildPostgres({ ...options, sql });
  } finally {
    await sql.close();
  }
}
