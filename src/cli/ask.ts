import { createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from 'commander';
import { commandLine, usageName } from '../command-line.js';
import { ConfigError, loadCoreConfig } from '../config.js';
import { loadDotenv } from '../env.js';
import { BuildError } from '../indexer/build.js';
import { IndexError, MissingIndexError } from '../storage/errors.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import { openOrBuild } from '../open.js';
import { Searcher } from '../search/searcher.js';
import { partialReason, refusalReason } from '../search/postprocess/abstain.js';
import type { Answer, SearchOptions } from '../types.js';
import { cliProgram, EXIT_FAILURE, EXIT_USAGE, isoDateOption, UsageError } from './common.js';
import { formatBuildReport, progressReporter } from './progress.js';

loadDotenv();

const positiveInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new InvalidArgumentError('Expected a whole number from 1 to 50.');
  return n;
};

const program = cliProgram(usageName('ask'), 'Answer a question from the indexed corpus with quoted, attributed passages.')
  .argument('[question...]', 'the question')
  .option('--k <n>', 'number of results', positiveInt, 5)
  .option('--index <dir>', 'index folder (default: INDEX_DIR, else embeddings/); only the default one is built on first use')
  .option('--batch <file>', 'answer every {"id","question"} line of a JSONL file')
  .option('--json', 'print JSON (one object per question) instead of text')
  .option('--after <date>', 'only articles published on or after this date (YYYY-MM-DD)', isoDateOption)
  .option('--before <date>', 'only articles published on or before this date (YYYY-MM-DD)', isoDateOption)
  .option('--outlet <name>', 'only articles from outlets whose name contains this')
  .option('--show-anyway', 'show the closest passages even when no source answers confidently')
  .option(
    '--follow-up <question>',
    'an earlier question this one follows up on; its key terms are added at a lower weight unless the topic changed (repeat for a chain, oldest first)',
    (value: string, list: string[]) => [...list, value],
    [] as string[],
  )
  .addHelpText('after', '\nExit codes: 0 answered (or abstained), 1 failed (index, config), 2 bad usage (options, --index without an index).');

program.parse();
const opts = program.opts<{ k: number; index?: string; batch?: string; json?: boolean; after?: string; before?: string; outlet?: string; showAnyway?: boolean; followUp: string[] }>();
const question = program.args.join(' ').trim();

/** The public JSON shape of an answer (the CLI contract). */
function toJson(id: string | undefined, answer: Answer): Record<string, unknown> {
  const reason = answer.abstained ? refusalReason(answer.confidence) : undefined;
  return {
    ...(id !== undefined ? { id } : {}),
    question: answer.question,
    abstained: answer.abstained,
    // The calibrated probability that the top result holds the answer (0 when nothing matched).
    confidence: answer.confidence?.probability ?? 0,
    ...(answer.lowConfidence ? { lowConfidence: true } : {}),
    // Why a rule refused it (a year after the index's newest article, an advice question), when one did.
    ...(reason ? { reason } : {}),
    ...(answer.followUp ? { followUp: answer.followUp } : {}),
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
    // Time spent answering this question (the model and index are loaded once, before the first).
    ms: Math.round(answer.tookMs * 10) / 10,
  };
}

/** Which earlier questions a follow-up used, or that it changed topic: what the bot shows too. */
function followUpLine(answer: Answer): string {
  const f = answer.followUp;
  if (!f) return '';
  if (f.topicChange) return 'New topic: the earlier questions were not used.\n';
  if (f.used.length === 0) return 'Answered as a question of its own: the earlier questions were not needed.\n';
  // The added terms are stems (see --json): people read the questions they came from.
  return `Following up on: ${f.used.map((q) => `"${q}"`).join(', ')}\n`;
}

function formatText(answer: Answer): string {
  if (answer.abstained) {
    const why = refusalReason(answer.confidence);
    return `${followUpLine(answer)}No source in the corpus answers this.${why ? `\n${why}` : ''}`;
  }
  const header = `${followUpLine(answer)}${confidenceWords(answer)}\n\n`;
  return header + answer.results
    .map((r) => {
      const meta = [r.outlet, r.date, r.url ?? r.source].filter(Boolean).join(' · ');
      const quote = r.quoteSentences.map((s, i) => `${i > 0 && s.gap ? '… ' : ''}${s.best && r.quoteSentences.length > 1 ? `*${s.text}*` : s.text}`).join(' ');
      return `${r.rank}. ${r.title}\n   ${meta}\n   > ${quote}`;
    })
    .join('\n\n');
}

/** How sure the answer is, in words: what the bot shows too. */
function confidenceWords(answer: Answer): string {
  const p = answer.confidence ? ` (confidence ${answer.confidence.probability.toFixed(2)})` : '';
  if (answer.lowConfidence) return `Low confidence: the closest passages, which may not answer the question${p}.`;
  if (answer.confidence?.strong) return `Strong match${p}.`;
  const why = partialReason(answer.confidence);
  return `Partial match${p}${why ? `: ${why}` : ''}.`;
}

