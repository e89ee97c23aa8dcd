/** A build that cannot go ahead for a reason the user can fix (no articles, cancelled). */
export class BuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BuildError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new BuildError('Index build cancelled; the previous index, if any, is unchanged.');
}
