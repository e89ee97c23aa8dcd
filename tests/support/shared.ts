import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCI } from './ci.js';

/**
 * The shared data beside the repo (../shared: seeds, the news-2022 corpus, raw datasets), read-only;
 * its article texts are never copied into the repo. ARCHIVIST_SHARED_DIR points elsewhere (tests use
 * it to check what happens without it).
 */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO, process.env.ARCHIVIST_SHARED_DIR ?? '../shared');

export { isCI } from './ci.js';

/**
 * The one rule for tests that need ../shared: true when every path (relative to SHARED) exists.
 * Otherwise, outside CI, prints one line naming what is missing and returns false (use with
 * `describe.runIf` / `it.runIf`); under CI=true it throws, so the test file fails.
 */
export function hasShared(what: string, ...paths: string[]): boolean {
  const missing = paths.filter((p) => !existsSync(path.join(SHARED, p)));
  if (missing.length === 0) return true;
  const names = missing.map((p) => path.join(SHARED, p)).join(', ');
  if (isCI()) throw new Error(`CI needs the shared data: ${names} not found (${what}). Put ../shared beside the repo or set ARCHIVIST_SHARED_DIR.`);
  process.stderr.write(`[skipped] ${what}: needs ${names} (not found; set ARCHIVIST_SHARED_DIR or put ../shared beside the repo)\n`);
  return false;
}
