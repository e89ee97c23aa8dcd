import { splitSentences, type Sentence } from '../chunk.js';
import { analyze } from '../text/analyze.js';
import type { QuoteSentence } from '../types.js';

export interface Quote {
  /** Exact text of the passage from the first to the last chosen sentence. */
  text: string;
  sentences: QuoteSentence[];
  /** Score of the best sentence (sum of matched query-term weights). */
  bestScore: number;
}

export interface QuoteOptions {
  maxSentences: number;
}

/** Openings that lean on the sentence before: quoting them alone would lose who or what. */
const DEPENDENT_OPENING = /^[“"]?(he|she|they|it|this|that|these|those|but|however|and|also|his|her|their|its|the official|the spokesman|the spokeswoman)\b/i;

/**
 * Picks the 1–3 consecutive sentences of a passage that best answer the question: the sentence
 * with the most (idf-weighted) question terms, widened by a neighbour that also matches or that
 * it depends on.
 */
export function selectQuote(
  passage: string,
  queryWeights: ReadonlyMap<string, number>,
  options: QuoteOptions = { maxSentences: 3 },
): Quote {
  const sentences: Sentence[] = splitSentences(passage);
  if (sentences.length === 0) return { text: passage, sentences: [{ text: passage, best: true }], bestScore: 0 };
  const scores = sentences.map((s) => sentenceScore(s.text, queryWeights));
  let best = 0;
  scores.forEach((score, i) => {
    if (score > scores[best]!) best = i;
  });
  let first = best;
  let last = best;
  const size = (): number => last - first + 1;
  // Context the best sentence depends on comes first.
  if (first > 0 && DEPENDENT_OPENING.test(sentences[best]!.text) && size() < options.maxSentences) first--;
  // Then neighbours that also answer part of the question.
  const threshold = scores[best]! * 0.5;
  while (size() < options.maxSentences) {
    const before = first > 0 ? scores[first - 1]! : -1;
    const after = last + 1 < sentences.length ? scores[last + 1]! : -1;
    if (Math.max(before, after) <= 0 || Math.max(before, after) < threshold) break;
    if (after >= before) last++;
    else first--;
  }
  // A very short best sentence ("He urged.") says little without the next one.
  if (size() === 1 && countWords(sentences[best]!.text) < 8 && last + 1 < sentences.length) last++;
  return {
    text: passage.slice(sentences[first]!.start, sentences[last]!.end),
    sentences: sentences.slice(first, last + 1).map((s, i) => ({ text: s.text, best: first + i === best })),
    bestScore: scores[best]!,
  };
}

function countWords(s: string): number {
  return (s.match(/\S+/g) ?? []).length;
}

/** Sum of the weights of distinct question terms in the sentence, plus a bonus for adjacent pairs. */
export function sentenceScore(sentence: string, queryWeights: ReadonlyMap<string, number>): number {
  const terms = analyze(sentence);
  const seen = new Set<string>();
  let score = 0;
  for (const t of terms) {
    const w = queryWeights.get(t);
    if (w !== undefined && !seen.has(t)) {
      seen.add(t);
      score += w;
    }
  }
  // Question phrases kept together ("missile strikes") are stronger evidence than scattered words.
  for (let i = 0; i + 1 < terms.length; i++) {
    const a = queryWeights.get(terms[i]!);
    const b = queryWeights.get(terms[i + 1]!);
    if (a !== undefined && b !== undefined && terms[i] !== terms[i + 1]) score += 0.25 * Math.min(a, b);
  }
  return score;
}
