import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCI, skipOrFail } from './support/ci.js';
import { REPO } from './support/corpus.js';

/** Issue #19 point 7: one rule for "in CI", so no test skips silently under CI=1 while others fail. */
describe('the CI rule', () => {
  it('takes CI=true and CI=1 (any case) as CI, and nothing else', () => {
    for (const v of ['true', 'TRUE', '1']) expect(isCI({ CI: v })).toBe(true);
    for (const v of [undefined, '', '0', 'false', 'yes']) expect(isCI({ CI: v })).toBe(false);
  });

  it('fails a missing prerequisite under CI=1 and skips it with a notice outside CI', () => {
    expect(() => skipOrFail('needs a thing', { CI: '1' })).toThrow(/CI must run this: needs a thing/);
    expect(skipOrFail('needs a thing (test notice)', {})).toBe(false);
  });

  it('is the only place a test reads CI from the environment', async () => {
    const files = (await readdir(path.join(REPO, 'tests'), { recursive: true })).filter((f) => f.endsWith('.ts') && f !== path.join('support', 'ci.ts'));
    const readers: string[] = [];
    for (const f of files) if (/process\.env\.CI\b|env\[['"]CI['"]\]/.test(await readFile(path.join(REPO, 'tests', f), 'utf8'))) readers.push(f);
    expect(readers).toEqual([]);
  });

  it('CI installs what its tests need (PostgreSQL and Chromium)', async () => {
    const script = await readFile(path.join(REPO, '.ci/run'), 'utf8');
    expect(script).toMatch(/apt_install postgresql/);
    expect(script).toMatch(/apt_install chromium/);
  });
});
