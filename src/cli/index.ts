import { Command } from 'commander';
import { ConfigError, corpusPaths, loadCoreConfig } from '../config.js';
import { loadDotenv } from '../env.js';
import { buildIndex } from '../index/build.js';
import { formatBuildReport, progressReporter } from './progress.js';

loadDotenv();

const program = new Command()
  .name('npm run index --')
  .description('Build the search index of a corpus (keyword + vector).')
  .option('--corpus <path...>', 'corpus files or folders (default: CORPUS_PATHS, else corpus/)')
  .option('--out <dir>', 'index folder (default: INDEX_DIR, else embeddings/)')
  .option('--lexical-only', 'skip the embedding model and build the keyword index only')
  .option('--json', 'print the build report as JSON on stdout')
  .showHelpAfterError();

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
  process.exitCode = 1;
}
