import { execFile } from 'node:child_process';
import { chmod, cp, mkdir, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { EmbeddedBackend } from '../src/storage/embedded.js';
import { IndexError } from '../src/storage/errors.js';
import { resolveIndex } from '../src/storage/folder.js';
import { REPO, SEED_CORPUS, tempDir, testSettings } from './support/corpus.js';

/** The note for a `current` pointer that names no database says what is wrong with it, not "missing or empty" whatever it held. */
let dir: string;
let cleanup: () => Promise<void>;
let good: string;
let database: string;
let copies = 0;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('archivist-pointer-note-'));
  good = path.join(dir, 'good');
  await buildIndex({ corpus: [SEED_CORPUS], out: good, settings: testSettings(), lexicalOnly: true });
  database = path.basename((await resolveIndex(good)).file);
}, 60_000);
afterAll(() => cleanup());

/** A copy of the good index whose pointer holds `content` (null: no pointer). */
async function withPointer(content: string | Buffer | null): Promise<string> {
  const out = path.join(dir, `copy-${++copies}`);
  await cp(good, out, { recursive: true });
  await rm(path.join(out, 'current'));
  if (content !== null) await writeFile(path.join(out, 'current'), content);
  return out;
}

const note = (out: string, problem: string): string =>
  `${out}/current ${problem}; using the newest complete index, ${database} (the next \`npm run index\` repairs the pointer).`;

/** What a reader is told, and that it still opens the live database. */
async function recovered(out: string): Promise<string | undefined> {
  const resolved = await resolveIndex(out);
  expect(path.basename(resolved.file)).toBe(database);
  return resolved.recovered;
}

describe('a pointer that names no database, with a good database beside it', () => {
  it('missing, empty, or only whitespace', async () => {
    let out = await withPointer(null);
    expect(await recovered(out)).toBe(note(out, 'was missing'));
    for (const empty of ['', ' \n\n']) {
      out = await withPointer(empty);
      expect(await recovered(out)).toBe(note(out, 'was empty'));
    }
  });

  it('a name of a database that is gone', async () => {
    const out = await withPointer('index-20200101T000000Z-gone00.db\n');
    expect(await recovered(out)).toBe(note(out, 'named index-20200101T000000Z-gone00.db, which is missing'));
  });

  it('text that is no database name: quoted, short', async () => {
    let out = await withPointer('the river ferry timetable\n');
    expect(await recovered(out)).toBe(note(out, 'held "the river ferry timetable", not the name of an index database (index-….db)'));
    // A long text is cut, with its size; tabs and the like are not printed as they are.
    out = await withPointer(`${'granary\tquay '.repeat(100)}\n`);
    expect(await recovered(out)).toBe(note(out, 'held "granary?quay granary?quay granary?quay g…" (1301 bytes), not the name of an index database (index-….db)'));
  });

  it('binary data: its size, never its bytes', async () => {
    const out = await withPointer(Buffer.from([0x53, 0x51, 0x4c, 0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x33, 0x31, 0x6d, 0x07]));
    const message = await recovered(out);
    expect(message).toBe(note(out, 'held 12 bytes of binary data, not the name of an index database'));
  });

  it('a folder named current: says so, and that it must be removed', async () => {
    const out = await withPointer(null);
    await mkdir(path.join(out, 'current'));
    expect(await recovered(out)).toBe(
      `${out}/current is a folder, not a file; using the newest complete index, ${database} (remove that folder, then the next \`npm run index\` writes the pointer).`,
    );
  });

  it('a pointer that cannot be read: the error code', async () => {
    // A link to itself: ELOOP, whoever runs the test (root reads any file).
    const out = await withPointer(null);
    await symlink('current', path.join(out, 'current'));
    expect(await recovered(out)).toBe(note(out, 'could not be read (ELOOP)'));
  });

  it.skipIf(process.getuid?.() === 0)('a pointer this user may not read: the error code', async () => {
    const out = await withPointer(`${database}\n`);
    await chmod(path.join(out, 'current'), 0o000);
    try {
      expect(await recovered(out)).toBe(note(out, 'could not be read (EACCES)'));
    } finally {
      await chmod(path.join(out, 'current'), 0o644);
    }
  });

  it('an index opened through it answers, and the note reaches onNotice', async () => {
    const out = await withPointer('hello\n');
    const notices: string[] = [];
    const backend = await EmbeddedBackend.open(out, { efSearch: 20, onNotice: (m) => notices.push(m) });
    expect(backend.info.articles).toBeGreaterThan(0);
    await backend.close();
    expect(notices).toEqual([note(out, 'held "hello", not the name of an index database (index-….db)')]);
  });

  it('`status` prints it as a Note and still describes the index', async () => {
    const out = await withPointer('index-2024.db.bak\n');
    const env = { ...process.env, ALLOW_REMOTE_MODELS: 'false', EMBEDDING_MODEL: '', INDEX_DIR: path.join(dir, 'default-index'), DATA_DIR: path.join(dir, 'data') };
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/status.ts', '--index', out], { cwd: REPO, env, timeout: 60_000 });
    expect(stderr.trim()).toBe(`Note: ${note(out, 'held "index-2024.db.bak", not the name of an index database (index-….db)')}`);
    expect(stdout).toMatch(/^Articles: /m);
  }, 60_000);
});

describe('a pointer that names no database, with none beside it', () => {
  it('is an error saying what the pointer held and the rebuild command', async () => {
    const out = await withPointer('hello\n');
    for (const entry of await readdir(out)) if (entry.startsWith('index-')) await rm(path.join(out, entry));
    const error = await resolveIndex(out).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(IndexError);
    expect((error as Error).message).toBe(
      `${out}/current held "hello", not the name of an index database (index-….db), and ${out} holds no index database: rebuild it with \`npm run index -- --rebuild --out ${out}\`.`,
    );
  });
});

describe('a folder named current when a build publishes', () => {
  it('an update and a rebuild stop with one line naming the folder; the live database is untouched', async () => {
    const out = await withPointer(null);
    await mkdir(path.join(out, 'current'));
    const corpus = path.join(dir, 'folder-pointer-corpus');
    await cp(SEED_CORPUS, corpus, { recursive: true });
    await writeFile(path.join(corpus, 'extra.txt'), 'Harbour pilots vote on a new shift rota\n\nThe harbour pilots of Port Vellan voted on Thursday to adopt a four-shift rota from March.\n');
    for (const rebuild of [false, true]) {
      const error = await buildIndex({ corpus: [corpus], out, settings: testSettings(), lexicalOnly: true, rebuild }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(IndexError);
      expect((error as Error).message).toBe(
        `${out}/current is a folder, not a file, so it cannot name the new index database: remove that folder and run \`npm run index -- --out ${out}\` again (until then ask and the bot use the newest complete index there).`,
      );
      // Readers still find a complete index through the recovery path, and no temporary pointer is left behind.
      expect((await resolveIndex(out)).recovered).toMatch(/is a folder, not a file/);
      expect((await readdir(out)).filter((e) => e.startsWith('.current-'))).toEqual([]);
    }
  }, 60_000);
});
