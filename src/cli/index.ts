import { usageName } from '../command-line.js';
import { ConfigError, corpusPaths, loadCoreConfig, storeTarget } from '../config.js';
import { loadDotenv } from '../env.js';
import { corpusInputs, RemovalsError } from '../ingest/kept-sources.js';
import { BuildError } from '../indexer/build.js';
import { runIndex } from '../indexer/run.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import { IndexError } from '../storage/errors.js';
import { cliProgram, EXIT_FAILURE } from './common.js';
import { formatBuildReport, progressReporter } from './progress.js';

loadDotenv();

const program = cliProgram(usageName('index'), 'Index a corpus (keyword + vector): updates the live index in place, touching only new, changed and removed articles.')
  .option('--corpus <path...>', 'corpus files or folders (default: CORPUS_PATHS, else corpus/)')
  .option('--out <dir>', 'index folder (default: INDEX_DIR, else embeddings/; ignored with SEARCH_BACKEND=postgres)')
  .option('--rebuild', 'build a fresh index and swap it in when complete (also converts an old-format or damaged index)')
  .option('--lexical-only', 'skip the embedding model and build the keyword index only')
  .option('--no-kept-sources', 'leave out what was added and removed from Discord (DATA_DIR/sources, DATA_DIR/removed-articles.json)')
  .option('--json', 'print the build report as JSON on stdout')
  .addHelpText(
    'after',
    '\nDates are read as DATE_ORDER says (mdy or dmy) when ambiguous; articles over MAX_ARTICLE_CHARS are truncated.\n' +
      'Exit codes: 0 built, 1 failed (the previous index stays), 2 bad usage.',
  );

program.parse();
const opts = program.opts<{ corpus?: string[]; out?: string; rebuild?: boolean; lexicalOnly?: boolean; keptSources: boolean; json?: boolean }>();

// SIGTERM / Ctrl-C stop the build itself: it cleans its staging files and lock, and the previous index stays live.
const controller = new AbortController();
let signalled: NodeJS.Signals | undefined;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = signal;
    process.stderr.write(`\nStopping the build (${signal})…\n`);
    controller.abort();
  });
}

try {
  const config = loadCoreConfig();
  const paths = opts.corpus ?? corpusPaths(config);
  // Sources added from chat, and articles removed there, count in every build (see kept-sources.ts).
  const inputs = opts.keptSources ? await corpusInputs(paths, config.DATA_DIR) : { corpus: paths, exclude: new Set<string>() };
  const progress = progressReporter();
  const report = await runIndex(storeTarget(config, opts.out ?? config.INDEX_DIR), {
    corpus: inputs.corpus,
    exclude: inputs.exclude,
    settings: config,
    rebuild: opts.rebuild,
    lexicalOnly: opts.lexicalOnly,
    onProgress: progress.onProgress,
    signal: controller.signal,
  });
  progress.stop();
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stderr.write(`${formatBuildReport(report)}\n`);
} catch (err) {
  const known = err instanceof ConfigError || err instanceof IndexError || err instanceof BuildError || err instanceof DatabaseUnavailableError || err instanceof RemovalsError;
  process.stderr.write(`${known ? (err as Error).message : `Indexing failed: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exitCode = signalled ? (signalled === 'SIGINT' ? 130 : 143) : EXIT_FAILURE;
}
