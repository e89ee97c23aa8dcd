import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { coreConfigSchema, type CoreConfig } from '../../src/config.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Small made-up articles committed in the repo, for tests that must run without ../shared. */
export const FIXTURES = path.join(REPO, 'tests/fixtures');
export const SEED_CORPUS = path.join(REPO, 'corpus');

export async function tempDir(prefix = 'archivist-test-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A copy of the default corpus that a test may change. */
export async function copySeeds(dir: string): Promise<string> {
  const target = path.join(dir, 'corpus');
  await cp(SEED_CORPUS, target, { recursive: true });
  return target;
}

/** Core settings for tests: defaults, no downloads, short model timeout. */
/** Test defaults: no downloads, and no model trained on the corpus unless a test asks (CORPUS_MODEL: 'auto'). */
export function testSettings(overrides: Partial<CoreConfig> = {}): CoreConfig {
  return { ...coreConfigSchema.parse({}), ALLOW_REMOTE_MODELS: false, MODEL_LOAD_TIMEOUT_MS: 30_000, MODEL_DIR: path.join(os.tmpdir(), 'archivist-no-models'), CORPUS_MODEL: 'off', ...overrides };
}

/** An article a test adds to a copied corpus before a /reindex, to see it picked up. */
export const NEW_ARTICLE_TITLE = 'Zaporizhzhia plant inspectors report stable cooling';
export const NEW_ARTICLE = [
  '---',
  `title: "${NEW_ARTICLE_TITLE}"`,
  'outlet: Test Wire',
  'date: 2024-02-03',
  'url: https://example.org/zaporizhzhia-cooling',
  '---',
  'Inspectors at the Zaporizhzhia nuclear plant said the cooling ponds were stable on Saturday.',
  'The inspectors added that the reactors remained in cold shutdown.',
  '',
].join('\n');
