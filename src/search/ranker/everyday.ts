/**
 * Does a message read like an everyday request to an assistant ("what's my card's credit limit",
 * "slow your speech down", "how long will the turkey take to cook") rather than a question about
 * reported events? The rules of chat.ts name the common shapes; this learned model covers the long
 * tail of everyday wording no rule list reaches. It is a linear model over a message's words and word
 * pairs, trained (eval/train-everyday.ts) on requests written by others (CLINC150's crowd-written
 * assistant requests) against news questions written by others (RealtimeQA's newsroom quizzes) and
 * our own training questions. It reads wording only, never the corpus, so it holds for any corpus of news.
 */

import shippedWeights from './everyday.json' with { type: 'json' };

export interface EverydayWeights {
  /** What the weights were trained on, for reports. */
  trainedOn: string;
  bias: number;
  /** Refused as everyday chat at or above this probability (chosen on the training sets). */
  threshold: number;
  weights: Record<string, number>;
}

/** Lowercased words; numbers become "#", apostrophes vanish ("what's" → "whats"), so typing habits do not matter. */
export function everydayTokens(message: string): string[] {
  return (
    message
      .toLowerCase()
      .replace(/[’'`]/g, '')
      .match(/[\p{L}]+|\d+(?:[.,]\d+)*/gu)
      ?.map((t) => (/^\d/.test(t) ? '#' : t)) ?? []
  );
}

/**
 * A message's features: its words, its word pairs and its first word (marked "^"), each once. The
 * first word carries the message's mood ("tell", "set", "when", "which").
 */
export function everydayFeatures(message: string): string[] {
  const tokens = everydayTokens(message);
  const out = new Set<string>();
  if (tokens.length) out.add(`^${tokens[0]}`);
  for (let i = 0; i < tokens.length; i++) {
    out.add(tokens[i]!);
    if (i + 1 < tokens.length) out.add(`${tokens[i]} ${tokens[i + 1]}`);
  }
  return [...out];
}

export class EverydayModel {
  readonly threshold: number;
  readonly trainedOn: string;
  private readonly weights: ReadonlyMap<string, number>;
  private readonly bias: number;

  constructor(w: EverydayWeights) {
    this.weights = new Map(Object.entries(w.weights));
    this.bias = w.bias;
    this.threshold = w.threshold;
    this.trainedOn = w.trainedOn;
  }

  /**
   * P(everyday request | wording). Feature values are 1/√n over the message's n features, so a long
   * news question does not outweigh a short request by length alone.
   */
  probability(message: string): number {
    const features = everydayFeatures(message);
    if (features.length === 0) return 0;
    const value = 1 / Math.sqrt(features.length);
    let z = this.bias;
    for (const f of features) z += (this.weights.get(f) ?? 0) * value;
    return 1 / (1 + Math.exp(-z));
  }

  isEveryday(message: string): boolean {
    return this.probability(message) >= this.threshold;
  }
}

let shipped: EverydayModel | undefined;

/** The model trained on the project's sets (`everyday.json`, committed). */
export function everydayModel(): EverydayModel {
  shipped ??= new EverydayModel(shippedWeights as EverydayWeights);
  return shipped;
}