/** Answers each question of the batch file as a JSON line; returns how many were answered. */
async function runBatch(searcher: Searcher, file: string, search: SearchOptions): Promise<number> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  let answered = 0;
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
    answered++;
  }
  return answered;
}

function describeFilters(): string {
  const parts: string[] = [];
  if (opts.after || opts.before) {
    const range = opts.after && opts.before ? `from ${opts.after} to ${opts.before}` : opts.after ? `from ${opts.after} on` : `up to ${opts.before}`;
    parts.push(`articles dated ${range} (undated ones are left out)`);
  }
  if (opts.outlet) parts.push(`outlets matching "${opts.outlet}"`);
  return parts.join(', from ');
}

/** What opening the index found worth saying (e.g. a recovered `current` pointer), on stderr. */
const onNotice = (message: string): void => {
  process.stderr.write(`Note: ${message}\n`);
};

/** Opens the index: an explicitly named folder must hold one; only the configured default is built on first use. */
async function open(config: ReturnType<typeof loadCoreConfig>): Promise<{ searcher: Searcher; built: boolean }> {
  const progress = progressReporter();
  const explicitModel = process.env.EMBEDDING_MODEL?.trim() || undefined; // blank is unset, as the config reads it
  if (opts.index !== undefined && path.resolve(opts.index) !== path.resolve(config.INDEX_DIR)) {
    try {
      return { searcher: await Searcher.open(opts.index, { ...config, EMBEDDING_MODEL: explicitModel }, { onNotice }), built: false };
    } catch (err) {
      if (!(err instanceof MissingIndexError)) throw err;
      throw new UsageError(`No index in ${opts.index}. Build one with: ${commandLine('index', `--out ${opts.index} [--corpus PATH ...]`)}`);
    }
  }
  let built = false;
  const searcher = await openOrBuild(config, config.INDEX_DIR, {
    explicitModel,
    onNotice,
    onProgress: progress.onProgress,
    onBuilt: (report) => {
      built = true;
      progress.stop();
      process.stderr.write(`${formatBuildReport(report)}\n\n`);
    },
  });
  return { searcher, built };
}

try {
  if (!question && !opts.batch) {
    program.help({ error: true });
  }
  if (opts.batch && opts.followUp.length) throw new UsageError('--follow-up applies to one question, not to --batch.');
  if (opts.followUp.some((q) => !q.trim())) throw new UsageError('--follow-up needs the earlier question, e.g. --follow-up "What did Saldo urge Kherson residents to do?"');
  if (opts.after && opts.before && opts.after > opts.before) {
    throw new UsageError(`--after ${opts.after} is later than --before ${opts.before}: no article can match both.`);
  }
  if (opts.batch) {
    await access(opts.batch).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot read --batch ${opts.batch}: ${err.code ?? err.message}`);
    });
    if ((await stat(opts.batch)).isDirectory()) throw new UsageError(`--batch ${opts.batch} is a folder: pass a JSONL file with one {"id", "question"} object per line.`);
  }
  const config = loadCoreConfig();
  const { searcher, built } = await open(config);
  const status = searcher.status();
  // After a fresh build its report has already said why there is no model.
  if (!built && status.mode === 'lexical' && status.modelError) process.stderr.write(`Note: keyword search only. ${status.modelError}\n`);
  const search: SearchOptions = { k: opts.k, after: opts.after, before: opts.before, outlet: opts.outlet, evenIfUnsure: opts.showAnyway };
  if (opts.batch) {
    const answered = await runBatch(searcher, opts.batch, search);
    if (answered === 0) {
      await searcher.close();
      throw new UsageError(`${opts.batch} holds no questions: each line must be a JSON object with a "question" string, e.g. {"id": "q1", "question": "Who won?"}.`);
    }
  } else {
    // The core takes the earlier questions newest first; on the command line they come in the order asked.
    const context = opts.followUp.map((q) => q.trim()).reverse();
    const answer = await searcher.ask(question, context.length ? { ...search, context } : search);
    process.stdout.write(opts.json ? `${JSON.stringify(toJson(undefined, answer))}\n` : `${formatText(answer)}\n`);
    // An abstention under filters may only mean the filters left nothing relevant: say what was searched.
    if (answer.abstained && !opts.json && (opts.after || opts.before || opts.outlet)) process.stderr.write(`Note: searched only ${describeFilters()}.\n`);
  }
  // Frees the model and database handles (a PostgreSQL pool would otherwise keep the process alive).
  await searcher.close();
} catch (err) {
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\n`);
    process.exitCode = EXIT_USAGE;
  } else {
    const known = err instanceof ConfigError || err instanceof IndexError || err instanceof BuildError || err instanceof DatabaseUnavailableError;
    process.stderr.write(`${known ? (err as Error).message : `Failed: ${(err as Error).stack ?? String(err)}`}\n`);
    process.exitCode = EXIT_FAILURE;
  }
}
