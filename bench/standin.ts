/**
 * The stand-in of Xenova/bge-small-en-v1.5 (bench/standin-model.py): finds a Python with torch and
 * onnx, and generates the model once into a cache folder (bench/.cache/, git-ignored: ~150 MB), keyed
 * by the script and its arguments, so later runs reuse it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('./standin-model.py', import.meta.url));
/** The id it is written under: loaded as the default model is, with bge's CLS pooling and query prefix. */
export const STANDIN_MODEL_ID = 'Xenova/bge-small-en-v1.5';
export const STANDIN_CACHE = fileURLToPath(new URL('./.cache/standin/', import.meta.url));

/** Debian's torch lives in the system Python, which `python3` may not be (pyenv). */
const CANDIDATES = [process.env.STANDIN_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));

/** A Python that imports torch and onnx, or undefined (with why) when none does. */
export async function standinPython(): Promise<{ python?: string; why?: string }> {
  let why = '';
  for (const python of CANDIDATES) {
    try {
      await run(python, ['-c', 'import torch, onnx'], { timeout: 120_000 });
      return { python };
    } catch (err) {
      why ||= `${python}: ${(err as Error).message.split('\n').filter(Boolean).at(-1)}`;
    }
  }
  return { why: `no Python with torch and onnx (apt-get install -y python3-torch python3-onnx); ${why}` };
}

export interface StandinOptions {
  /** Transformer layers: 12 is bge-small's; tests use 2 (same code path, a fraction of the time). */
  layers?: number;
  seed?: number;
  /** JSONL files whose most frequent words fill the vocabulary (WordNet's lemmas without). */
  corpus?: string[];
  /** Cache root (default bench/.cache/standin/). */
  cacheDir?: string;
}

/**
 * Returns a MODEL_DIR holding the stand-in as Xenova/bge-small-en-v1.5, generating it when the cache
 * has no copy made with these options by this version of the script.
 */
export async function ensureStandin(options: StandinOptions = {}): Promise<{ modelDir: string; modelId: string; generatedMs?: number }> {
  const layers = options.layers ?? 12;
  const seed = options.seed ?? 0;
  const corpus = (options.corpus ?? []).map((f) => path.resolve(f));
  const corpusKeys = await Promise.all(corpus.map(async (f) => `${f}:${(await stat(f)).size}`));
  const key = createHash('sha1')
    .update(await readFile(SCRIPT))
    .update(JSON.stringify({ layers, seed, corpusKeys }))
    .digest('hex')
    .slice(0, 12);
  const root = options.cacheDir ?? STANDIN_CACHE;
  const modelDir = path.join(root, `L${layers}-${key}`);
  const done = path.join(modelDir, STANDIN_MODEL_ID, 'onnx', 'model_quantized.onnx');
  if (await stat(done).then(() => true, () => false)) return { modelDir, modelId: STANDIN_MODEL_ID };
  const { python, why } = await standinPython();
  if (!python) throw new Error(why);
  const started = performance.now();
  // Written beside the final folder and moved in when complete: a killed run leaves no half model.
  const partial = `${modelDir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  try {
    const args = [SCRIPT, path.join(partial, STANDIN_MODEL_ID), '--layers', String(layers), '--seed', String(seed)];
    if (corpus.length) args.push('--corpus', ...corpus);
    await run(python, args, { timeout: 30 * 60_000, maxBuffer: 16 * 2 ** 20 });
    await rm(modelDir, { recursive: true, force: true });
    await rename(partial, modelDir);
  } finally {
    await rm(partial, { recursive: true, force: true });
  }
  return { modelDir, modelId: STANDIN_MODEL_ID, generatedMs: Math.round(performance.now() - started) };
}
