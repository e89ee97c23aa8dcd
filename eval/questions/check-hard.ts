/**
 * Checks a hard question set against the news corpus and measures how far its questions are from
 * the article's words.
 *
 *   npx tsx eval/questions/check-hard.ts FILE.jsonl... [--corpus ../shared/corpus/news-2022.jsonl] [-v]
 *
 * Hard checks (exit 1): shape, unique ids, every answer verbatim (case-insensitive) in a listed
 * article, unanswerable items with no answers / articleIds. Reports, per answerable question, the
 * share of its content words (stemmed, stop words removed — the index's own analysis) found in the
 * answer sentence, and the distribution; the issue asks that at least half the questions be under 0.5.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { splitSentences } from '../../src/text/sentences.js';
import { analyze } from '../../src/text/analyze.js';

interface HardQuestion {
  id: string;
  question: string;
  answers: string[];
  articleIds: string[];
  kind: string;
  unanswerable: boolean;
  nearArticleIds?: string[];
}

const args = process.argv.slice(2);
const verbose = args.includes('-v');
const corpusAt = args.indexOf('--corpus');
const corpusPath = corpusAt >= 0 ? args[corpusAt + 1]! : '../shared/corpus/news-2022.jsonl';
const files = args.filter((a, i) => !a.startsWith('-') && (corpusAt < 0 || i !== corpusAt + 1));

const norm = (s: string): string => s.normalize('NFKC').replace(/[‘’ʼ]/g, "'").replace(/[“”]/g, '"').replace(/\s+/g, ' ').toLowerCase();

async function loadCorpus(): Promise<Map<string, { title: string; text: string }>> {
  const out = new Map<string, { title: string; text: string }>();
  const rl = createInterface({ input: createReadStream(corpusPath) });
  for await (const line of rl) {
    if (!line.trim()) continue;
    const a = JSON.parse(line) as { id: string; title: string; text: string };
    out.set(a.id, { title: a.title, text: a.text });
  }
  return out;
}

/** Share of the question's content terms present in the sentence holding the answer (best over listed articles). */
export function overlap(question: string, answers: string[], texts: string[]): number | undefined {
  const q = new Set(analyze(question));
  if (q.size === 0) return undefined;
  let best: number | undefined;
  for (const text of texts) {
    for (const s of splitSentences(text)) {
      if (!answers.some((a) => norm(s.text).includes(norm(a)))) continue;
      const terms = new Set(analyze(s.text));
      const share = [...q].filter((t) => terms.has(t)).length / q.size;
      best = best === undefined ? share : Math.max(best, share);
    }
  }
  return best;
}

async function main(): Promise<void> {
  const corpus = await loadCorpus();
  const errors: string[] = [];
  const ids = new Set<string>();
  const shares: number[] = [];
  let answerable = 0;
  let unanswerable = 0;
  const kinds = new Map<string, number>();
  for (const file of files) {
    const lines = (await readFile(file, 'utf8')).split('\n');
    lines.forEach((line, n) => {
      if (!line.trim()) return;
      const where = `${file}:${n + 1}`;
      let q: HardQuestion;
      try {
        q = JSON.parse(line) as HardQuestion;
      } catch {
        errors.push(`${where}: not JSON`);
        return;
      }
      if (!q.id || typeof q.question !== 'string' || !Array.isArray(q.answers) || !Array.isArray(q.articleIds) || typeof q.kind !== 'string') {
        errors.push(`${where}: needs id, question, answers[], articleIds[], kind`);
        return;
      }
      if (ids.has(q.id)) errors.push(`${where}: duplicate id ${q.id}`);
      ids.add(q.id);
      kinds.set(q.kind, (kinds.get(q.kind) ?? 0) + 1);
      if (q.unanswerable) {
        unanswerable++;
        if (q.answers.length || q.articleIds.length) errors.push(`${where}: unanswerable question with answers or articleIds`);
        for (const id of q.nearArticleIds ?? []) if (!corpus.has(id)) errors.push(`${where}: unknown nearArticleId ${id}`);
        return;
      }
      answerable++;
      if (q.answers.length === 0 || q.articleIds.length === 0) {
        errors.push(`${where}: answerable question needs answers and articleIds`);
        return;
      }
      const texts: string[] = [];
      for (const id of q.articleIds) {
        const a = corpus.get(id);
        if (!a) errors.push(`${where}: unknown article ${id}`);
        else texts.push(a.text);
      }
      for (const ans of q.answers) {
        if (!texts.some((t) => norm(t).includes(norm(ans)))) errors.push(`${where}: answer "${ans}" is not in the text of its articles`);
      }
      const share = overlap(q.question, q.answers, texts);
      if (share === undefined) {
        if (verbose) console.log(`${where}: no sentence holds the answer (spans sentences?)`);
      } else {
        shares.push(share);
        if (verbose) console.log(`${share.toFixed(2)}  ${q.id}  ${q.question}`);
      }
    });
  }
  const below = shares.filter((s) => s < 0.5).length;
  const bins = [0, 0.25, 0.5, 0.75, 1.01];
  const hist = bins.slice(0, -1).map((lo, i) => `[${lo.toFixed(2)}, ${Math.min(1, bins[i + 1]!).toFixed(2)}${i === bins.length - 2 ? ']' : ')'}: ${shares.filter((s) => s >= lo && s < bins[i + 1]!).length}`);
  console.log(`answerable ${answerable}, unanswerable ${unanswerable}; kinds: ${[...kinds].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`content-word overlap with the answer sentence (${shares.length} measured): ${hist.join('  ')}`);
  console.log(`questions under 0.5 overlap: ${below} of ${shares.length} (${((100 * below) / Math.max(1, shares.length)).toFixed(1)}%; target ≥ 50%)`);
  for (const e of errors) console.error(e);
  if (errors.length) {
    console.error(`${errors.length} problems`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error((err as Error).message);
  process.exitCode = 1;
});
