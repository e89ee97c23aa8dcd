import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedByLength } from '../src/embed/batches.js';
import { modelIsLocal } from '../src/embed/embedder.js';
import { loadEmbedder } from '../src/embed/load.js';
import { embedProcessCount, loadEmbedderProcesses, SCALE_OUT_AFTER } from '../src/embed/process-pool.js';
import { buildIndex } from '../src/indexer/build.js';
import { copySeeds, tempDir, testSettings } from './support/corpus.js';
import { writeGeneratedCorpus } from './support/synthetic-corpus.js';
import { createTinyModel } from './support/tiny-model.js';

let dir: string;
let cleanup: () => Promise<void>;
let settings: ReturnType<typeof testSettings>;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const modelDir = path.join(dir, 'models');
  const model = await createTinyModel(modelDir, { dim: 40 });
  settings = testSettings({ MODEL_DIR: modelDir, EMBEDDING_MODEL: model.modelId, HNSW_M: 8, HNSW_EF_CONSTRUCTION: 64 });
});
afterAll(() => cleanup());

/** Pids of this process's children that run the embedding module (Linux /proc). */
async function embeddingChildren(): Promise<number[]> {
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = await readFile(`/proc/${entry}/status`, 'utf8');
      const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8');
      if (new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status) && cmdline.includes('embed-process')) out.push(Number(entry));
    } catch {
      /* the process ended meanwhile */
    }
  }
  return out;
}

const TEXTS = [
  'Russian missile strikes hit Kherson overnight.',
  'Take your children and leave, he urged residents of the region.',
  'Grain',
  'The bridge across the Dnipro was damaged by rockets on Wednesday evening, officials said.',
  'Power was restored to most homes by Sunday.',
];

describe('embedding in several processes', () => {
  it('counts one process per core, at most four, unless set', () => {
    expect(embedProcessCount(0, 1)).toBe(1);
    expect(embedProcessCount(0, 2)).toBe(2);
    expect(embedProcessCount(0, 16)).toBe(4);
    expect(embedProcessCount(3, 1)).toBe(3);
    expect(embedProcessCount(undefined, 2)).toBe(2);
  });

  it('are used only for a model already in MODEL_DIR (a download happens once, in the indexing process)', async () => {
    expect(await modelIsLocal(settings)).toBe(true);
    expect(await modelIsLocal({ ...settings, MODEL_QUANTIZED: false })).toBe(true);
    expect(await modelIsLocal({ ...settings, EMBEDDING_MODEL: 'nobody/missing-model' })).toBe(false);
    // Missing and not downloadable: the build says why at once, keyword-only, with no process started.
    const out = path.join(dir, 'index-missing');
    const report = await buildIndex({ corpus: [await copySeeds(dir)], out, settings: { ...settings, EMBEDDING_MODEL: 'nobody/missing-model', EMBED_PROCESSES: 2 } });
    expect(report.mode).toBe('lexical');
    expect(report.modelError).toMatch(/nobody\/missing-model could not be loaded/);
  });

  it('gives the vectors this process gives, in the texts’ order, and its processes end with it', async () => {
    const local = await loadEmbedder(settings);
    if ('error' in local) throw new Error(local.error);
    const pooled = await loadEmbedderProcesses(settings, 2);
    if ('error' in pooled) throw new Error(pooled.error);
    expect(pooled.embedder).toMatchObject({ modelId: settings.EMBEDDING_MODEL, dim: 40, parallel: 2 });
    expect(await embeddingChildren()).toHaveLength(2);
    const want = await embedByLength(local.embedder, TEXTS, 1);
    const got = await embedByLength(pooled.embedder, TEXTS, 1);
    expect(got.map((v) => Array.from(v))).toEqual(want.map((v) => Array.from(v)));
    expect(Array.from(await pooled.embedder.embedQuery('who hit the bridge'))).toEqual(Array.from(await local.embedder.embedQuery('who hit the bridge')));
    await pooled.embedder.dispose();
    await local.embedder.dispose();
    await expect.poll(embeddingChildren, { timeout: 5000 }).toEqual([]);
  });

  it('says why when the model cannot be loaded, and leaves no process behind', async () => {
    const loaded = await loadEmbedderProcesses({ ...settings, EMBEDDING_MODEL: 'nobody/missing-model' }, 2);
    expect('error' in loaded && loaded.error).toMatch(/nobody\/missing-model could not be loaded/);
    await expect.poll(embeddingChildren, { timeout: 5000 }).toEqual([]);
  });

  it('fails the call in flight with a clear error when a process dies', async () => {
    const pooled = await loadEmbedderProcesses(settings, 1);
    if ('error' in pooled) throw new Error(pooled.error);
    const [pid] = await embeddingChildren();
    process.kill(pid!, 'SIGKILL');
    await expect(pooled.embedder.embedPassages(TEXTS)).rejects.toThrow(/an embedding process stopped/);
    await pooled.embedder.dispose();
  });

  it('builds the same index with two processes as with one, moving to them once a build has more to embed than an update', async () => {
    // ~1100 passages: past SCALE_OUT_AFTER, so the build starts in this process and moves to two.
    const corpus = path.join(dir, 'generated.jsonl');
    await writeGeneratedCorpus(corpus, 400, 400);
    const graphs: Buffer[] = [];
    for (const processes of [1, 2]) {
      const out = path.join(dir, `index-${processes}`);
      const report = await buildIndex({ corpus: [corpus], out, settings: { ...settings, EMBED_PROCESSES: processes } });
      expect(report.mode).toBe('hybrid');
      expect(report.embedded).toBe(report.chunks);
      expect(report.chunks).toBeGreaterThan(SCALE_OUT_AFTER);
      expect(report.embedProcesses).toBe(processes);
      const graph = (await readdir(out)).find((f) => f.endsWith('.hnsw'))!;
      graphs.push(await readFile(path.join(out, graph)));
    }
    expect(graphs[1]!.equals(graphs[0]!)).toBe(true);
    // The build's processes ended with it.
    expect(await embeddingChildren()).toEqual([]);
  });

  it('embeds a small update in the building process: no process is started for it', async () => {
    const corpus = await copySeeds(dir);
    const out = path.join(dir, 'index-small');
    const children: number[][] = [];
    const report = await buildIndex({
      corpus: [corpus],
      out,
      settings: { ...settings, EMBED_PROCESSES: 2 },
      onProgress: (p) => {
        if (p.stage === 'embed') void embeddingChildren().then((c) => children.push(c));
      },
    });
    expect(report.embedded).toBe(report.chunks);
    expect(report.chunks).toBeLessThan(SCALE_OUT_AFTER);
    expect(report.embedProcesses).toBe(1);
    expect(children.flat()).toEqual([]);
  });
});
