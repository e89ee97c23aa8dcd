import type { Article, Chunk } from './types.js';

/** A sentence with its character offsets in the text it came from. */
export interface Sentence {
  start: number;
  end: number;
  text: string;
}

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

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

/**
 * Words after which a period does not end a sentence. ICU's sentence rules break after "U.S. " or
 * "Gen. " when a capital follows, which would cut names and quotes in half.
 */
const ABBREVIATIONS = new Set(
  (
    'mr mrs ms dr prof gen lt col maj capt sgt adm cmdr gov sen rep pres st sr jr rev hon ' +
    'no nos vol fig approx est dept univ inc ltd co corp bros vs etc al e.g i.e ' +
    'jan feb mar apr jun jul aug sep sept oct nov dec u.s u.k u.n e.u u.s.a d.c a.m p.m'
  ).split(' '),
);

function endsWithAbbreviation(sentence: string): boolean {
  const m = /(?:^|[\s(“"])([\p{L}.]+)\.\s*$/u.exec(sentence);
  if (!m) return false;
  const word = m[1]!.toLowerCase();
  // Single-letter initials ("J. R. R. Tolkien") also continue the sentence.
  return ABBREVIATIONS.has(word) || /^\p{L}$/u.test(word);
}

/** Splits text into sentences with exact offsets (text.slice(start, end) === sentence.text). */
export function splitSentences(text: string, base = 0): Sentence[] {
  const out: Sentence[] = [];
  for (const seg of segmenter.segment(text)) {
    const raw = seg.segment;
    const lead = raw.length - raw.trimStart().length;
    const trimmed = raw.trim();
    if (!trimmed) continue;
    const start = base + seg.index + lead;
    const sentence = { start, end: start + trimmed.length, text: trimmed };
    const prev = out[out.length - 1];
    // Join ICU's break after an abbreviation, and stray fragments such as a lone closing quote.
    if (prev && (endsWithAbbreviation(prev.text) || !/[\p{L}\p{N}]/u.test(trimmed))) {
      prev.text = text.slice(prev.start - base, sentence.end - base);
      prev.end = sentence.end;
    } else {
      out.push(sentence);
    }
  }
  return out;
}

/** Sentences of a whole article, paragraph by paragraph (a sentence never spans a paragraph break). */
export function articleSentences(text: string): Array<Sentence & { paragraphEnd: boolean }> {
  const out: Array<Sentence & { paragraphEnd: boolean }> = [];
  const re = /[^\n]+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const sentences = splitSentences(m[0], m.index);
    sentences.forEach((s, i) => out.push({ ...s, paragraphEnd: i === sentences.length - 1 }));
  }
  return out;
}

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
    const rest = words.slice(last + 1).reduce((a, b) => a + b, 0);
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
