import type { KeywordQueryTerm, SearchBackend } from '../../storage/backend.js';
import type { RankingParams } from '../ranking.js';
import type { Retriever, Walk } from '../walk.js';

/**
 * BM25F over title and text in one pass over every question term (and its alternatives, each
 * with its boost): the keyword index's MaxScore pruning skips most postings of common words,
 * which no longer need a pass of their own. A passage's score is its summed BM25 × the number of
 * question concepts it matches, so a synonym and the word it stands for count once.
 */
export class KeywordRetriever implements Retriever {
  readonly name = 'keyword';

  constructor(
    private readonly backend: SearchBackend,
    private readonly ranking: RankingParams,
  ) {}

  available(): boolean {
    return true;
  }

  async retrieve(walk: Walk, limit: number): Promise<Array<{ id: number; score: number }>> {
    const hits = (await this.search(walk)).slice(0, limit);
    walk.lap('bm25');
    return hits;
  }

  private async search(walk: Walk): Promise<Array<{ id: number; score: number }>> {
    const { plan, filter } = walk;
    const stats = this.backend.terms;
    // Terms absent from the corpus cannot find anything: leave them out.
    const wanted = ([term]: [string, number]): boolean => stats.df(term) > 0 && (this.ranking.wordnetRetrieval > 0 || !plan.wordnetOnly.has(term));
    const query: KeywordQueryTerm[] = [...plan.boosts].filter(wanted).map(([term, boost]) => ({ term, boost }));
    if (query.length === 0) return [];
    return (await this.backend.keywordCandidates(query, this.ranking.keywordCandidates, filter))
      .map((hit) => {
        const concepts = new Set<number>();
        for (const i of hit.matched) for (const c of plan.conceptOf.get(query[i]!.term) ?? []) concepts.add(c);
        return { id: hit.id, score: hit.score * concepts.size };
      })
      .sort((a, b) => b.score - a.score || a.id - b.id);
  }
}
