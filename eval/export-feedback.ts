import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commandLine, usageName } from '../src/command-line.js';
import { ConfigError, loadCoreConfig } from '../src/config.js';
import { loadDotenv } from '../src/env.js';
import { openBackend } from '../src/open.js';
import { SNOWFLAKE } from '../src/bot/config.js';
import { BotState, STATE_FILE_NAME, StateError } from '../src/bot/state/store.js';
import { cliProgram, EXIT_FAILURE, EXIT_USAGE, UsageError } from '../src/cli/common.js';
import { IndexError, MissingIndexError } from '../src/storage/errors.js';
import { labelVotes, type FeedbackPair } from './feedback.js';

/**
 * `npm run export-feedback -- --out FILE`: the bot's 👍/👎 (DATA_DIR/state.db) as labelled
 * (question, passage, relevant) pairs, with each passage's text read from the index, for
 * `npm run train-ranker -- --feedback FILE`. How votes become labels: eval/feedback.ts.
 */
loadDotenv();

const program = cliProgram(usageName('export-feedback'), `Write the Discord bot's votes as labelled (question, passage, relevant) pairs for ${commandLine('train-ranker', '--feedback')}.`)
  .requiredOption('--out <file>', 'where to write the pairs (JSONL)')
  .option('--data-dir <dir>', "the bot's DATA_DIR (default: DATA_DIR, else data/)")
  .option('--guild <id>', "only this server's votes")
  .option('--index <dir>', 'the index the bot answered from, to read passages from (default: INDEX_DIR, else embeddings/)')
  .addHelpText(
    'after',
    `
Each line: {"question","filters","articleId","chunkId","passage","relevant":1|0,"up","down"}.
A 👍 marks the first passage of the voted page relevant; a 👎 marks every passage of the page not
relevant; votes on the same question and passage add up (ties are left out). Votes on refusals and
passages no longer in the index are counted on stderr and left out.
Exit codes: 0 written, 1 no state file / index, 2 bad usage.`,
  );
program.parse();
const opts = program.opts<{ out: string; dataDir?: string; guild?: string; index?: string }>();

try {
  if (opts.guild !== undefined && !SNOWFLAKE.test(opts.guild)) throw new UsageError('--guild must be a Discord server ID of 17–20 digits (Developer Mode → right-click the server → Copy Server ID).');
  const config = loadCoreConfig();
  const dataDir = opts.dataDir ?? (process.env.DATA_DIR || 'data');
  const stateFile = path.join(dataDir, STATE_FILE_NAME);
  if (!existsSync(stateFile)) {
    throw new StateError(`No bot state file in ${dataDir} (${STATE_FILE_NAME}): the bot writes it once someone asks with FEEDBACK=on. Point --data-dir at the bot's DATA_DIR.`);
  }
  const state = BotState.open(dataDir, { adminRoleIds: [], rateLimitMax: 1, rateLimitWindowSeconds: 1, visibility: 'public' });
  const votes = state.votes({ guildId: opts.guild });
  state.close();
  const { labels, onRefusals, ties } = labelVotes(votes);

  const dir = opts.index ?? config.INDEX_DIR;
  let backend: Awaited<ReturnType<typeof openBackend>>;
  try {
    backend = await openBackend(config, dir);
  } catch (err) {
    if (err instanceof MissingIndexError) throw new IndexError(`No index in ${dir}: pass --index with the folder the bot answered from.`);
    throw err;
  }
  const passages = await backend.passages([...new Set(labels.map((l) => l.chunkId))]);
  await backend.close();
  const pairs: FeedbackPair[] = [];
  let gone = 0;
  for (const l of labels) {
    const p = passages.get(l.chunkId);
    // A passage id is reused only for new text after an update: the article must match too.
    if (!p || p.article.id !== l.articleId) {
      gone++;
      continue;
    }
    pairs.push({ ...l, passage: p.text });
  }
  await writeFile(opts.out, pairs.map((p) => JSON.stringify(p)).join('\n') + (pairs.length ? '\n' : ''));
  const relevant = pairs.filter((p) => p.relevant === 1).length;
  const questions = new Set(pairs.map((p) => p.question.toLowerCase())).size;
  const notes = [
    onRefusals ? `${onRefusals} votes on refusals (no passage shown)` : '',
    ties ? `${ties} pairs with as many 👍 as 👎` : '',
    gone ? `${gone} pairs whose passage is no longer in ${dir} (changed or removed since the vote)` : '',
  ].filter(Boolean);
  process.stderr.write(
    `Wrote ${pairs.length} pairs (${relevant} relevant, ${pairs.length - relevant} not) on ${questions} questions from ${votes.length} votes${opts.guild ? ` in server ${opts.guild}` : ''} to ${opts.out}.${notes.length ? ` Left out: ${notes.join('; ')}.` : ''}\n`,
  );
  if (pairs.length === 0) process.stderr.write('Nothing to train on yet: votes on answers (👍/👎 under them) become pairs.\n');
} catch (err) {
  const usage = err instanceof UsageError;
  const known = usage || err instanceof ConfigError || err instanceof StateError || err instanceof IndexError;
  process.stderr.write(`${known ? (err as Error).message : `export-feedback failed: ${(err as Error).message}`}\n`);
  process.exitCode = usage ? EXIT_USAGE : EXIT_FAILURE;
}
