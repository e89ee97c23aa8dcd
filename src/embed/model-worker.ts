/**
 * The model thread (see model-thread.ts): loads embedding models for the process's worker threads
 * and runs them. Each connected port sends load / embed / dispose requests. Loads with the same
 * settings share one model (N search workers hold one copy, not N) and are counted, so the last
 * dispose frees it; a failed load is not remembered (the next one tries again).
 */
import { parentPort, type MessagePort } from 'node:worker_threads';
import { loadLocalEmbedder, type Embedder } from './embedder.js';
import { niceThisThread } from '../thread.js';
import { MODEL_THREAD_NICE, type LoadedModel, type ModelReply, type ModelRequest } from './model-thread.js';

const root = parentPort;
if (!root) throw new Error('model-worker.ts runs as the model thread, not on its own.');
niceThisThread(MODEL_THREAD_NICE);

interface Entry {
  key: string;
  handle: number;
  users: number;
  loading: Promise<Embedder | string>;
}

const byKey = new Map<string, Entry>();
const byHandle = new Map<number, Entry>();
let nextHandle = 1;

async function load(req: Extract<ModelRequest, { op: 'load' }>): Promise<LoadedModel> {
  const key = JSON.stringify(req.settings);
  let entry = byKey.get(key);
  if (!entry) {
    const created: Entry = {
      key,
      handle: nextHandle++,
      users: 0,
      loading: loadLocalEmbedder(req.settings).then((r) => ('error' in r ? r.error : r.embedder)),
    };
    byKey.set(key, created);
    byHandle.set(created.handle, created);
    entry = created;
  }
  entry.users++;
  const loaded = await entry.loading;
  if (typeof loaded === 'string') {
    forget(entry);
    throw new Error(loaded);
  }
  return { handle: entry.handle, modelId: loaded.modelId, dim: loaded.dim, profile: loaded.profile };
}

function forget(entry: Entry): void {
  if (byKey.get(entry.key) === entry) byKey.delete(entry.key);
  byHandle.delete(entry.handle);
}

async function embed(req: Extract<ModelRequest, { op: 'embed' }>): Promise<Float32Array[]> {
  const entry = byHandle.get(req.handle);
  if (!entry) throw new Error('the model was disposed');
  const embedder = await entry.loading;
  if (typeof embedder === 'string') throw new Error(embedder);
  return req.query ? [await embedder.embedQuery(req.texts[0] ?? '')] : embedder.embedPassages(req.texts);
}

async function dispose(req: Extract<ModelRequest, { op: 'dispose' }>): Promise<void> {
  const entry = byHandle.get(req.handle);
  if (!entry || --entry.users > 0) return;
  forget(entry);
  const embedder = await entry.loading;
  if (typeof embedder !== 'string') await embedder.dispose();
}

function serve(port: MessagePort): void {
  // What this port's thread holds, let go when it ends without disposing (a worker that died).
  const held = new Map<number, number>();
  const hold = (handle: number, by: number): void => {
    const n = (held.get(handle) ?? 0) + by;
    if (n > 0) held.set(handle, n);
    else held.delete(handle);
  };
  port.on('close', () => {
    for (const [handle, n] of held) for (let i = 0; i < n; i++) void dispose({ id: 0, op: 'dispose', handle });
    held.clear();
  });
  port.on('message', (req: ModelRequest) => {
    let run: Promise<unknown>;
    if (req.op === 'load') {
      run = load(req).then((m) => {
        hold(m.handle, 1);
        return m;
      });
    } else if (req.op === 'embed') {
      run = embed(req);
    } else {
      hold(req.handle, -1);
      run = dispose(req);
    }
    run.then(
      (value) => port.postMessage({ id: req.id, ok: true, value } satisfies ModelReply),
      (err: unknown) => port.postMessage({ id: req.id, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies ModelReply),
    );
  });
}

root.on('message', (msg: { port: MessagePort }) => serve(msg.port));
