/**
 * The requests a client has sent and awaits, by id, answered in any order: the model thread's clients
 * (model-thread.ts) and the build's embedding processes (process-pool.ts) both keep one.
 */
export type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export class Replies {
  private nextId = 1;
  private pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();

  get size(): number {
    return this.pending.size;
  }

  /** A new request's id and the promise its reply settles. */
  expect<T>(): { id: number; reply: Promise<T> } {
    const id = this.nextId++;
    const reply = new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
    });
    return { id, reply };
  }

  /** Settles the request a reply answers (an unknown id is ignored). */
  settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.value);
    else p.reject(new Error(reply.error));
  }

  /** Fails every request still waiting (the other side is gone). */
  failAll(err: () => Error): void {
    for (const p of this.pending.values()) p.reject(err());
    this.pending.clear();
  }
}
