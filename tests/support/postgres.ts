import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { skipOrFail } from './ci.js';
import { REPO } from './corpus.js';

const run = promisify(execFile);

/**
 * A fresh PostgreSQL database for one test file. With DATABASE_URL set, a new database is created
 * on that server (and dropped afterwards); otherwise a throwaway cluster is started with
 * scripts/pg-test-cluster.sh (PostgreSQL binaries needed, e.g. `apt-get install -y postgresql`).
 * When neither works the tests skip with a notice — except under CI=true, where that is a failure.
 */
export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function testDatabase(): Promise<TestDatabase | undefined> {
  let serverUrl = process.env.DATABASE_URL;
  let stopCluster: (() => Promise<void>) | undefined;
  let why = '';
  if (!serverUrl) {
    try {
      const { stdout } = await run(path.join(REPO, 'scripts/pg-test-cluster.sh'), ['start'], { timeout: 120_000 });
      const dir = /PG_TEST_DIR=(\S+)/.exec(stdout)?.[1];
      serverUrl = /DATABASE_URL=(\S+)/.exec(stdout)?.[1];
      if (dir) stopCluster = async () => void (await run(path.join(REPO, 'scripts/pg-test-cluster.sh'), ['stop', dir]).catch(() => undefined));
    } catch (err) {
      why = ((err as { stderr?: string }).stderr || (err as Error).message).trim().split('\n').pop() ?? '';
    }
  }
  if (!serverUrl) {
    const message = `PostgreSQL tests skipped: DATABASE_URL is unset and no test server could be started (${why}).`;
    skipOrFail(`${message} Install postgresql or set DATABASE_URL.`);
    return undefined;
  }
  const name = `archivist_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: serverUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      await stopCluster?.();
    },
  };
}

/** A loopback URL where nothing listens (port 1 is never a PostgreSQL server). */
export const UNREACHABLE_URL = 'postgres://archivist:secret@127.0.0.1:1/archivist';
