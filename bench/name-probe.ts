/**
 * Would a name the question writes in lowercase ("why did elon musk buy facebook") tell a false
 * premise from a question the top passage answers? For each train or dev question: the concepts its
 * top passage (with title) lacks, and how often the candidate pool writes each such word capitalised
 * mid-sentence. BENCHMARKS.md, session 16: it does not (answerable questions lack such names as often).
 * Needs the eval's cached news-2022 index (`npm run eval -- --lexical-only` builds it).
 *   npx tsx bench/name-probe.ts train > OUT.jsonl
 */
import { loadCoreConfig } from '../src/config.js';
import { Searcher } from '../src/search/searcher.js';
import { analyze, processTerm, tokenize } from '../src/text/analyze.js';
import { ensureIndex, readQuestions } from '../eval/evaluate.js';
import { containsAnswer } from '../eval/metrics.js';

const split = process.argv[2] ?? 'train';
if (!['train', 'dev'].includes(split)) throw new Error('usage: npx tsx bench/name-probe.ts train|dev (never a test split)');
const config = loadCoreConfig({});
const dir = await ensureIndex({ corpus: ['../shared/corpus/news-2022.jsonl', 'corpus'], lexicalOnly: true, config }, console.error);
const s = await Searcher.open(dir, config, { model: 'never' });
const qs = [...(await readQuestions(`eval/questions/hard/${split}.jsonl`)), ...(await readQuestions(`eval/questions/unanswerable/${split}.jsonl`))];
for (const q of qs) {
  const pool = await s.pool(q.question);
  if (!pool || pool.candidates.length === 0) continue;
  const top = pool.candidates[0]!;
  const terms = new Set(analyze(`${top.title}\n${top.text}`));
  const total = pool.info.plan.concepts.reduce((a, c) => a + c.weight, 0) || 1;
  const missing = pool.info.plan.concepts.filter((c) => !terms.has(c.term) && !c.alternatives.some((a) => terms.has(a.term)));
  const out = missing.map((c) => {
    let caps = 0;
    let n = 0;
    for (const cand of pool.candidates) {
      for (const m of `${cand.title}. ${cand.text}`.matchAll(/\p{L}[\p{L}'’-]*/gu)) {
        const t = tokenize(m[0])[0];
        if (!t || processTerm(t) !== c.term) continue;
        const before = `${cand.title}. ${cand.text}`.slice(Math.max(0, m.index! - 3), m.index!).trim();
        if (before === '' || /[.!?"“‘(—:]$/.test(before)) continue;
        n++;
        if (/^\p{Lu}/u.test(m[0])) caps++;
      }
    }
    return { term: c.term, share: +(c.weight / total).toFixed(3), df: c.df, n, caps: n ? +(caps / n).toFixed(2) : null };
  });
  console.log(JSON.stringify({ id: q.id, q: q.question, un: !!q.unanswerable, cat: (q as { category?: string }).category, hit1: !q.unanswerable && containsAnswer(top.text, q.answers), missing: out }));
}
await s.close();
