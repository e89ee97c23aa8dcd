/**
 * close() stops every vector check still running, an older generation's included: its hash is held
 * (a read stream that gives nothing until released) so "still running after a swap" needs no timing.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CoreConfig } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';
import { createTinyModel } from './support/tiny-model.js';
import { liveVectors } from './support/vector-file.js';

/** Files whose next read stream is held, and the held streams. */
const gate = vi.hoisted(() => ({ files: new Set<string>(), held: [] as Array<{ stream: PassThrough; release: () => void }> }));

vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const { PassThrough } = await import('node:stream');
  const createReadStream = ((file: string, options?: Parameters<typeof fs.createReadStream>[1]) => {
    if (!gate.files.delete(String(file))) return fs.createReadStream(file, options);
    const stream = new PassThrough();
    gate.held.push({ stream, release: () => void fs.createReadStream(file, options).pipe(stream) });
    return stream;
  }) as typeof fs.createReadStream;
  return { ...fs, default: { ...fs, createReadStream }, createReadStream };
});

let dir: string;
let cleanup: () => Promise<void>;
let settings: CoreConfig;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-vector-checksum-close-'));
  const models = path.join(dir, 'models');
  const { modelId } = await createTinyModel(models);
  settings = testSettings({ MODEL_DIR: models, EMBEDDING_MODEL: modelId });
}, 60_000);
afterAll(() => cleanup());

describe('close()', () => {
  it("stops an older generation's check still running after a refresh swapped a newer one in", async () => {
    const out = path.join(dir, 'index');
    await buildIndex({ corpus: [SEED_CORPUS], out, settings });
    gate.files.add((await liveVectors(out)).vectors);
    const backend = await EmbeddedBackend.open(out, { efSearch: 20, verifyVectors: 'background' });
    try {
      expect(gate.held).toHaveLength(1);
      // A second generation: the update reads the first one's file on a stream of its own (not held).
      const extra = path.join(dir, 'extra');
      await mkdir(extra, { recursive: true });
      await writeFile(path.join(extra, 'a.jsonl'), `${JSON.stringify({ id: 'v1', title: 'Lantern festival moved indoors', text: 'Organisers moved the lantern festival into the old granary after two nights of rain.' })}\n`);
      await buildIndex({ corpus: [SEED_CORPUS, extra], out, settings });
      expect(await backend.refresh()).toBe(true);
      const [old] = gate.held;
      expect(old!.stream.destroyed).toBe(false);
      await backend.close();
      expect(old!.stream.destroyed).toBe(true);
    } finally {
      await backend.close();
      for (const { release } of gate.held) release();
    }
  }, 60_000);
});
