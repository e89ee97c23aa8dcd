#!/usr/bin/env node
/**
 * `archivist`: the one operator command, with a subcommand per job. Each subcommand is the module that
 * already does the job (src/cli/*.ts, src/bot/*.ts) and owns its options and `--help`: this file only
 * picks the module, hands it the rest of the command line and loads it. The npm scripts of a
 * development clone are aliases of it (`npm run index -- …` = `archivist index …`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { EXIT_FAILURE, EXIT_USAGE } from './common.js';

// Compiled: dist/src/cli/archivist.js; from source (tsx): src/cli/archivist.ts.
const ROOT = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? '../../' : '../../../', import.meta.url));
const { version } = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { version: string };

const program = new Command('archivist')
  .description('Archivist: answers questions from news articles with quoted, source-attributed passages.')
  .version(version, '-V, --version', 'print the version')
  .usage('<command> [options]')
  // Each subcommand's options are its module's: its own --help lists them.
  .configureHelp({ subcommandTerm: (cmd) => cmd.name() })
  .enablePositionalOptions()
  .showHelpAfterError('(archivist --help lists the commands; archivist <command> --help describes one)')
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE))
  // Commander's own help command would describe the stand-in below, not the module's options.
  .helpCommand(false)
  .addHelpText(
    'after',
    `
Settings come from the environment or .env (see .env.example). Exit codes: 0 done, 1 failed, 2 bad usage.
eval and train-ranker run only in a development clone (eval/, the dev dependencies, ../shared).`,
  );

/** Runs `load` with the rest of the command line as the module's own arguments. */
function delegate(parent: Command, name: string, description: string, load: (args: string[]) => Promise<unknown>): Command {
  return parent
    .command(name)
    .description(description)
    .argument('[options...]')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .action(async (args: string[]) => {
      // The module parses process.argv with commander, as when it runs on its own.
      process.argv = [process.argv[0]!, process.argv[1]!, ...args];
      await load(args);
    });
}

/** Runs an eval/ script with tsx, which only a development clone has. */
function devScript(command: string, file: string, args: string[]): void {
  const script = `${ROOT}eval/${file}`;
  let tsx: string | undefined;
  try {
    tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  } catch {
    tsx = undefined;
  }
  if (!existsSync(script) || !tsx) {
    process.stderr.write(
      `archivist ${command} runs only in a development clone: it needs eval/ and the dev dependencies (git clone, then npm ci), and its question sets and corpora in ../shared. This install has ${existsSync(script) ? 'no tsx (installed without dev dependencies)' : 'no eval/ folder'}.\n`,
    );
    process.exit(EXIT_FAILURE);
  }
  const run = spawnSync(process.execPath, ['--import', tsx, script, ...args], { stdio: 'inherit' });
  process.exit(run.status ?? EXIT_FAILURE);
}

/** `--flag` taken out of args: whether it was there. */
function takeFlag(args: string[], flag: string): boolean {
  const at = args.indexOf(flag);
  if (at >= 0) args.splice(at, 1);
  process.argv = [process.argv[0]!, process.argv[1]!, ...args];
  return at >= 0;
}

delegate(program, 'index', 'index the corpus: build the index, or update it in place', () => import('./index.js'));
delegate(program, 'ask', 'answer a question from the index with quoted passages', () => import('./ask.js'));
delegate(program, 'status', 'describe the index (size, articles, search mode, when built)', () => import('./status.js'));
delegate(program, 'start', 'start the Discord bot (--sharded: one process per shard)', (args) =>
  takeFlag(args, '--sharded') ? import('../bot/sharded.js') : import('../bot/main.js'),
);
delegate(program, 'deploy-commands', "register (or --clear) the bot's slash commands with Discord", () => import('../bot/deploy.js'));
const db = program.command('db').description('the PostgreSQL database (SEARCH_BACKEND=postgres)').helpCommand(false);
delegate(db, 'migrate', 'create or upgrade the database schema', () => import('./db-migrate.js'));
delegate(program, 'export-feedback', "write the bot's 👍/👎 as labelled pairs for train-ranker --feedback", () => import('../../eval/export-feedback.js'));
delegate(program, 'eval', 'quality per question set (development clone only; --realtimeqa: RealtimeQA 2022)', async (args) =>
  devScript('eval', takeFlag(args, '--realtimeqa') ? 'realtimeqa.ts' : 'run.ts', args),
);
delegate(program, 'train-ranker', 'train the ranker, quote and confidence models (development clone only)', async (args) => devScript('train-ranker', 'train-ranker.ts', args));

program
  .command('help')
  .description('describe a command: archivist help ask = archivist ask --help')
  .argument('[command...]')
  .action(() => program.help());

// `archivist help db migrate` is `archivist db migrate --help`: the module describes its own options.
const [first, ...rest] = process.argv.slice(2);
await program.parseAsync(first === 'help' && rest.length ? [...rest, '--help'] : process.argv.slice(2), { from: 'user' });
