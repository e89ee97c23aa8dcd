/**
 * `npm run render-answer [-- --out docs/answer.png]`: the picture of an answer in README. Indexes the
 * seed corpus (corpus/) into a temp folder (keyword index only: no model download), asks the
 * question through the core, builds the message with answerMessage() — the function the bot sends
 * with — renders it as a Discord-dark-theme HTML page and screenshots it with headless Chromium.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError } from 'commander';
import { answerMessage, headingLine } from '../src/bot/format.js';
import { coreConfigSchema } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { messageHtml } from './discord-preview.js';

const run = promisify(execFile);

const size = (value: string): [number, number] => {
  const m = /^(\d{2,4}),(\d{2,5})$/.exec(value);
  if (!m) throw new InvalidArgumentError('Expected WIDTH,HEIGHT in pixels, e.g. 900,700.');
  return [Number(m[1]), Number(m[2])];
};
const between = (min: number, max: number) => (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Expected a whole number from ${min} to ${max}.`);
  return n;
};

const program = new Command()
  .name('npm run render-answer --')
  .description("Render the bot's real answer message for a question over the seed corpus to a PNG (Discord dark theme).")
  .option('--question <text>', 'what to ask', 'What did Saldo urge Kherson residents to do?')
  .option('--corpus <path...>', 'corpus files or folders', ['corpus'])
  .option('--k <n>', 'results shown, as /ask\'s k option (1–10)', between(1, 10), 2)
  .option('--out <file>', 'the PNG to write', 'docs/answer.png')
  .option('--html <file>', 'also keep the HTML page here')
  .option('--window-size <w,h>', 'browser window (the picture) size', size, [900, 700] as [number, number])
  .option('--chromium <path>', 'the Chromium (or Chrome) executable', 'chromium')
  .showHelpAfterError();
program.parse();
const opts = program.opts<{ question: string; corpus: string[]; k: number; out: string; html?: string; windowSize: [number, number]; chromium: string }>();

const INSTALL_HINT = 'Install it (Debian/Ubuntu: `sudo apt-get update && sudo apt-get install -y chromium`), or pass --chromium PATH to a Chromium or Chrome executable.';

/** Fails early, before indexing, when there is no browser to take the screenshot. */
async function checkChromium(bin: string): Promise<void> {
  try {
    await run(bin, ['--version'], { timeout: 30_000 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `Chromium was not found ("${bin}"). ${INSTALL_HINT}` : `"${bin} --version" failed: ${(err as Error).message.split('\n')[0]}. ${INSTALL_HINT}`);
  }
}

async function screenshot(bin: string, page: string, out: string, [w, h]: [number, number], profile: string): Promise<void> {
  // Flags: no sandbox (root in containers), and nothing that reaches the network or writes a real profile.
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, `--screenshot=${path.resolve(out)}`, `--window-size=${w},${h}`, `file://${page}`];
  await run(bin, args, { timeout: 120_000 });
}

async function main(): Promise<void> {
  await checkChromium(opts.chromium);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-render-'));
  try {
    // Defaults, not the user's .env: the picture must not depend on who regenerates it.
    const settings = { ...coreConfigSchema.parse({}), ALLOW_REMOTE_MODELS: false };
    const index = path.join(tmp, 'index');
    const report = await buildIndex({ corpus: opts.corpus, out: index, settings, lexicalOnly: true });
    process.stderr.write(`Indexed ${report.articles} articles, ${report.chunks} passages into ${index}\n`);
    const searcher = await Searcher.open(index, settings, { model: 'never' });
    let answer: Awaited<ReturnType<Searcher['ask']>>;
    try {
      answer = await searcher.ask(opts.question, { k: opts.k });
    } finally {
      await searcher.close();
    }
    // What /ask sends (src/bot/answers.ts): the same view and the same formatter.
    const message = answerMessage(answer, { heading: headingLine('Question:', opts.question), noneText: 'No source in the corpus answers this.' });
    const html = messageHtml(message, { botName: 'Archivist', command: { user: 'reader', name: 'ask' }, time: 'Today at 12:00' });
    const page = path.join(tmp, 'answer.html');
    await writeFile(page, html);
    if (opts.html) await writeFile(opts.html, html);
    await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
    await screenshot(opts.chromium, page, opts.out, opts.windowSize, path.join(tmp, 'chromium-profile'));
    process.stdout.write(`wrote ${opts.out} (${answer.abstained ? 'abstained' : `${answer.results.length} results`}, ${message.embeds.length} embeds)\n`);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`render-answer failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
