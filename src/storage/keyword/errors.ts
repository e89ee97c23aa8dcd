/** A keyword segment or index cannot be built, decoded or searched as asked; the message says why and what to do. */
export class KeywordIndexError extends Error {
  override name = 'KeywordIndexError';
}

/** Stored postings that fail their checksum or are missing: the index must be rebuilt (never answered from). */
export class DamagedSegmentError extends KeywordIndexError {
  override name = 'DamagedSegmentError';
  /** What is wrong, without the advice (for a caller that names the index and its own fix). */
  readonly detail: string;
  constructor(message: string, detail: string) {
    super(message);
    this.detail = detail;
  }
}
