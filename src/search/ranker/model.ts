import { commandLine } from '../../command-line.js';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { PASSAGE_FEATURES, SENTENCE_FEATURES } from './features.js';
import shippedWeights from './weights.json' with { type: 'json' };

/**
 * The learned models, shipped as plain data (`weights.json`, written by `npm run train-ranker`):
 * linear scorers over standardised features. The passage ranker orders candidates, the sentence
 * model picks the quote, and the confidence model is a logistic regression giving the probability
 * that the top answer holds what was asked.
 */

const linearSchema = z.object({
  features: z.array(z.string()),
  mean: z.array(z.number()),
  scale: z.array(z.number()),
  weights: z.array(z.number()),
  bias: z.number(),
});

/**
 * The confidence model sees only evidence that means the same in a two-article corpus and in a
 * million-article one: how much of the question the top passage covers and how; never raw scores
 * or margins, whose scale depends on the corpus (a model trained on news-2022 would refuse every
 * answer from a small corpus).
 */
export const CONFIDENCE_FEATURES = [
  'coverAll',
  'bestSentence',
  'namesMissing',
  'similarity',
  'absentShare', // share of the question's weight the corpus never uses in any form
  'answerNear',
  'answerAny',
  'topMissing',
  'yearMissing',
  'coverOwn',
  'topicShare', // share of the question's weight that the top passage and most of the next articles match (see evidence.ts)
  'unitNear', // 0: the question measures in a unit (money, a share, "how many crew") and the top passage has no number in it
] as const;

export type ConfidenceFeature = (typeof CONFIDENCE_FEATURES)[number];

/**
 * The direction each confidence feature may pull (1: more of it can only raise confidence, -1: only
 * lower it): training keeps to these, so the model stays sensible on corpora unlike news-2022.
 */
export const CONFIDENCE_SIGNS: Record<ConfidenceFeature, 1 | -1> = {
  coverAll: 1,
  bestSentence: 1,
  namesMissing: -1,
  similarity: 1,
  absentShare: -1,
  answerNear: 1,
  answerAny: 1,
  topMissing: -1,
  yearMissing: -1,
  coverOwn: 1,
  topicShare: 1,
  unitNear: 1,
};

const weightsSchema = z.object({
  version: z.literal(1),
  /** How many fused candidates the ranker re-orders. */
  depth: z.number().int().positive(),
  passage: linearSchema,
  sentence: linearSchema,
  confidence: linearSchema.extend({
    /** Below this probability the answer is withheld (chosen on the dev split). */
    threshold: z.number(),
    /** At or above this, the match is shown as strong. */
    strong: z.number(),
  }),
  trainedOn: z.record(z.string(), z.unknown()).optional(),
});

export type RankerWeights = z.infer<typeof weightsSchema>;
export type LinearWeights = z.infer<typeof linearSchema>;

export class LinearModel {
  constructor(private readonly w: LinearWeights) {}

  score(x: readonly number[]): number {
    let s = this.w.bias;
    for (let i = 0; i < this.w.weights.length; i++) s += this.w.weights[i]! * ((x[i]! - this.w.mean[i]!) / this.w.scale[i]!);
    return s;
  }

  probability(x: readonly number[]): number {
    return 1 / (1 + Math.exp(-this.score(x)));
  }
}

/** The three models, ready to score. */
export interface Ranker {
  depth: number;
  passage: LinearModel;
  sentence: LinearModel;
  confidence: LinearModel;
  threshold: number;
  strong: number;
}

export class RankerWeightsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RankerWeightsError';
  }
}

/** Checks that a weights file matches the features this code computes (a stale file is an error, not a silent misranking). */
export function parseWeights(json: unknown, source: string): RankerWeights {
  const parsed = weightsSchema.safeParse(json);
  if (!parsed.success) throw new RankerWeightsError(`${source} is not a ranker weights file (${parsed.error.issues[0]?.message}): run \`${commandLine('train-ranker')}\`.`);
  const w = parsed.data;
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(w.passage.features, PASSAGE_FEATURES) || !same(w.sentence.features, SENTENCE_FEATURES) || !same(w.confidence.features, CONFIDENCE_FEATURES)) {
    throw new RankerWeightsError(`${source} was trained on other features than this version computes: run \`${commandLine('train-ranker')}\`.`);
  }
  return w;
}

export function rankerFrom(w: RankerWeights): Ranker {
  return {
    depth: w.depth,
    passage: new LinearModel(w.passage),
    sentence: new LinearModel(w.sentence),
    confidence: new LinearModel(w.confidence),
    threshold: w.confidence.threshold,
    strong: w.confidence.strong,
  };
}

/** A ranker that keeps the fused order and never abstains: what training collects candidate pools with. */
export function neutralRanker(depth: number): Ranker {
  const zero = (features: readonly string[]): LinearModel =>
    new LinearModel({ features: [...features], mean: features.map(() => 0), scale: features.map(() => 1), weights: features.map(() => 0), bias: 0 });
  return { depth, passage: zero(PASSAGE_FEATURES), sentence: zero(SENTENCE_FEATURES), confidence: zero(CONFIDENCE_FEATURES), threshold: 0, strong: 1 };
}

let shipped: Ranker | undefined;

/** The ranker trained on the project's question sets (`weights.json`, committed), or one from a file of the user's own. */
export function loadRanker(file?: string): Ranker {
  if (!file) {
    shipped ??= rankerFrom(parseWeights(shippedWeights, 'src/search/ranker/weights.json'));
    return shipped;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RankerWeightsError(`Cannot read ranker weights ${file} (${(err as Error).message}): run \`${commandLine('train-ranker')}\`.`);
  }
  return rankerFrom(parseWeights(json, file));
}
