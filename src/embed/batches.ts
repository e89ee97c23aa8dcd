import type { Embedder } from './embedder.js';

/**
 * Embeds texts in batches of `batchSize` taken in order of length, so a batch is padded to a length
 * close to each of its members' rather than to the longest passage among 32 random ones (a
 * transformer's cost grows with the padded length). Returns the vectors in the texts' order.
 * `beforeBatch` runs before each batch (to stop between batches); `onBatch` gets the count done.
 */
export async function embedByLength(
  embedder: Pick<Embedder, 'embedPassages' | 'parallel'>,
  texts: readonly string[],
  batchSize: number,
  hooks: { beforeBatch?: () => void; onBatch?: (done: number) => void } = {},
): Promise<Float32Array[]> {
  // Characters stand in for tokens: close enough to group passages, and free.
  const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length || a - b);
  const out = new Array<Float32Array>(texts.length);
  let next = 0;
  let done = 0;
  let failure: { error: unknown } | undefined;
  // An embedder that runs several calls at once (a pool of processes) gets that many batches in flight;
  // one whose pool starts mid-way (scaleOut) gets more lanes as it grows.
  const lanes: Promise<void>[] = [];
  const addLanes = (): void => {
    while (!failure && lanes.length < Math.max(1, embedder.parallel ?? 1) && next < order.length) lanes.push(lane());
  };
  const lane = async (): Promise<void> => {
    try {
      while (!failure && next < order.length) {
        hooks.beforeBatch?.();
        const ids = order.slice(next, next + batchSize);
        next += ids.length;
        const vectors = await embedder.embedPassages(ids.map((i) => texts[i]!));
        if (vectors.length !== ids.length) throw new Error(`the model returned ${vectors.length} vectors for ${ids.length} passages`);
        ids.forEach((id, j) => {
          out[id] = vectors[j]!;
        });
        done += ids.length;
        hooks.onBatch?.(done);
        addLanes();
      }
    } catch (error) {
      // The first failure stops every lane after its batch in flight; it is what the caller gets.
      failure ??= { error };
    }
  };
  addLanes();
  // Lanes never reject, and those added meanwhile are awaited too (the array grows while we wait).
  for (let i = 0; i < lanes.length; i++) await lanes[i];
  if (failure) throw failure.error;
  return out;
}
