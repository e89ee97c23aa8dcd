import { passageFeatures, type CandidateEvidence } from '../ranker/features.js';
import { questionInfo } from '../ranker/question.js';
import type { Ranker } from '../ranker/model.js';
import type { PostProcessor, Walk } from '../walk.js';
import { cosine } from './abstain.js';

/**
 * Re-orders the best `depth` fused candidates by the learned ranker (features of the passage, its
 * title and date, and what the retrievers said about it); the rest keep their fused order after
 * them. Also scores each sentence of those passages for the quote.
 */
export function rerankStep(ranker: Ranker, vectorOf: (id: number) => Promise<Float32Array | undefined>): PostProcessor {
  return {
    name: 'rerank',
    async run(walk: Walk): Promise<void> {
      const head = walk.ranked.slice(0, ranker.depth);
      walk.info ??= questionInfo(walk.plan);
      // A passage only the keyword side found still needs its similarity.
      const query = walk.queryVector;
      if (query) {
        await Promise.all(
          head
            .filter((c) => c.similarity === undefined)
            .map(async (c) => {
              const v = await vectorOf(c.chunkId);
              if (v) c.similarity = cosine(v, query);
            }),
        );
      }
      const evidence: CandidateEvidence[] = head.map((c, fusedRank) => {
        const kw = walk.keyword?.get(c.chunkId);
        c.keywordScore = kw?.score ?? 0;
        const a = c.passage.article;
        return { text: c.text, title: a.title, date: a.date, position: c.passage.position, articleId: a.id, keywordScore: c.keywordScore, keywordRank: kw?.rank, similarity: c.similarity, fusedRank };
      });
      const features = passageFeatures(walk.info, evidence);
      head.forEach((c, i) => {
        const f = features[i]!;
        c.features = f;
        c.rankScore = ranker.passage.score(f.values);
        c.sentenceScores = f.sentences.map((s) => ranker.sentence.probability(s.features));
      });
      // Stable: equal scores keep the fused order.
      const order = head.map((c, i) => ({ c, i })).sort((x, y) => y.c.rankScore! - x.c.rankScore! || x.i - y.i);
      walk.ranked = [...order.map((o) => o.c), ...walk.ranked.slice(ranker.depth)];
      walk.reranked = walk.ranked;
      walk.lap('rerank');
    },
  };
}
