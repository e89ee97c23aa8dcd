import type { KeywordQueryTerm, SearchBackend } from '../../storage/backend.js';
import { SMALL_CORPUS, type RankingParams } from '../ranking.js';
import type { Retriever, Walk } from '../walk.js';

/** How much deeper than `keywordCandidates` the first pass looks before choosing its candidates. */
const POOL_DEPTH = 3;

/**
 * BM25 over title and text, in two passes. Question words found in a large share of passages
 * ("Ukraine" in a war corpus) have long posting lists that cost the most yet barely move scores,
 * so the first pass picks candidates with the rarer words only, and the second adds the common
 * words' scores for those candidates. A passage's score is then its summed BM25 × the number of
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
    const { commonTermShare, minQueryTerms, keywordCandidates } = this.ranking;
    const stats = this.backend.terms;
    const terms = [...plan.boosts].map(([term, boost]) => ({ term, boost, df: stats.df(term) }));
    // Terms absent from the corpus cannot find anything: leave them out.
    const byRarity = terms.filter((t) => t.df > 0).sort((a, b) => a.df - b.df || (a.term < b.term ? -1 : 1));
    if (byRarity.length === 0) return [];
    const limit = stats.docs * commonTermShare;
    // Small corpora are fast to search whole; the first pass always has a few words to go on.
    const rare = stats.docs < SMALL_CORPUS ? byRarity.length : byRarity.filter((t) => t.df <= limit).length;
    const split = Math.max(Math.min(minQueryTerms, byRarity.length), rare);
    const first: KeywordQueryTerm[] = byRarity.slice(0, split).map(({ term, boost }) => ({ term, boost }));
    const parts = new Map<number, { raw: number; terms: Set<string> }>();
    // Candidates are chosen as MiniSearch's OR query did: summed BM25 × the number of words matched,
    // which favours passages with more of the rare words (taken from a deeper BM25 list).
    const pool = await this.backend.keywordCandidates(first, keywordCandidates * POOL_DEPTH, filter);
    const chosen = pool
      .map((hit) => ({ hit, rank: hit.score * hit.matched.length }))
      .sort((a, b) => b.rank - a.rank || a.hit.id - b.hit.id)
      .slice(0, keywordCandidates);
    for (const { hit } of chosen) {
      parts.set(hit.id, { raw: hit.score, terms: new Set(hit.matched.map((i) => first[i]!.term)) });
    }
    const common: KeywordQueryTerm[] = byRarity.slice(split).map(({ term, boost }) => ({ term, boost }));
    if (common.length && parts.size) {
      for (const hit of await this.backend.keywordCandidates(common, parts.size, undefined, new Set(parts.keys()))) {
        const p = parts.get(hit.id)!;
        p.raw += hit.score;
        for (const i of hit.matched) p.terms.add(common[i]!.term);
      }
    }
    return [...parts]
      .map(([id, p]) => {
        const concepts = new Set<number>();
        for (const t of p.terms) for (const c of plan.conceptOf.get(t) ?? []) concepts.add(c);
        return { id, score: p.raw * concepts.size };
      })
      .sort((a, b) => b.score - a.score || a.id - b.id);
  }
}
