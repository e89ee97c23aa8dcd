import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { VoteRecord } from '../src/bot/state/store.js';
import type { CandidatePool } from '../src/search/searcher.js';
import type { Group } from './learn.js';

/**
 * Votes from Discord as training data: `npm run export-feedback` turns the bot's 👍/👎 into labelled
 * (question, passage, relevant) pairs, one JSON object per line; `npm run train-ranker -- --feedback`
 * learns the passage ranker from them.
 *
 * How a vote becomes labels (a vote is on one page of an answer, which showed up to k passages):
 * - 👍: the page's first passage answered the question (relevant). The others on the page are not
 *   labelled: a 👍 says the answer helped, and the first passage is the one read first and in full.
 * - 👎: none of the page's passages answered it: each of them is not relevant.
 * - A vote on a refusal ("no source answers this") shows no passage: it labels nothing.
 * - Votes on the same question (same text, case and spacing aside, and filters) and passage add up,
 *   across answers, users and servers: relevant when 👍 outnumber 👎, not relevant when 👎 outnumber
 *   👍, left out on a tie.
 */

const filtersSchema = z.object({ after: z.string().optional(), before: z.string().optional(), outlet: z.string().optional() });

export const feedbackPairSchema = z.object({
  question: z.string().min(1),
  filters: filtersSchema.default({}),
  articleId: z.string(),
  /** The passage's id in the index the export read; the text identifies it in any other index. */
  chunkId: z.number().int(),
  passage: z.string().min(1),
  relevant: z.union([z.literal(0), z.literal(1)]),
  up: z.number().int().min(0),
  down: z.number().int().min(0),
});

export type FeedbackPair = z.infer<typeof feedbackPairSchema>;
export type VoteLabel = Omit<FeedbackPair, 'passage'>;

export interface LabelSummary {
  labels: VoteLabel[];
  votes: number;
  /** Votes on refusals: no passage to label. */
  onRefusals: number;
  /** (question, passage) pairs with as many 👍 as 👎. */
  ties: number;
}

const questionKey = (question: string, filters: FeedbackPair['filters']): string =>
  JSON.stringify([question.trim().replace(/\s+/g, ' ').toLowerCase(), filters.after ?? '', filters.before ?? '', filters.outlet ?? '']);

/** Applies the rules above to the votes, in a deterministic order. */
export function labelVotes(votes: readonly VoteRecord[]): LabelSummary {
  const pairs = new Map<string, VoteLabel>();
  let onRefusals = 0;
  const count = (v: VoteRecord, r: VoteRecord['results'][number], field: 'up' | 'down'): void => {
    const key = `${questionKey(v.question, v.filters)}\u0000${r.articleId}\u0000${r.chunkId}`;
    const pair = pairs.get(key) ?? { question: v.question.trim(), filters: v.filters, articleId: r.articleId, chunkId: r.chunkId, relevant: 0, up: 0, down: 0 };
    pair[field]++;
    pairs.set(key, pair);
  };
  for (const v of votes) {
    if (v.results.length === 0) {
      onRefusals++;
      continue;
    }
    if (v.vote === 'up') count(v, v.results[0]!, 'up');
    else for (const r of v.results) count(v, r, 'down');
  }
  let ties = 0;
  const labels: VoteLabel[] = [];
  for (const p of pairs.values()) {
    if (p.up === p.down) {
      ties++;
      continue;
    }
    labels.push({ ...p, relevant: p.up > p.down ? 1 : 0 });
  }
  labels.sort((a, b) => a.question.localeCompare(b.question) || a.articleId.localeCompare(b.articleId) || a.chunkId - b.chunkId);
  return { labels, votes: votes.length, onRefusals, ties };
}

/** Reads an export; a bad line is an error naming the file and line. */
export async function readFeedbackPairs(file: string): Promise<FeedbackPair[]> {
  const out: FeedbackPair[] = [];
  const lines = (await readFile(file, 'utf8')).split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(feedbackPairSchema.parse(JSON.parse(line)));
    } catch (err) {
      const why = err instanceof z.ZodError ? `${err.issues[0]?.path.join('.')}: ${err.issues[0]?.message}` : (err as Error).message;
      throw new Error(`${file}:${i + 1} is not a feedback pair (${why}): write it with npm run export-feedback.`);
    }
  });
  return out;
}

/** The pairs of each question (same text and filters), in a stable order. */
export function byQuestion(pairs: readonly FeedbackPair[]): FeedbackPair[][] {
  const groups = new Map<string, FeedbackPair[]>();
  for (const p of pairs) {
    const key = questionKey(p.question, p.filters);
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()];
}

const sameText = (a: string, b: string): boolean => a.replace(/\s+/g, ' ').trim() === b.replace(/\s+/g, ' ').trim();

/**
 * One question's candidate pool labelled from its votes, for the pairwise ranker (which learns that
 * label-1 candidates should outrank label-0 ones). With a 👍'd passage: it is 1 and every other
 * candidate 0, as with the question sets, where only the passages holding the answer count.
 * With only 👎'd passages: the unjudged candidates are 1 and the 👎'd ones 0, so the ranker learns
 * to put those below the rest. Candidates are matched by article and passage text (chunk ids change
 * between indexes). Undefined when no voted passage is in the pool.
 */
export function feedbackGroup(pool: CandidatePool | undefined, pairs: readonly FeedbackPair[]): Group | undefined {
  if (!pool) return undefined;
  const judged = pool.candidates.map((c) => pairs.find((p) => p.articleId === c.articleId && sameText(p.passage, c.text))?.relevant);
  if (judged.every((j) => j === undefined)) return undefined;
  const hasPositive = judged.some((j) => j === 1);
  const labels = judged.map((j) => (hasPositive ? (j === 1 ? 1 : 0) : j === 0 ? 0 : 1));
  return { xs: pool.candidates.map((c) => c.features.values), labels };
}
