import type { StoreTarget } from '../../config.js';
import { poolSql, type Sql } from './sql.js';

/** A pooled client for a postgres StoreTarget (nothing connects until the first query). */
export function connect(target: Extract<StoreTarget, { kind: 'postgres' }>, onError?: (err: Error) => void): Sql {
  return poolSql(target.url, { max: target.poolMax, statementTimeoutMs: target.statementTimeoutMs, onError });
}
