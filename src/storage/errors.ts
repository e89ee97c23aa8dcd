import { commandLine } from '../command-line.js';

/** An index that cannot be used as it is; the message names the fix. */
export class IndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IndexError';
  }
}

/** There is no index at all yet (as opposed to a damaged one): the only case that may be built on first use. */
export class MissingIndexError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'MissingIndexError';
  }
}

/** An index written by an older version (a format this one no longer reads): `npm run index` builds it anew. */
export class OldFormatError extends IndexError {
  constructor(
    message: string,
    readonly format: number,
  ) {
    super(message);
    this.name = 'OldFormatError';
  }
}

export const REBUILD_HINT = `rebuild it with \`${commandLine('index', '--rebuild')}\``;

/** Another build holds the writer lock (a file lock, or PostgreSQL's advisory lock): nothing is wrong, it is busy. */
export class IndexBusyError extends IndexError {
  constructor(message: string) {
    super(message);
    this.name = 'IndexBusyError';
  }
}
