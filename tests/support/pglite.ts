import { PGlite, type Extension } from '@electric-sql/pglite';
import { skipOrFail } from './ci.js';
import { pgliteSql, type Sql } from '../../src/storage/postgres/sql.js';

/**
 * PGlite (PostgreSQL in WebAssembly) with pgvector, for the vector path: Debian's PostgreSQL has no
 * pgvector package. PGlite 0.5 ships pgvector separately, as @electric-sql/pglite-pgvector; the
 * PGLITE_PGVECTOR variable may point at its dist/index.js where it is not installed.
 * Without it the test skips with a notice, and fails under CI=true.
 */
export async function pgliteWithVector(): Promise<{ sql: Sql; close: () => Promise<void> } | undefined> {
  const vector = await loadVectorExtension();
  if (!vector) {
    const message = 'pgvector-on-PGlite tests skipped: @electric-sql/pglite-pgvector is not installed (npm i -D @electric-sql/pglite-pgvector).';
    skipOrFail(message);
    return undefined;
  }
  const db = await PGlite.create({ extensions: { vector } });
  return { sql: pgliteSql(db, 'pglite (in-process, pgvector)'), close: () => db.close() };
}

async function loadVectorExtension(): Promise<Extension | undefined> {
  for (const specifier of ['@electric-sql/pglite-pgvector', process.env.PGLITE_PGVECTOR]) {
    if (!specifier) continue;
    try {
      const mod = (await import(specifier)) as { vector?: Extension };
      if (mod.vector) return mod.vector;
    } catch {
      /* try the next place */
    }
  }
  return undefined;
}
