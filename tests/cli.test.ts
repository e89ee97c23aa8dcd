import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { FIXTURES, REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';

/** The real CLI scripts as child processes: exit codes, stdout and stderr. */
const execFileAsync = promisify(execFile);
const TSX = path.join(REPO, 'node_modules/.bin/tsx');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let cleanup: () => Promise<void>;
let index: string;
let env: NodeJS.ProcessEnv;

async function run(script: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync(TSX, [script, ...args], { cwd: REPO, env: { ...env, ...extraEnv } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function npmRun(script: string, args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await execFileAsync('npm', ['run', '--silent', script, '--', ...args], { cwd: REPO, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  index = path.join(dir, 'index');
  await buildIndex({ corpus: [SEED_CORPUS, path.join(FIXTURES, 'dates.jsonl')], out: index, settings: testSettings(), lexicalOnly: true });
  // No model anywhere: every script must work keyword-only, quickly, without the network.
  env = {
    ...process.env,
    ALLOW_REMOTE_MODELS: 'false',
    MODEL_DIR: path.join(dir, 'no-models'),
    EMBEDDING_MODEL: '',
    INDEX_DIR: path.join(dir, 'default-index'),
    CORPUS_PATHS: path.join(FIXTURES, 'dates.jsonl'),
  };
});
afterAll(() => cleanup());

describe('--help', () => {
  it('every CLI script prints its usage and exits 0', async () => {
    const scripts = ['ask', 'index', 'status', 'eval', 'eval:realtimeqa', 'bench'];
    const runs = await Promise.all(scripts.map((s) => npmRun(s, ['--help'])));
    runs.forEach((r, i) => {
      expect(r.code, `${scripts[i]}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: npm run ${scripts[i]} -- \\[options\\]`));
    });
  }, 120_000);
});

describe('archivist: one command with subcommands', () => {
  const ARCHIVIST = 'src/cli/archivist.ts';

  it('--help lists every subcommand, --version prints the package version, no command is bad usage', async () => {
    const [help, version, none] = await Promise.all([run(ARCHIVIST, ['--help']), run(ARCHIVIST, ['--version']), run(ARCHIVIST, [])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: archivist <command> \[options\]/);
    const listed = [...help.stdout.matchAll(/^ {2}([a-z-]+) {2,}/gm)].map((m) => m[1]);
    expect(listed).toEqual(['index', 'ask', 'status', 'start', 'deploy-commands', 'db', 'export-feedback', 'eval', 'train-ranker', 'help']);
    expect(help.stdout).toContain('development clone');
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };
    expect(version.stdout.trim()).toBe(pkg.version);
    expect(pkg.bin.archivist).toBe('dist/src/cli/archivist.js');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: archivist <command>');
  }, 60_000);

  it('an unknown command or option exits 2 with a suggestion', async () => {
    const [typo, option] = await Promise.all([run(ARCHIVIST, ['idnex']), run(ARCHIVIST, ['status', '--jsno'])]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("error: unknown command 'idnex'\n(Did you mean index?)");
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("error: unknown option '--jsno'\n(Did you mean --json?)");
  }, 60_000);

  it('each subcommand describes its own options, named as the npm script that runs it in a development clone', async () => {
    const cases: Array<[string[], string]> = [
      [['index'], 'npm run index --'],
      [['ask'], 'npm run ask --'],
      [['status'], 'npm run status --'],
      [['start'], 'npm start --'],
      [['start', '--sharded'], 'npm run start:sharded --'],
      [['deploy-commands'], 'npm run deploy-commands --'],
      [['db', 'migrate'], 'npm run db:migrate --'],
      [['export-feedback'], 'npm run export-feedback --'],
      [['eval'], 'npm run eval --'],
      [['train-ranker'], 'npm run train-ranker --'],
    ];
    const runs = await Promise.all(cases.map(([words]) => run(ARCHIVIST, [...words, '--help'])));
    runs.forEach((r, i) => {
      expect(r.code, `${cases[i]![0].join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout.startsWith(`Usage: ${cases[i]![1]} [options]`), r.stdout.slice(0, 200)).toBe(true);
    });
    // `archivist help db migrate` is `archivist db migrate --help`.
    const viaHelp = await run(ARCHIVIST, ['help', 'db', 'migrate']);
    expect(viaHelp.stdout).toBe(runs[6]!.stdout);
  }, 300_000);

  it('runs the job with the rest of the command line: status of an index, and its error naming the command that builds one', async () => {
    const none = path.join(dir, 'nothing-here');
    const [ok, missing] = await Promise.all([run(ARCHIVIST, ['status', '--json', '--index', index]), run(ARCHIVIST, ['status', '--index', none])]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ articles: 13, mode: 'lexical' });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toBe(`No index in ${none}. Build one with: npm run index -- --out ${none}`);
  }, 60_000);
});

describe('ask: filters and the index folder', () => {
  it('rejects dates that are not calendar dates, and --after later than --before, with exit code 2', async () => {
    const nowhere = path.join(dir, 'never-built');
    const cases: Array<[string[], RegExp]> = [
      [['--after', '2022-13-45'], /'--after <date>' argument '2022-13-45' is invalid\. There is no month 13\./],
      [['--before', '2022-02-30'], /Not a calendar date \(February 2022 has 28 days\)/],
      [['--after', '2022-3-1'], /Expected a date as YYYY-MM-DD/],
      [['--after', '2022-11-01', '--before', '2022-10-01'], /--after 2022-11-01 is later than --before 2022-10-01/],
    ];
    const runs = await Promise.all(cases.map(([args]) => run('src/cli/ask.ts', ['--index', nowhere, ...args, 'ferry'])));
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(cases[i]![1]);
      expect(r.stdout).toBe('');
    });
    // A bad filter stops before the index is touched.
    expect(existsSync(nowhere)).toBe(false);
  }, 120_000);

  it('--index DIR without an index is an error naming the command that builds it, and builds nothing', async () => {
    const typo = path.join(dir, 'indx');
    const r = await run('src/cli/ask.ts', ['--index', typo, 'ferry']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`No index in ${typo}. Build one with: npm run index -- --out ${typo}`);
    expect(existsSync(typo)).toBe(false);
  }, 60_000);

  it('builds only the default index (INDEX_DIR) on first use', async () => {
    const r = await run('src/cli/ask.ts', ['--json', 'When did the ferry resume service?']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(dir, 'default-index', 'current'))).toBe(true);
    const answer = JSON.parse(r.stdout) as { abstained: boolean; results: Array<{ title: string; date: string }> };
    expect(answer.results[0]).toMatchObject({ title: 'Ferry service resumes', date: '2022-10-31' });
  }, 120_000);

  it('applies valid date filters', async () => {
    const question = 'When did the grain barges leave the port of Lindenport?';
    const [inside, outside, none] = await Promise.all([
      run('src/cli/ask.ts', ['--index', index, '--json', '--after', '2022-11-01', '--before', '2022-11-30', question]),
      run('src/cli/ask.ts', ['--index', index, '--json', '--before', '2022-10-31', question]),
      run('src/cli/ask.ts', ['--index', index, '--before', '2000-01-01', question]),
    ]);
    // An abstention under a filter says what was searched, so it is not mistaken for "the corpus has nothing".
    expect(none.code).toBe(0);
    expect(none.stdout.trim()).toBe('No source in the corpus answers this.');
    expect(none.stderr).toContain('Note: searched only articles dated up to 2000-01-01 (undated ones are left out).');
    expect(inside.code, inside.stderr).toBe(0);
    const answer = JSON.parse(inside.stdout) as { results: Array<{ title: string; date: string | null }> };
    expect(answer.results[0]).toMatchObject({ title: 'Grain barges leave port', date: '2022-11-01' });
    for (const result of answer.results) expect(result.date! >= '2022-11-01' && result.date! <= '2022-11-30').toBe(true);
    const before = JSON.parse(outside.stdout) as { results: Array<{ title: string }> };
    expect(before.results.map((r) => r.title)).not.toContain('Grain barges leave port');
  }, 60_000);

  it('ask --batch --json gives each line the milliseconds spent answering it', async () => {
    const batch = path.join(dir, 'questions.jsonl');
    await writeFile(batch, ['When did the ferry resume?', 'Which choir won a prize?', 'How do volcanoes form?'].map((q, i) => JSON.stringify({ id: `q${i}`, question: q })).join('\n'));
    const r = await run('src/cli/ask.ts', ['--index', index, '--batch', batch, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string; ms: unknown });
    expect(lines.map((l) => l.id)).toEqual(['q0', 'q1', 'q2']);
    for (const line of lines) {
      expect(typeof line.ms).toBe('number');
      expect(line.ms as number).toBeGreaterThan(0);
    }
  }, 60_000);
});

describe('index: problems in the input', () => {
  it('reports unreadable dates by file and line and still indexes those articles', async () => {
    const file = path.join(FIXTURES, 'dates.jsonl');
    const r = await run('src/cli/index.ts', ['--corpus', file, '--out', path.join(dir, 'dates-index'), '--lexical-only', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { articles: number; problems: Array<{ source: string; line: number; kept: boolean; message: string }> };
    expect(report.articles).toBe(11);
    expect(report.problems.map((p) => [p.line, p.kept])).toEqual([
      [9, true],
      [10, true],
    ]);
    // An update in place re-reads only changed records; a rebuild reads (and reports) them all again.
    const text = await run('src/cli/index.ts', ['--corpus', file, '--out', path.join(dir, 'dates-index'), '--lexical-only', '--rebuild']);
    expect(text.stderr).toContain('Indexed 2 articles with a problem:');
    expect(text.stderr).toContain(`${file}:9: date "2022-02-30": not a calendar date (February 2022 has 28 days); indexed without a date`);
    expect(text.stderr).not.toContain('Skipped');
  }, 120_000);
});

describe('settings from the environment reach ingest', () => {
  it('DATE_ORDER decides an ambiguous date; a bad value stops with the variable named', async () => {
    const corpus = path.join(dir, 'ambiguous.jsonl');
    await writeFile(corpus, `${JSON.stringify({ title: 'Ambiguous date', date: '03/04/2022', text: 'The tram line to the Oskil railway station opened with a ceremony and free rides for the whole day.' })}\n`);
    const out = path.join(dir, 'dmy-index');
    const built = await run('src/cli/index.ts', ['--corpus', corpus, '--out', out, '--lexical-only'], { DATE_ORDER: 'dmy' });
    expect(built.code, built.stderr).toBe(0);
    // The text holds no date, so the answer is shown anyway: the article's date is what is checked.
    const asked = await run('src/cli/ask.ts', ['--index', out, '--json', '--show-anyway', 'When did the tram line to the railway station open?']);
    expect((JSON.parse(asked.stdout) as { results: Array<{ date: string }> }).results[0]!.date).toBe('2022-04-03');
    const bad = await run('src/cli/index.ts', ['--corpus', corpus, '--out', out], { DATE_ORDER: 'ymd' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/DATE_ORDER: .*'mdy' \| 'dmy'/);
  }, 120_000);
});

describe('status', () => {
  it('describes the index in text and JSON without building or changing it', async () => {
    const [text, json] = await Promise.all([run('src/cli/status.ts', ['--index', index]), run('src/cli/status.ts', ['--index', index, '--json'])]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^Index: +.*index \(index-\S+\.db, [\d.]+ kB on disk, update \d+\)$/m);
    expect(text.stdout).toMatch(/^Articles: +13 from 3 files/m);
    expect(text.stdout).toMatch(/^Passages: +[\d,]+ \(newest article dated 2023-11\)$/m);
    expect(text.stdout).toMatch(/^Search: +keywords only: no vectors for .* \(lexical-only build requested\)$/m);
    expect(text.stdout).toContain(`Corpus:    ${SEED_CORPUS}, ${path.join(FIXTURES, 'dates.jsonl')}`);
    expect(json.code, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ articles: 13, newestDate: '2023-11', mode: 'lexical', modelError: 'lexical-only build requested', corpus: [SEED_CORPUS, path.join(FIXTURES, 'dates.jsonl')] });
    expect(status.passages as number).toBeGreaterThanOrEqual(13);
    expect(status.bytes as number).toBeGreaterThan(1000);
    expect(Date.parse(status.createdAt as string)).not.toBeNaN();
  }, 60_000);

  it('says how to build an index when there is none, with exit code 1', async () => {
    const none = path.join(dir, 'no-index-here');
    const r = await run('src/cli/status.ts', ['--index', none]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`No index in ${none}. Build one with: npm run index -- --out ${none}`);
    expect(existsSync(none)).toBe(false);
  }, 60_000);
});
