import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { openSearcher } from '../src/open.js';
import { refusalReason, refusedByRule } from '../src/search/postprocess/abstain.js';
import { loadRanker } from '../src/search/ranker/model.js';
import { DEFAULT_RANKING } from '../src/search/searcher.js';

/**
 * `npx tsx eval/refusals.ts --index DIR FILE.jsonl...`: how often the search refuses, per question
 * file and per category — the unanswerable set's categories ({"category", "answerable": false,
 * "contradictedBy"?}: a false premise answered from an article that contradicts it counts as good)
 * and the answerable questions of any other set (false refusals). Refusal = the search's own
 * decision (the model's threshold and the rules). `--weeks a-b` keeps RealtimeQA questions of
 * those weeks (1-based, in date order; ids start with the week's date).
 */
loadDotenv();

const program = new Command()
  .requiredOption('--index <dir>', 'index folder (e.g. the eval cache of news-2022 + seeds)')
  .option('--weeks <range>', 'RealtimeQA weeks to keep, e.g. 50-66 (1-based, in date order)')
  .option('--json <file>', 'also write every question’s outcome')
  .argument('<files...>')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ index: string; weeks?: string; json?: string }>();

interface Question {
  id: string;
  question: string;
  category?: string;
  answerable?: boolean;
  unanswerable?: boolean;
  contradictedBy?: string[];
}

async function main(): Promise<void> {
  const ranker = loadRanker();
  const searcher = await openSearcher(loadCoreConfig(), opts.index, { model: 'never', ranker }, { ...DEFAULT_RANKING, minConfidence: 0 });
  const outcomes = [];
  for (const file of program.args) {
    let questions = (await readFile(file, 'utf8')).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Question);
    if (opts.weeks) {
      const [from, to] = opts.weeks.split('-').map(Number) as [number, number];
      const weeks = [...new Set(questions.map((q) => q.id.slice(0, 8)))].sort();
      const kept = new Set(weeks.slice(from - 1, to));
      questions = questions.filter((q) => kept.has(q.id.slice(0, 8)));
    }
    for (const q of questions) {
      const a = await searcher.ask(q.question, { k: 5, evenIfUnsure: true });
      const c = a.confidence;
      const refused = !c || refusedByRule(c) || c.probability < ranker.threshold;
      const unanswerable = q.answerable === false || q.unanswerable === true;
      const contradicted = !refused && (q.contradictedBy ?? []).includes(a.results[0]?.articleId ?? '');
      const group = `${path.basename(path.dirname(file))}/${path.basename(file, '.jsonl')} ${q.category ?? (unanswerable ? 'unanswerable' : 'answerable')}`;
      outcomes.push({ group, id: q.id, question: q.question, unanswerable, refused, contradicted, probability: c?.probability, reason: refused ? refusalReason(c) : undefined });
    }
  }
  await searcher.close();
  const groups = new Map<string, typeof outcomes>();
  for (const o of outcomes) groups.set(o.group, [...(groups.get(o.group) ?? []), o]);
  process.stdout.write(`Index ${opts.index}; confidence threshold ${ranker.threshold}\n`);
  for (const [group, list] of groups) {
    const refused = list.filter((o) => o.refused).length;
    const good = list.filter((o) => o.refused || o.contradicted).length;
    const byRule = list.filter((o) => o.refused && o.reason).length;
    const what = list[0]!.unanswerable ? `refused ${(refused / list.length).toFixed(3)}${good > refused ? `  refused or contradicted ${(good / list.length).toFixed(3)}` : ''}` : `false refusals ${(refused / list.length).toFixed(3)}`;
    process.stdout.write(`${group.padEnd(44)} n ${String(list.length).padStart(4)}  ${what}  (with a reason: ${byRule})\n`);
  }
  if (opts.json) await writeFile(opts.json, JSON.stringify(outcomes, null, 1));
}

main().catch((err: unknown) => {
  process.stderr.write(`refusals failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
