/**
 * The process's model thread: where embedding models run for every worker thread.
 *
 * Why one thread: ONNX Runtime's Node binding (1.14, the version Transformers.js 2 pins) keeps its
 * per-thread state in process-wide statics. Once a thread that loaded it has ended, loading it in
 * another thread corrupts the heap, and the whole process dies later (free(): invalid pointer,
 * segmentation faults) — measured with `node bench/ort-threads.mjs`. The bot's search workers
 * are ended and replaced (a worker that died, a pool closed and started again), so they must not
 * load models themselves. The main thread, which lives as long as the process, loads its own
 * models directly; a worker thread asks the model thread over a MessagePort that the main thread
 * gave it (`connectModelThread` → workerData → `useModelPort`). The model thread is started on
 * first use, never ended before the process, and shares each loaded model between its callers.
 */
import { isMainThread, MessageChannel, type MessagePort, type Worker } from 'node:worker_threads';
import { startWorker } from '../thread.js';
import type { Embedder, EmbedderSettings } from './embedder.js';
import type { ModelProfile } from './models.js';
import { type Reply, Replies } from './replies.js';

export type ModelRequest =
  | { id: number; op: 'load'; settings: EmbedderSettings }
  | { id: number; op: 'embed'; handle: number; texts: string[]; query: boolean }
  | { id: number; op: 'dispose'; handle: number };

export interface LoadedModel {
  handle: number;
  modelId: string;
  dim: number;
  profile: ModelProfile;
}

export type ModelReply = Reply;

/** Niceness added to the model thread, as to the search workers: the bot's main thread acknowledges interactions first. */
export const MODEL_THREAD_NICE = 5;

let thread: Worker | undefined;
let stopped: string | undefined;

/**
 * A new port to the model thread (starting it on first use), to hand to a worker thread in its
 * workerData (and transferList). Main thread only: a thread started from a worker would end with it.
 */
export function connectModelThread(): MessagePort {
  if (!isMainThread) throw new Error('connectModelThread runs on the main thread, which outlives every worker');
  const { port1, port2 } = new MessageChannel();
  if (stopped) {
    // Not restarted (see above): callers get the reason for each request.
    port2.on('message', (req: ModelRequest) => port2.postMessage({ id: req.id, ok: false, error: stopped! } satisfies ModelReply));
    port2.unref();
    return port1;
  }
  if (!thread) {
    const started = startWorker(new URL('./model-worker', import.meta.url));
    // Never keeps the process alive by itself.
    started.unref();
    started.on('error', (err) => {
      stopped = `the model thread stopped: ${err.message}`;
    });
    started.on('exit', (code) => {
      stopped ??= `the model thread stopped (exit code ${code})`;
      thread = undefined;
    });
    thread = started;
  }
  thread.postMessage({ port: port2 }, [port2]);
  return port1;
}

let workerPort: MessagePort | undefined;

/** In a worker thread: the port to the model thread, from its workerData. */
export function useModelPort(port: MessagePort | undefined): void {
  workerPort = port;
}

/** The model thread ended (it is not restarted): every model of this process is unavailable. */
export class ModelThreadGone extends Error {
  constructor() {
    super('the model thread is gone');
    this.name = 'ModelThreadGone';
  }
}

/** A client of the model thread over one port: requests by id, replies in any order. */
class ModelClient {
  private replies = new Replies();
  private closed = false;

  constructor(private readonly port: MessagePort) {
    port.on('message', (reply: ModelReply) => {
      this.replies.settle(reply);
      if (this.replies.size === 0) port.unref();
    });
    port.on('close', () => {
      this.closed = true;
      this.replies.failAll(() => new ModelThreadGone());
    });
    port.unref();
  }

  call<T>(body: DistributiveOmit<ModelRequest, 'id'>): Promise<T> {
    // A closed port drops what is posted to it: the caller would wait forever.
    if (this.closed) return Promise.reject(new ModelThreadGone());
    const { id, reply } = this.replies.expect<T>();
    // Waiting for a reply keeps the thread alive, as any pending I/O does.
    this.port.ref();
    try {
      this.port.postMessage({ ...body, id } as ModelRequest);
    } catch (err) {
      this.replies.settle({ id, ok: false, error: (err as Error).message });
    }
    return reply;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

let client: ModelClient | undefined;

/**
 * Loads a model in the model thread and returns an Embedder whose calls go there. Never throws
 * for an unavailable model: returns the reason, as `loadEmbedder` does.
 */
export async function loadRemoteEmbedder(settings: EmbedderSettings): Promise<{ embedder: Embedder } | { error: string }> {
  if (!workerPort) return { error: 'this worker thread has no port to the model thread (useModelPort)' };
  client ??= new ModelClient(workerPort);
  const c = client;
  let loaded: LoadedModel;
  try {
    loaded = await c.call<LoadedModel>({ op: 'load', settings });
  } catch (err) {
    return { error: (err as Error).message };
  }
  const embed = (texts: string[], query: boolean) => c.call<Float32Array[]>({ op: 'embed', handle: loaded.handle, texts, query });
  let disposed = false;
  return {
    embedder: {
      modelId: loaded.modelId,
      dim: loaded.dim,
      profile: loaded.profile,
      embedPassages: (texts) => embed(texts, false),
      embedQuery: async (text) => (await embed([text], true))[0]!,
      dispose: async () => {
        if (disposed) return;
        disposed = true;
        await c.call({ op: 'dispose', handle: loaded.handle }).catch(() => undefined);
      },
    },
  };
}
