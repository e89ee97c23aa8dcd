/**
 * THE rule for "this run is CI", used by every test that would otherwise skip: `CI=true` or `CI=1`
 * (any case), as CI services set it. Under CI a missing prerequisite (shared data, PostgreSQL,
 * pgvector, Chromium) fails the test file instead of skipping it.
 */
export const isCI = (env: NodeJS.ProcessEnv = process.env): boolean => /^(true|1)$/i.test(env.CI ?? '');

/**
 * A prerequisite is missing: outside CI, prints `[skipped] message` and returns false (for
 * `describe.runIf` / `it.runIf`); under CI throws, so the test file fails rather than skips.
 */
export function skipOrFail(message: string, env: NodeJS.ProcessEnv = process.env): false {
  if (isCI(env)) throw new Error(`CI must run this: ${message}`);
  process.stderr.write(`[skipped] ${message}\n`);
  return false;
}
