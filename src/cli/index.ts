import { ConfigError, corpusPaths, loadCoreConfig } from '../config.js';
import { loadDotenv } from '../env.js';
import { buildIndex } from '../index/build.js';
import { cliProgram, EXIT_FAILURE } from './common.js';
import { formatBuildReport, progressReporter } from './progress.js';

loadDotenv();

const program = cliProgram('npm run index --', 'Build the search index of a corpus (keyword + vector).')
  .option('--corpus <path...>', 'corpus files or folders (default: CORPUS_PATHS, else corpus/)')
  .option('--out <dir>', 'index folder (default: INDEX_DIR, else embeddings/)')
  .option('--lexical-only', 'skip the embedding model and build the keyword index only')
  .option('--json', 'print the build report as JSON on stdout')
  .addHelpText(
    'after',
    '\nDates are read as DATE_ORDER says (mdy or dmy) when ambiguous; articles over MAX_ARTICLE_CHARS are truncated.\n' +
      'Exit codes: 0 built, 1 failed (the previous index stays), 2 bad usage.',
  );

program.parse();
const opts = program.opts<{ corpus?: string[]; out?: string; lexicalOnly?: boolean; json?: boolean }>();

try {
  const config = loadCoreConfig();
  const progress = progressReporter();
  const report = await buildIndex({
    corpus: opts.corpus ?? corpusPaths(config),
    out: opts.out ?? config.INDEX_DIR,
    settings: config,
    lexicalOnly: opts.lexicalOnly,
    onProgress: progress.onProgress,
  });
  progress.stop();
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stderr.write(`${formatBuildReport(report)}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : `Indexing failed: ${(err as Error).message}`}\n`);
  process.exitCode = EXIT_FAILURE;
}
