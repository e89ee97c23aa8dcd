import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { commandLine, usageName } from '../command-line.js';
import { ConfigError, loadCoreConfig } from '../config.js';
import { loadDotenv } from '../env.js';
import { IndexError, MissingIndexError } from '../storage/errors.js';
import { openSearcher } from '../open.js';
import type { Searcher } from '../search/searcher.js';
import { DatabaseUnavailableError } from '../storage/postgres/sql.js';
import { cliProgram, EXIT_FAILURE } from './common.js';

loadDotenv();

const program = cliProgram(usageName('status'), 'Describe the index: size on disk, articles, passages, search mode and model, when it was built, from which corpus.')
  .option('--index <dir>', 'index folder (default: INDEX_DIR, else embeddings/)')
  .option('--json', 'print one JSON object on stdout')
  .addHelpText('after', '\nNever builds or changes the index. Exit codes: 0 described, 1 no index or a damaged one, 2 bad usage.');

program.parse();
const opts = program.opts<{ index?: string; json?: boolean }>();

async function bytesIn(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? await bytesIn(p) : (await stat(p)).size;
  }
  return total;
}

function size(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

try {
  const config = loadCoreConfig();
  const dir = opts.index ?? config.INDEX_DIR;
  let searcher: Searcher;
  try {
    // The model is not needed to describe the index, and loading it would take seconds.
    // A recovered `current` pointer is worth a line: the next index build repairs it.
    searcher = await openSearcher(config, dir, { model: 'never', onNotice: (message) => process.stderr.write(`Note: ${message}\n`) });
  } catch (err) {
    if (err instanceof MissingIndexError) throw new IndexError(`No index in ${dir}. Build one with: ${commandLine('index', `--out ${dir}`)}`);
    throw err;
  }
  const status = searcher.status();
  const info = searcher.info;
  const dense = info.dense;
  // A model trained on the corpus lives in the index folder: if it is gone, searches run on keywords alone.
  const ownModel = dense.status === 'ok' && dense.modelDir && config.SEARCH_BACKEND === 'embedded' ? path.join(path.dirname(info.location), dense.modelDir, ...dense.model.split('/')) : undefined;
  const modelGone = ownModel !== undefined && !existsSync(ownModel);
  const report = {
    dir,
    database: path.basename(info.location),
    backend: config.SEARCH_BACKEND,
    /** The whole index folder: the database, its write-ahead log and the vector files (embedded only). */
    bytes: config.SEARCH_BACKEND === 'embedded' ? await bytesIn(dir) : null,
    articles: info.articles,
    passages: info.passages,
    newestDate: info.newestDate ?? null,
    files: info.corpus.files,
    duplicates: info.corpus.duplicates,
    problems: info.corpus.problems,
    mode: dense.status === 'ok' && !modelGone ? ('hybrid' as const) : ('lexical' as const),
    model: dense.model,
    dim: dense.status === 'ok' ? dense.dim : null,
    /** The model was trained on the corpus at build time (no pretrained model could be loaded); it lives in the index folder. */
    modelTrainedOnCorpus: dense.status === 'ok' && dense.modelDir !== undefined,
    modelError:
      dense.status !== 'ok' ? dense.reason : modelGone ? `the model trained on this corpus is missing (${ownModel}): rebuild with ${commandLine('index', `--out ${dir} --rebuild`)}` : null,
    createdAt: info.createdAt,
    updatedAt: status.createdAt,
    generation: info.generation,
    corpus: info.corpus.paths,
  };
  await searcher.close();
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const lines = [
      report.bytes === null
        ? `Index:     ${info.location} (PostgreSQL, update ${report.generation})`
        : `Index:     ${dir} (${report.database}, ${size(report.bytes)} on disk, update ${report.generation})`,
      `Articles:  ${report.articles.toLocaleString('en')} from ${report.files.toLocaleString('en')} files (${report.duplicates} duplicates, ${report.problems} input problems at build time)`,
      `Passages:  ${report.passages.toLocaleString('en')}${report.newestDate ? ` (newest article dated ${report.newestDate})` : ''}`,
      report.mode === 'hybrid'
        ? `Search:    hybrid (keywords + vectors), model ${report.model} (${report.dim} dimensions${report.modelTrainedOnCorpus ? ', trained on this corpus: no pretrained model could be loaded at build time' : ''})`
        : `Search:    keywords only: no vectors for ${report.model} (${report.modelError})`,
      `Built at:  ${report.createdAt}${report.updatedAt !== report.createdAt ? `, last updated ${report.updatedAt}` : ''}`,
      `Corpus:    ${report.corpus.join(', ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
} catch (err) {
  const known = err instanceof ConfigError || err instanceof IndexError || err instanceof DatabaseUnavailableError;
  process.stderr.write(`${known ? (err as Error).message : `Failed: ${(err as Error).stack ?? String(err)}`}\n`);
  process.exitCode = EXIT_FAILURE;
}
