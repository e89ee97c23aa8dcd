import { articleSentences } from './text/sentences.js';
import type { Article, Chunk } from './types.js';

export interface ChunkOptions {
  /** Aim for this many words a chunk… */
  targetWords: number;
  /** …never more than this, unless one sentence alone is longer (sentences are never split). */
  maxWords: number;
  /** Words of trailing sentences repeated at the start of the next chunk, for context across the cut. */
  overlapWords: number;
}

/** Sized for small sentence-embedding models (bge-small, MiniLM: 512/256 token windows). */
export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { targetWords: 180, maxWords: 250, overlapWords: 30 };

const countWords = (s: string): number => (s.match(/\S+/g) ?? []).length;

/**
 * Cuts an article into chunks of whole sentences of about `targetWords`, preferring to end at a
 * paragraph break, with a small overlap of whole sentences. Ids are assigned by the caller's counter.
 */
export function chunkArticle(
  article: Pick<Article, 'id' | 'text'>,
  nextId: () => number,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): Chunk[] {
  const sentences = articleSentences(article.text);
  const words = sentences.map((s) => countWords(s.text));
  // Words from sentence i to the end, so the remainder check below is O(1) (it was a sum per chunk: quadratic).
  const wordsFrom = new Array<number>(words.length + 1).fill(0);
  for (let i = words.length - 1; i >= 0; i--) wordsFrom[i] = wordsFrom[i + 1]! + words[i]!;
  const chunks: Chunk[] = [];
  let first = 0;
  while (first < sentences.length) {
    let last = first;
    let total = words[first]!;
    while (last + 1 < sentences.length) {
      const next = total + words[last + 1]!;
      if (next > options.maxWords) break;
      // Past ~80% of the target, stop at the first paragraph end; past the target, stop anywhere.
      if (total >= options.targetWords) break;
      if (total >= options.targetWords * 0.8 && sentences[last]!.paragraphEnd) break;
      last++;
      total = next;
    }
    // Don't leave a runt: fold a short remainder into this chunk when it still fits.
    const rest = wordsFrom[last + 1]!;
    if (last + 1 < sentences.length && rest < options.targetWords * 0.25 && total + rest <= options.maxWords) {
      last = sentences.length - 1;
    }
    const start = sentences[first]!.start;
    const end = sentences[last]!.end;
    chunks.push({ id: nextId(), articleId: article.id, position: chunks.length, start, end, text: article.text.slice(start, end) });
    if (last + 1 >= sentences.length) break;
    // Step back over trailing sentences for the overlap, but always move forward.
    let nextFirst = last + 1;
    let overlap = 0;
    while (nextFirst - 1 > first && overlap + words[nextFirst - 1]! <= options.overlapWords) {
      nextFirst--;
      overlap += words[nextFirst]!;
    }
    first = nextFirst;
  }
  return chunks;
}
