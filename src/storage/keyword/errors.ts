/** A keyword segment or index cannot be built, decoded or searched as asked; the message says why and what to do. */
export class KeywordIndexError extends Error {
  override name = 'KeywordIndexError';
}
