import { topicShare, type RankedEvidence } from './evidence.js';
import { PASSAGE_FEATURES, type PassageFeature } from './features.js';
import type { QuestionInfo } from './question.js';
import { unitNear } from './units.js';
import { CONFIDENCE_FEATURES, type ConfidenceFeature } from './model.js';

const FEATURE_INDEX = new Map<string, number>(PASSAGE_FEATURES.map((f, i) => [f, i]));

/** The top answer as the confidence model sees it. */
export interface TopAnswer {
  /** The ranker's passage features (absent past the ranker's depth: then 0). */
  features?: readonly number[];
  /** Cosine similarity to the question (0 without a model). */
  similarity: number;
  text: string;
}

/**
 * The confidence model's inputs in `CONFIDENCE_FEATURES` order, from the top passage's features and
 * the results in the ranker's order: one definition for the search (abstain.ts) and for training
 * (eval/train-ranker.ts), so the model is fitted on exactly what it is later given.
 */
export function confidenceInputs(info: QuestionInfo, top: TopAnswer, ranked: readonly RankedEvidence[]): number[] {
  const feature = (name: PassageFeature): number => (top.features ? top.features[FEATURE_INDEX.get(name)!]! : 0);
  const values: Record<ConfidenceFeature, number> = {
    coverAll: feature('coverAll'),
    bestSentence: feature('bestSentence'),
    namesMissing: feature('namesMissing'),
    similarity: top.similarity,
    absentShare: info.absentShare,
    answerNear: feature('answerNear'),
    answerAny: feature('answerAny'),
    topMissing: feature('topMissing'),
    yearMissing: feature('yearMissing'),
    coverOwn: feature('coverOwn'),
    topicShare: topicShare(info, ranked),
    // The ranker already judged the top passage's unit; past its depth there are no features to reuse.
    unitNear: top.features ? feature('unitMatch') : unitNear(info, top.text),
  };
  return CONFIDENCE_FEATURES.map((n) => values[n]);
}
