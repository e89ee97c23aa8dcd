import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, loadCoreConfig } from '../config.js';
import { loadDotenv } from '../env.js';
import { BuildError } from '../indexer/build.js';
import { IndexError } from '../storage/errors.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import { openOrBuild } from '../open.js';
import type { Searcher } from '../search/searcher.js';
import type { Answer, SearchOptions } from '../types.js';
import { formatBuildReport, progressReporter } from './progress.js';

loadDotenv();

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new InvalidArgumentError('expected a whole number from 1 to 50');
  return n;
};
const isoDate = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('expected a date as YYYY-MM-DD');
  return value;
};

const program = new Command()
  .name('npm run ask --')
  .description('Answer a question from the indexed corpus with quoted, attributed passages.')
  .argument('[question...]', 'the question')
  .option('--k <n>', 'number of results', positiveInt, 5)
  .option('--index <dir>', 'index folder (default: INDEX_DIR, else embeddings/)')
  .option('--batch <file>', 'answer every {"id","question"} line of a JSONL file')
  .option('--json', 'print JSON (one object per question) instead of text')
  .option('--after <date>', 'only articles published on or after this date', isoDate)
  .option('--before <date>', 'only articles published on or before this date', isoDate)
  .option('--outlet <name>', 'only articles from outlets whose name contains this')
  .showHelpAfterError();

program.parse();
const opts = program.opts<{ k: number; index?: string; batch?: string; json?: boolean; after?: string; before?: string; outlet?: string }>();
const question = program.args.join(' ').trim();

/** The public JSON shape of an answer (the CLI contract). */
function toJson(id: string | undefined, answer: Answer): Record<string, unknown> {
  return {
    ...(id !== undefined ? { id } : {}),
    question: answer.question,
    abstained: answer.abstained,
    results: answer.results.map(({ rank, score, title, outlet, date, url, source, quote, passage }) => ({
      rank,
      score,
      title,
      outlet: outlet ?? null,
      date: date ?? null,
      url: url ?? null,
      source,
      quote,
      passage,
    })),
  };
}

function formatText(answer: Answer): string {
  if (answer.abstained) return 'No source in the corpus answers this.';
  return answer.results
    .map((r) => {
      const meta = [r.outlet, r.date, r.url ?? r.source].filter(Boolean).join(' · ');
      const quote = r.quoteSentences.map((s) => (s.best && r.quoteSentences.length > 1 ? `*${s.text}*` : s.text)).join(' ');
      return `${r.rank}. ${r.title}\n   ${meta}\n   > ${quote}`;
    })
    .join('\n\n');
}

async function runBatch(searcher: Searcher, file: string, search: SearchOptions): Promise<void> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    let item: { id?: unknown; question?: unknown };
    try {
      item = JSON.parse(line) as { id?: unknown; question?: unknown };
    } catch {
      process.stderr.write(`${file}:${n}: not valid JSON, skipped\n`);
      continue;
    }
    if (typeof item.question !== 'string' || !item.question.trim()) {
      process.stderr.write(`${file}:${n}: no "question" string, skipped\n`);
      continue;
    }
    const id = item.id === undefined ? String(n) : String(item.id);
    const answer = await searcher.ask(item.question, search);
    process.stdout.write(`${JSON.stringify(toJson(id, answer))}\n`);
  }
}

try {
  if (!question && !opts.batch) {
    program.help({ error: true });
  }
  const config = loadCoreConfig();
  const progress = progressReporter();
  let built = false;
  const searcher = await openOrBuild(config, opts.index ?? config.INDEX_DIR, {
    explicitModel: process.env.EMBEDDING_MODEL || undefined,
    onProgress: progress.onProgress,
    onBuilt: (report) => {
      built = true;
      progress.stop();
      process.stderr.write(`${formatBuildReport(report)}\n\n`);
    },
  });
  const status = searcher.status();
  // After a fresh build its report has already said why there is no model.
  if (!built && status.mode === 'lexical' && status.modelError) process.stderr.write(`Note: keyword search only. ${status.modelError}\n`);
  const search: SearchOptions = { k: opts.k, after: opts.after, before: opts.before, outlet: opts.outlet };
  if (opts.batch) {
    await runBatch(searcher, opts.batch, search);
  } else {
    const answer = await searcher.ask(question, search);
    process.stdout.write(opts.json ? `${JSON.stringify(toJson(undefined, answer))}\n` : `${formatText(answer)}\n`);
  }
  // Frees the model and database handles (a PostgreSQL pool would otherwise keep the process alive).
  await searcher.close();
} catch (err) {
  const known = err instanceof ConfigError || err instanceof IndexError || err instanceof BuildError || err instanceof DatabaseUnavailableError;
  process.stderr.write(`${known ? (err as Error).message : `Failed: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exitCode = 1;
}
