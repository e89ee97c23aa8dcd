/**
 * The bot's search pool: real worker threads over a real index of the seed corpus. Answers match the
 * core's, requests finish in arrival order with one worker, a full queue refuses, a missing index is
 * reported as such, a reindex is swapped in while questions keep being answered, and questions are
 * answered from keywords while the embedding model loads.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { closeSync, constants as fsConstants, openSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../../src/indexer/build.js';
import { MissingIndexError } from '../../src/storage/errors.js';
import { PoolBusyError, SearchPool } from '../../src/bot/search-pool.js';
import { Searcher } from '../../src/search/searcher.js';
import type { Answer } from '../../src/types.js';
import { copySeeds, REPO, tempDir, testSettings } from '../support/corpus.js';
import { createTinyModel } from '../support/tiny-model.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const SALDO = 'What did Saldo urge Kherson residents to do?';
const KHERSON = 'Western officials: Ukraine can take back Kherson from Russia in a week';
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });
let dir: string;
let cleanup: () => Promise<void>;
let corpus: string;
let index: string;

const comparable = (a: Answer) => ({ ...a, tookMs: 0, timings: {} });

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-pool-'));
  corpus = await copySeeds(dir);
  index = path.join(dir, 'index');
  await buildIndex({ corpus: [corpus], out: index, settings });
});
afterAll(() => cleanup());

describe('SearchPool', () => {
  it('answers from worker threads exactly as the core does, and lists and describes the index', async () => {
    const pool = new SearchPool({ dir: index, settings, workers: 2 });
    try {
      const status = await pool.start();
      expect(pool.size).toBe(2);
      expect(status).toMatchObject({ articles: 2, mode: 'lexical' });
      const direct = await (await Searcher.open(index, settings, { model: 'never' })).ask(SALDO, { k: 3 });
      const pooled = await Promise.all(Array.from({ length: 6 }, () => pool.ask(SALDO, { k: 3 })));
      for (const a of pooled) expect(comparable(a)).toEqual(comparable(direct));
      expect(pooled[0]!.results[0]!.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
      expect((await pool.listArticles('liberation', 0, 10)).total).toBe(1);
      expect(await pool.status()).toMatchObject({ articles: 2 });
    } finally {
      await pool.close();
    }
  });

  it('drops a queued lookup whose caller stopped waiting (an autocomplete past its deadline) instead of running it', async () => {
    const pool = new SearchPool({ dir: index, settings, workers: 1 });
    try {
      await pool.start();
      // One worker busy with a queue of questions; a lookup waits behind them, and its deadline passes.
      const asks = Array.from({ length: 20 }, () => pool.ask(SALDO, { k: 3 }));
      const deadline = new AbortController();
      const lookup = pool.listArticles('kherson', 0, 25, deadline.signal);
      expect(pool.waiting).toBe(20);
      deadline.abort(new Error('the autocomplete deadline passed'));
      await expect(lookup).rejects.toThrow('the autocomplete deadline passed');
      expect(pool.waiting).toBe(19);
      expect(pool.dropped).toBe(1);
      await Promise.all(asks);
      // Already aborted: never queued. Not aborted: answered as usual.
      await expect(pool.listArticles('kherson', 0, 25, deadline.signal)).rejects.toThrow('the autocomplete deadline passed');
      expect((await pool.listArticles('kherson', 0, 25, new AbortController().signal)).total).toBeGreaterThan(0);
    } finally {
      await pool.close();
    }
  });

  it.runIf(process.platform === 'linux' && os.getPriority() < 19)('runs searches at a lower priority than the main thread, which acknowledges interactions', async () => {
    // Nice values of this process's threads (Linux keeps one per thread): field 19 of /proc/…/task/TID/stat.
    const niceOfThreads = (): number[] =>
      readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16]));
    const own = os.getPriority();
    const lowered = (): number => niceOfThreads().filter((n) => n > own).length;
    const before = lowered();
    const pool = new SearchPool({ dir: index, settings, workers: 2 });
    try {
      await pool.start();
      expect(os.getPriority()).toBe(own);
      // One lowered thread per worker; the main thread keeps its priority.
      expect(lowered() - before).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('keeps arrival order with one worker, and refuses beyond the queue bound', async () => {
    const pool = new SearchPool({ dir: index, settings, workers: 1, maxQueue: 9 });
    try {
      await pool.start();
      const done: number[] = [];
      const asks = Array.from({ length: 10 }, (_, n) => pool.ask(`${SALDO} ${n}`, {}).then(() => done.push(n)));
      // One is being answered and nine wait (the bound): the next is one too many.
      const over = pool.ask(SALDO, {});
      await expect(over).rejects.toBeInstanceOf(PoolBusyError);
      await Promise.all(asks);
      expect(done).toEqual([...Array(10).keys()]);
    } finally {
      await pool.close();
    }
  });

  it('replaces a worker that dies, and keeps answering', async () => {
    const pool = new SearchPool({ dir: index, settings, workers: 2 });
    try {
      await pool.start();
      const exited = new Promise((resolve) => pool.once('worker-exit', resolve));
      // As if the thread crashed (out of memory, a native fault): stop one from outside.
      const slots = (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots;
      await slots[0]!.worker.terminate();
      await exited;
      const answers = await Promise.all(Array.from({ length: 6 }, () => pool.ask(SALDO, {})));
      for (const a of answers) expect(a.results[0]!.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
      expect(pool.size).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it.runIf(process.platform !== 'win32')('answers from keywords while the embedding model loads, and with it once loaded', async () => {
    const models = path.join(dir, 'models');
    const tiny = await createTinyModel(models, { words: ['Kherson', 'Saldo'] });
    const hybridSettings = testSettings({ MODEL_DIR: models, EMBEDDING_MODEL: tiny.modelId });
    const hybrid = path.join(dir, 'hybrid');
    await buildIndex({ corpus: [await copySeeds(path.join(dir, 'hybrid-corpus'))], out: hybrid, settings: hybridSettings });
    // The same model whose weights file is a named pipe that nobody writes: a load stays in progress
    // (reading it waits) until the test closes the pipe, so "still loading" needs no timing.
    const slow = path.join(dir, 'slow-models');
    await cp(models, slow, { recursive: true });
    const weights = path.join(slow, ...tiny.modelId.split('/'), 'onnx', 'model_quantized.onnx');
    await rm(weights);
    execFileSync('mkfifo', [weights]);
    /** Ends the reads waiting on the pipe (end of file: that load fails); false when none waits. */
    const release = (): boolean => {
      try {
        closeSync(openSync(weights, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
        return true;
      } catch {
        return false; // ENXIO: no reader yet
      }
    };
    const slowPool = new SearchPool({ dir: hybrid, settings: { ...hybridSettings, MODEL_DIR: slow }, workers: 2 });
    let loading: Promise<void> | undefined;
    try {
      await slowPool.start();
      let settled = false;
      slowPool.on('models-settled', () => (settled = true));
      // Nothing loads before the pool is asked to (the bot asks once it is connected).
      expect((await slowPool.ask(SALDO, { k: 3 })).mode).toBe('lexical');
      loading = slowPool.loadModels();
      for (let i = 0; i < 4; i++) {
        const answer = await slowPool.ask(SALDO, { k: 3 });
        expect(answer).toMatchObject({ mode: 'lexical', abstained: false });
        expect(answer.results[0]!.title).toBe(KHERSON);
      }
      expect(await slowPool.status()).toMatchObject({ mode: 'lexical', modelError: 'the embedding model is still loading' });
      expect(settled).toBe(false);
      // The loads end (unreadable weights) one worker after the other; the bot goes on with keywords.
      let done = false;
      void loading.then(() => (done = true));
      while (!done) {
        release();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(settled).toBe(true);
      expect((await slowPool.ask(SALDO, { k: 3 })).results[0]!.title).toBe(KHERSON);
      expect((await slowPool.status()).modelError).toMatch(/could not be loaded/);
    } finally {
      if (loading) while (release()) await new Promise((resolve) => setTimeout(resolve, 50));
      await slowPool.close();
    }

    const pool = new SearchPool({ dir: hybrid, settings: hybridSettings, workers: 2 });
    try {
      await pool.start();
      await pool.loadModels();
      for (const a of await Promise.all([pool.ask(SALDO, { k: 3 }), pool.ask(SALDO, { k: 3 }), pool.ask(SALDO, { k: 3 })])) expect(a.mode).toBe('hybrid');
    } finally {
      await pool.close();
    }
  });

  it.runIf(process.platform !== 'win32')('runs models in one model thread: pools closed and started again and workers replaced never crash the process', async () => {
    // ONNX Runtime's binding corrupts the heap when a thread loads it after another one that did has
    // ended (bench/ort-threads.mjs). Before the model thread, this process died in most runs.
    const models = path.join(dir, 'rounds-models');
    const tiny = await createTinyModel(models, { words: ['Kherson', 'Saldo'] });
    const roundSettings = testSettings({ MODEL_DIR: models, EMBEDDING_MODEL: tiny.modelId });
    const hybrid = path.join(dir, 'rounds-index');
    await buildIndex({ corpus: [await copySeeds(path.join(dir, 'rounds-corpus'))], out: hybrid, settings: roundSettings });
    const child = spawnSync(process.execPath, ['--import', TSX, path.join(REPO, 'tests/support/pool-rounds-child.ts'), JSON.stringify(roundSettings), hybrid, '3'], {
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect({ status: child.status, signal: child.signal, stderr: child.stderr.slice(-500) }).toEqual({ status: 0, signal: null, stderr: '' });
    expect(child.stdout.trim().split('\n')).toEqual([...Array.from({ length: 3 }, (_, i) => `round ${i}: hybrid hybrid hybrid`), 'done']);
  });

  it('reports a missing index as MissingIndexError, so the bot can build one first', async () => {
    const empty = path.join(dir, 'empty');
    await mkdir(empty);
    const pool = new SearchPool({ dir: empty, settings, workers: 2 });
    await expect(pool.start()).rejects.toBeInstanceOf(MissingIndexError);
    expect(pool.size).toBe(0);
  });

  it('swaps a rebuilt index in, answering from the old one until then', async () => {
    const pool = new SearchPool({ dir: index, settings, workers: 2 });
    try {
      await pool.start();
      const question = 'Were the Zaporizhzhia cooling ponds stable?';
      await writeFile(
        path.join(corpus, 'zz_new.md'),
        '---\ntitle: "Zaporizhzhia plant inspectors report stable cooling"\ndate: 2024-02-03\n---\nInspectors at the Zaporizhzhia nuclear plant said the cooling ponds were stable on Saturday.\n',
      );
      await buildIndex({ corpus: [corpus], out: index, settings });
      // The workers still hold the old index.
      expect((await pool.ask(question, {})).results.map((r) => r.title)).not.toContain('Zaporizhzhia plant inspectors report stable cooling');
      const during = Array.from({ length: 8 }, () => pool.ask(SALDO, {}));
      const status = await pool.reopen();
      expect(status.articles).toBe(3);
      for (const a of await Promise.all(during)) expect(a.results[0]!.title).toBe('Western officials: Ukraine can take back Kherson from Russia in a week');
      const after = await Promise.all([pool.ask(question, {}), pool.ask(question, {})]);
      for (const a of after) expect(a.results[0]!.title).toBe('Zaporizhzhia plant inspectors report stable cooling');
      expect((await pool.status()).articles).toBe(3);
    } finally {
      await pool.close();
    }
  });
});
