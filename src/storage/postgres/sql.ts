import pg from 'pg';

/**
 * The little the PostgreSQL backend needs from a client: queries with $n parameters, transactions
 * and a dedicated session. Two implementations: a `pg.Pool` (a real server) and a PGlite instance
 * (PostgreSQL in WebAssembly, used to test the pgvector path where the server has no pgvector).
 */
export interface Queryable {
  query<R>(text: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface Sql extends Queryable {
  /** Where it points, without any password (for messages and `status`). */
  readonly location: string;
  /** Runs `fn` in one transaction on one connection: all of it commits, or none. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs `fn` on one connection held throughout (session-level advisory locks). */
  session<T>(fn: (s: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The database cannot be reached (down, wrong address, refused): the message names the fix. */
export class DatabaseUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', '57P01', '57P03', '08006', '08001', '08004']);

/** True for errors that mean "no database there right now" rather than a bad query. */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof DatabaseUnavailableError) return true;
  const e = err as { code?: string; message?: string; errors?: unknown[] };
  if (e?.code && UNREACHABLE.has(e.code)) return true;
  // pg gives an AggregateError when every address of the host refused.
  if (Array.isArray(e?.errors) && e.errors.some(isUnreachable)) return true;
  return /timeout exceeded when trying to connect|Connection terminated/i.test(e?.message ?? '');
}

/**
 * Where a connection string points, for messages: host (and port) and database at most — never the
 * user, password or parameters (a password can sit in `?password=`, or make the URL unparsable:
 * `user:pa#ss@host`). The whole URL is a secret.
 */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    // A password with a raw "#" or "?" cuts the URL early (`u:12#x@host` parses as host u, port 12): nothing of it is trustworthy.
    if (u.hash || u.search.includes('@')) return 'the DATABASE_URL server';
    const db = decodeURIComponent(u.pathname.replace(/^\//, ''));
    const host = u.host || (u.searchParams.get('host') ? 'a local socket' : 'localhost');
    return `${host}${db ? `/${db}` : ''}`;
  } catch {
    return 'the DATABASE_URL server';
  }
}

/**
 * The strings of a connection string that must never be logged: the URL itself and every form
 * its password may take (raw, decoded, as a parameter, cut at a "#").
 */
export function databaseSecrets(url: string | undefined): string[] {
  if (!url) return [];
  const out = new Set<string>([url]);
  const raw = /^[a-z][\w+.-]*:\/\/[^:/@]*:(.*)@[^@]*$/i.exec(url)?.[1];
  if (raw) {
    out.add(raw);
    for (const part of raw.split(/[#?/]/)) if (part.length >= 3) out.add(part);
    try {
      out.add(decodeURIComponent(raw));
    } catch {
      /* not percent-encoded */
    }
  }
  for (const m of url.matchAll(/[?&]password=([^&#]*)/gi)) {
    if (!m[1]) continue;
    out.add(m[1]);
    try {
      out.add(decodeURIComponent(m[1]));
    } catch {
      /* not percent-encoded */
    }
  }
  return [...out].filter((s) => s.length >= 3);
}

/** A PostgreSQL array literal. Both drivers get arrays this way: PGlite does not quote elements. */
export function pgArray(values: ReadonlyArray<string | number | null>): string {
  const parts = values.map((v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`));
  return `{${parts.join(',')}}`;
}

/** A pgvector literal. */
export function pgVector(v: Float32Array): string {
  return `[${Array.from(v).join(',')}]`;
}

export interface PoolOptions {
  /** Connections at most (each bot process / indexer has its own pool). */
  max?: number;
  /** Any statement running longer is cancelled by the server. */
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Told about errors of idle connections (the server restarted…); the pool reconnects on next use. */
  onError?: (err: Error) => void;
}

/** A pooled client of a PostgreSQL server. Nothing connects until the first query. */
export function poolSql(url: string, options: PoolOptions = {}): Sql {
  const location = redact(url);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 8,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'archivist',
  });
  // Without a listener an idle connection's error (server restart) would crash the process.
  pool.on('error', (err) => options.onError?.(err));
  const wrap = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (err) {
      if (isUnreachable(err)) throw unavailable(location, err);
      throw err;
    }
  };
  const on = (client: pg.PoolClient): Queryable => ({
    query: async <R>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[])).rows as R[],
  });
  return {
    location,
    query: <R>(text: string, params?: readonly unknown[]) => wrap(async () => (await pool.query(text, params as unknown[])).rows as R[]),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) =>
      wrap(async () => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          const out = await fn(on(client));
          await client.query('COMMIT');
          return out;
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        } finally {
          client.release();
        }
      }),
    session: <T>(fn: (s: Queryable) => Promise<T>) =>
      wrap(async () => {
        const client = await pool.connect();
        try {
          return await fn(on(client));
        } finally {
          client.release();
        }
      }),
    close: () => pool.end(),
  };
}

export function unavailable(location: string, err: unknown): DatabaseUnavailableError {
  const e = err as { code?: string; message?: string; errors?: Array<{ message?: string }> };
  const why = e.message || e.errors?.[0]?.message || e.code || String(err);
  return new DatabaseUnavailableError(`Cannot reach PostgreSQL at ${location} (${why}): check DATABASE_URL and that the server is running.`);
}

/** What the PGlite adapter needs of a PGlite instance (kept structural: PGlite is an optional, test-time engine). */
export interface PGliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  transaction<T>(fn: (tx: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** PGlite behind the same interface. It is one connection: a session is the instance itself. */
export function pgliteSql(db: PGliteLike, location = 'pglite (in-process)', options: { closeWith?: boolean } = {}): Sql {
  const q = (target: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }): Queryable => ({
    query: async <R>(text: string, params?: readonly unknown[]) => (await target.query<R>(text, params as unknown[])).rows,
  });
  const self = q(db);
  return {
    location,
    query: self.query,
    transaction: (fn) => db.transaction((tx) => fn(q(tx))),
    session: (fn) => fn(self),
    close: async () => {
      if (options.closeWith) await db.close();
    },
  };
}
