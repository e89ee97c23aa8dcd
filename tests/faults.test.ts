import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { loadCorpus } from '../src/ingest/stream.js';
import { IndexDatabase } from '../src/storage/database.js';
import { rebuildHint } from '../src/storage/errors.js';
import { resolveIndex } from '../src/storage/folder.js';
import { acquireLock, LOCK_FILE } from '../src/storage/lock.js';
import { FIXTURES, REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';

/** Faults an operator meets: a damaged or foreign index folder, a stale lock, a broken CSV. One clear line each. */
let dir: string;
let cleanup: () => Promise<void>;
let env: NodeJS.ProcessEnv;
const settings = testSettings();

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-faults-'));
  // Another user must be able to reach the folders made here (the read-only cases).
  await chmod(dir, 0o755);
  env = { ...process.env, ALLOW_REMOTE_MODELS: 'false', EMBEDDING_MODEL: '', MODEL_DIR: path.join(dir, 'no-models'), INDEX_DIR: path.join(dir, 'default-index'), DATA_DIR: path.join(dir, 'data') };
});
afterAll(() => cleanup());

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A CLI script as a child process (`prefix`: e.g. setpriv, to run it as another user). */
async function run(script: string, args: readonly string[], prefix: readonly string[] = []): Promise<Run> {
  const [command, ...rest] = [...prefix, path.join(REPO, 'node_modules/.bin/tsx'), script, ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(command!, rest, { cwd: REPO, env: { ...env, HOME: dir } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** One line, no stack. */
const oneLine = (r: Run): string => {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return r.stderr.trim();
};

async function goodIndex(name: string): Promise<string> {
  const out = path.join(dir, name);
  await buildIndex({ corpus: [SEED_CORPUS, path.join(FIXTURES, 'dates.jsonl')], out, settings, lexicalOnly: true });
  return out;
}

describe('the rebuild advice names the damaged folder', () => {
  it('always names the folder, so the printed command rebuilds that index and not the default one', () => {
    expect(rebuildHint('/srv/other index')).toBe("rebuild it with `npm run index -- --rebuild --out '/srv/other index'`");
    expect(rebuildHint('embeddings')).toBe('rebuild it with `npm run index -- --rebuild --out embeddings`');
  });

  it('a damaged index: status says which folder to rebuild, and the command as printed rebuilds it', async () => {
    const out = await goodIndex('hint');
    const { file } = await resolveIndex(out);
    await writeFile(file, 'this is not a database '.repeat(500));
    const status = await run('src/cli/status.ts', ['--index', out]);
    expect(status.code).toBe(1);
    const command = /`npm run index -- (.*)`/.exec(oneLine(status))?.[1];
    expect(command).toBe(`--rebuild --out ${out}`);
    const rebuilt = await run('src/cli/index.ts', [...command!.split(' '), '--corpus', SEED_CORPUS, '--lexical-only']);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect((await run('src/cli/status.ts', ['--index', out])).code).toBe(0);
  }, 120_000);
});

describe('a lock left by a killed build', () => {
  it('is taken over when it holds our own pid (a container runs every build as PID 1)', async () => {
    const out = path.join(dir, 'own-pid');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, LOCK_FILE), `${process.pid}\n`);
    await writeFile(path.join(out, `${LOCK_FILE}.takeover`), `${process.pid}\n`);
    // The takeover file of a killed takeover is cleared on the first try, the lock taken on the next.
    const release = await acquireLock(out);
    expect((await readFile(path.join(out, LOCK_FILE), 'utf8')).trim()).toBe(String(process.pid));
    // Held by this process now: a second build of it is refused.
    await expect(acquireLock(out)).rejects.toThrow(/this process/);
    await release();
    expect(await readdir(out)).toEqual([]);
  });
});

describe('a first build killed before it completed (kill -9: no pointer, one database never marked complete)', () => {
  /** A folder as a killed first build leaves it: its database never completed, no `current`, a dead build's lock. */
  async function killedFirstBuild(name: string): Promise<string> {
    const out = await goodIndex(name);
    const { file } = await resolveIndex(out);
    const db = new Database(file);
    db.prepare("UPDATE meta SET value = 'false' WHERE key = 'complete'").run();
    db.close();
    await rm(path.join(out, 'current'));
    await writeFile(path.join(out, LOCK_FILE), '999999\n');
    return out;
  }

  it('is no index yet: the next build (without --rebuild) makes one and removes the leftover; ask builds on first use', async () => {
    const out = await killedFirstBuild('killed-first');
    const leftover = (await readdir(out)).filter((e) => e.endsWith('.db'));
    const status = await run('src/cli/status.ts', ['--index', out]);
    expect(status.code).toBe(1);
    expect(oneLine(status)).toBe(`No index in ${out}. Build one with: npm run index -- --out ${out}`);
    const index = await run('src/cli/index.ts', ['--corpus', SEED_CORPUS, '--out', out, '--lexical-only']);
    expect(index.code, index.stderr).toBe(0);
    expect((await readdir(out)).filter((e) => e.endsWith('.db'))).not.toContain(leftover[0]);
    expect((await run('src/cli/status.ts', ['--index', out])).code).toBe(0);

    const other = await killedFirstBuild('killed-first-ask');
    // Without --index, ask uses INDEX_DIR and builds it from CORPUS_PATHS (the seeds) when there is none.
    env.INDEX_DIR = other;
    try {
      const asked = await run('src/cli/ask.ts', ['Kherson']);
      expect(asked.code, asked.stderr).toBe(0);
      expect(asked.stdout).toMatch(/Kherson/);
    } finally {
      env.INDEX_DIR = path.join(dir, 'default-index');
    }
  }, 120_000);

  it('beside a damaged database it is still the rebuild line: nothing unreadable is built over', async () => {
    const out = await killedFirstBuild('killed-first-damaged');
    await writeFile(path.join(out, 'index-20200101T000000Z-bad000.db'), 'this is not a database '.repeat(500));
    await expect(resolveIndex(out)).rejects.toThrow(/holds no complete index .*: rebuild it with `npm run index -- --rebuild --out /);
  });
});

describe('corruption in the middle of the database', () => {
  it('index gives the damaged-index line, not a stack, and leaves the file as it was', async () => {
    // Enough articles for several pages of rows; the newest (read when the index opens) is the last.
    const corpus = path.join(dir, 'many.jsonl');
    const lines = Array.from({ length: 400 }, (_, i) =>
      JSON.stringify({ id: `many-${i}`, title: `Dock ${i} repaired`, date: `2022-01-${String(1 + (i % 28)).padStart(2, '0')}`, text: `Workers repaired dock number ${i} in the harbour after the storm broke its pilings last winter.` }),
    );
    lines.push(JSON.stringify({ id: 'newest', title: 'Newest', date: '2023-06-01', text: 'The newest article of the corpus is about the harbour master retiring after forty years.' }));
    await writeFile(corpus, `${lines.join('\n')}\n`);
    const out = path.join(dir, 'mid-corrupt');
    await buildIndex({ corpus: [corpus], out, settings, lexicalOnly: true });
    const { file } = await resolveIndex(out);
    const db = new Database(file, { readonly: true });
    const pages = db.prepare("SELECT pageno FROM dbstat WHERE name = 'articles' AND pagetype = 'leaf'").pluck().all() as number[];
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    expect(pages.length).toBeGreaterThan(2);
    const bytes = await readFile(file);
    bytes.fill(0xa5, (pages[0]! - 1) * pageSize + 8, pages[0]! * pageSize);
    await writeFile(file, bytes);
    // The index still opens (its metadata is sound): the damage shows when an update reads every article.
    IndexDatabase.open(file, { readonly: true }).close();
    const r = await run('src/cli/index.ts', ['--corpus', corpus, '--out', out, '--lexical-only']);
    expect(r.code).toBe(1);
    expect(oneLine(r).split('\n').at(-1)).toMatch(new RegExp(`^The index database ${file} is damaged \\(.*\\): rebuild it with \`npm run index -- --rebuild --out ${out}\`\\.$`));
    expect(await readFile(file)).toEqual(bytes);
  }, 60_000);
});

describe('an index folder this user may not write', () => {
  const asRoot = process.getuid?.() === 0;
  // Root may write anywhere: run the CLI as nobody (setpriv), else chmod is enough.
  const other = asRoot ? ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups'] : [];

  it('ask, status and index each say which folder and what permission, in one line', async () => {
    const out = await goodIndex('read-only');
    // A cleanly closed index has no shared-memory file: even a reader must create one.
    for (const name of await readdir(out)) if (/-(shm|wal)$/.test(name)) await rm(path.join(out, name));
    await chmod(out, 0o555);
    try {
      for (const [script, args] of [
        ['src/cli/status.ts', ['--index', out]],
        ['src/cli/ask.ts', ['--index', out, 'tram']],
      ] as const) {
        const r = await run(script, args, other);
        expect(r.code).toBe(1);
        expect(oneLine(r)).toMatch(new RegExp(`may not write to the index folder ${out} .*which SQLite needs even to read the index.*: give it write permission`));
      }
      const r = await run('src/cli/index.ts', ['--corpus', SEED_CORPUS, '--out', out, '--lexical-only'], other);
      expect(r.code).toBe(1);
      expect(oneLine(r)).toMatch(new RegExp(`may not write to the index folder ${out} .*to build or update the index there: give it write permission`));
    } finally {
      await chmod(out, 0o755);
    }
  }, 120_000);

  it('a file named as the index folder is named as such', async () => {
    const file = path.join(dir, 'some.json');
    await writeFile(file, '{}');
    for (const out of [file, path.join(file, 'index')]) {
      const r = await run('src/cli/index.ts', ['--corpus', SEED_CORPUS, '--out', out, '--lexical-only']);
      expect(r.code).toBe(1);
      expect(oneLine(r)).toBe(`${out} cannot be an index folder: ${file} is a file. Name a folder for the index (--out / --index, or INDEX_DIR).`);
    }
  }, 60_000);
});

describe('a CSV with an unclosed quote', () => {
  const row = (name: string, text: string): string => `${name},https://example.org/${name.toLowerCase()},${text}`;
  const body = (name: string): string => `The ${name.toLowerCase()} article reports that the harbour crane was repaired after the storm last week.`;

  it('reports the merged lines by file and line and skips them, never one article of several rows', async () => {
    const file = path.join(dir, 'unclosed.csv');
    await writeFile(
      file,
      ['title,url,text', row('Alpha', `"${body('Alpha')}`), row('Beta', body('Beta')), row('Gamma', `"${body('Gamma')} It said ""fine""."`), row('Delta', body('Delta')), ''].join('\n'),
    );
    const { articles, problems } = await loadCorpus([file]);
    expect(articles.map((a) => a.title)).toEqual(['Delta']);
    expect(articles[0]!.url).toBe('https://example.org/delta');
    expect(problems).toEqual([
      {
        source: file,
        line: 2,
        message: 'lines 2-4 read as one record (later rows inside a field): a quote opened there is not closed where its field ends; close it, or double it (""), and index again (skipped)',
      },
    ]);
  });

  it('catches a quote opened in the title: its url would have been prose', async () => {
    const file = path.join(dir, 'title.csv');
    await writeFile(file, ['title,url,text', `"Alpha,https://example.org/alpha,${body('Alpha')}`, row('Beta', `"${body('Beta')} It said ""fine""."`), row('Gamma', body('Gamma')), ''].join('\n'));
    const { articles, problems } = await loadCorpus([file]);
    expect(articles.map((a) => a.title)).toEqual(['Gamma']);
    expect(problems.map((p) => [p.line, p.message.slice(0, 50)])).toEqual([[2, 'lines 2-3 read as one record (its title spans line']]);
  });

  it('leaves sound multi-line fields alone', async () => {
    const file = path.join(dir, 'multiline.csv');
    await writeFile(file, ['title,url,text', row('Alpha', `"${body('Alpha')}\nA second paragraph, with commas, quotes ""like this"", and www.example.org."`), row('Beta', body('Beta')), ''].join('\n'));
    const { articles, problems } = await loadCorpus([file]);
    expect([articles.map((a) => a.title), problems]).toEqual([['Alpha', 'Beta'], []]);
  });
});

describe('ask --batch: bad usage is exit 2 with one line', () => {
  it('a folder, and a file where no line is a question', async () => {
    const out = await goodIndex('batch-index');
    const folder = path.join(dir, 'batch-folder');
    await mkdir(folder, { recursive: true });
    const r = await run('src/cli/ask.ts', ['--index', out, '--batch', folder]);
    expect([r.code, oneLine(r)]).toEqual([2, `error: --batch ${folder} is a folder: pass a JSONL file with one {"id", "question"} object per line.`]);
    const bad = path.join(dir, 'bad.jsonl');
    await writeFile(bad, '{"q": "no question field"}\nnot json\n');
    const all = await run('src/cli/ask.ts', ['--index', out, '--batch', bad]);
    expect(all.code).toBe(2);
    expect(all.stdout).toBe('');
    expect(oneLine(all).split('\n').slice(-3)).toEqual([
      `${bad}:1: no "question" string, skipped`,
      `${bad}:2: not valid JSON, skipped`,
      `error: ${bad} holds no questions: each line must be a JSON object with a "question" string, e.g. {"id": "q1", "question": "Who won?"}.`,
    ]);
  }, 60_000);
});

describe('files that hold no articles are named, not skipped silently', () => {
  it('other formats and empty files, with the reason', async () => {
    const folder = path.join(dir, 'mixed-formats');
    await mkdir(folder, { recursive: true });
    const text = 'The ferry to the island resumed service on Monday after the storm damaged its ramp last week.';
    await writeFile(path.join(folder, 'good.jsonl'), `${JSON.stringify({ title: 'Ferry', text })}\n`);
    await writeFile(path.join(folder, 'table.tsv'), `title\ttext\nFerry\t${text}\n`);
    await writeFile(path.join(folder, 'feed.xml'), '<rss></rss>\n');
    await writeFile(path.join(folder, 'old.jsonl.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
    await writeFile(path.join(folder, 'empty.jsonl'), '');
    await writeFile(path.join(folder, 'empty.csv'), '\n\n');
    const { articles, problems } = await loadCorpus([folder]);
    expect(articles).toHaveLength(1);
    expect(problems.map((p) => [path.basename(p.source), p.message.replace(/ \(supported: .*\)$/, '')]).sort()).toEqual([
      ['empty.csv', 'empty'],
      ['empty.jsonl', 'empty'],
      ['feed.xml', 'not a corpus format: .xml'],
      ['old.jsonl.gz', 'not a corpus format: .gz'],
      ['table.tsv', 'not a corpus format: .tsv'],
    ]);
  });
});

describe('a recovered index pointer', () => {
  it('is mentioned on stderr by ask and status, which still answer', async () => {
    const out = await goodIndex('pointer');
    await rm(path.join(out, 'current'));
    for (const [script, args] of [
      ['src/cli/status.ts', ['--index', out]],
      ['src/cli/ask.ts', ['--index', out, 'tram']],
    ] as const) {
      const r = await run(script, args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`^Note: ${out}/current was missing; using the newest complete index, index-.*\\.db \\(the next \`npm run index\` repairs the pointer\\)\\.$`, 'm'));
    }
  }, 60_000);
});
