/** Follow-up questions in the search core (src/search/follow-up.ts), over a real index built in a temp dir. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIndex } from '../src/indexer/build.js';
import { Searcher } from '../src/search/searcher.js';
import { REPO, tempDir, testSettings } from './support/corpus.js';
import { FOLLOW_UP, writeFollowUpCorpus } from './support/follow-up-corpus.js';

let cleanup: () => Promise<void>;
let index: string;
let searcher: Searcher;
const settings = testSettings({ EMBEDDING_MODEL: 'no-such-org/no-such-model' });

beforeAll(async () => {
  let dir: string;
  ({ dir, cleanup } = await tempDir('archivist-follow-up-'));
  const corpus = await writeFollowUpCorpus(path.join(dir, 'corpus'));
  index = path.join(dir, 'index');
  await buildIndex({ corpus: [corpus], out: index, settings });
  searcher = await Searcher.open(index, settings);
}, 60_000);
afterAll(async () => {
  await searcher?.close();
  await cleanup?.();
});

describe('follow-up questions', () => {
  it('the earlier question answers from its own article', async () => {
    const first = await searcher.ask(FOLLOW_UP.first);
    expect(first.results[0]?.title).toBe(FOLLOW_UP.titles.dniprovka);
    expect(first.followUp).toBeUndefined();
  });

  it('"What about Mykolaiv?" alone finds the shipyard; after the evacuation question, the Mykolaiv evacuation', async () => {
    const alone = await searcher.ask(FOLLOW_UP.followUp, { evenIfUnsure: true });
    expect(alone.results[0]?.title).toBe(FOLLOW_UP.titles.shipyard);
    const followed = await searcher.ask(FOLLOW_UP.followUp, { context: [FOLLOW_UP.first], evenIfUnsure: true });
    expect(followed.results[0]?.title).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
    expect(followed.followUp).toMatchObject({ used: [FOLLOW_UP.first], topicChange: false });
    // The follow-up names its own place: the earlier one (Dniprovka) is swapped out, not added.
    expect(followed.followUp?.terms).toEqual(expect.arrayContaining(['urg', 'resid']));
    expect(followed.followUp?.terms.some((t) => t.startsWith('dniprovk'))).toBe(false);
    expect(followed.results[0]?.title).not.toBe(FOLLOW_UP.titles.dniprovka);
  });

  it('a follow-up that changes topic is answered as if asked alone', async () => {
    const alone = await searcher.ask(FOLLOW_UP.otherTopic);
    const followed = await searcher.ask(FOLLOW_UP.otherTopic, { context: [FOLLOW_UP.first] });
    expect(followed.followUp).toEqual({ used: [], terms: [], topicChange: true });
    expect(followed.results.map((r) => r.chunkId)).toEqual(alone.results.map((r) => r.chunkId));
    expect(followed.results[0]?.title).toBe(FOLLOW_UP.titles.wheat);
  });

  it('"When did that happen?" points back: never a new topic, and answered from the earlier question\'s article', async () => {
    // evenIfUnsure: in five articles "happen" weighs as much as a rare word, so the answer is not a confident one.
    const followed = await searcher.ask('When did that happen?', { context: [FOLLOW_UP.first], evenIfUnsure: true });
    expect(followed.followUp).toMatchObject({ used: [FOLLOW_UP.first], topicChange: false });
    expect(followed.results[0]?.title).toBe(FOLLOW_UP.titles.dniprovka);
    expect(followed.results[0]?.quote).toMatch(/18 October/);
  });

  it('a short follow-up is judged as part of the conversation: the everyday-request model reads only messages that stand alone', async () => {
    const message = 'Can residents go home yet?';
    const alone = await searcher.ask(message, { evenIfUnsure: true });
    expect(alone.confidence?.chat).toBe('everyday');
    const followed = await searcher.ask(message, { context: [FOLLOW_UP.first], evenIfUnsure: true });
    expect(followed.followUp).toMatchObject({ used: [FOLLOW_UP.first] });
    expect(followed.confidence?.chat).toBeUndefined();
  });

  it('a complete question on the same topic is answered alone, without starting a new topic; stop words are never carried', async () => {
    const question = 'When did the evacuation of the residents begin?';
    const alone = await searcher.ask(question);
    const followed = await searcher.ask(question, { context: [FOLLOW_UP.first] });
    expect(followed.followUp).toEqual({ used: [], terms: [], topicChange: false });
    expect(followed.results.map((r) => r.chunkId)).toEqual(alone.results.map((r) => r.chunkId));
    expect(followed.results[0]?.title).toBe(FOLLOW_UP.titles.dniprovka);
  });

  it('a question with one content word is not taken as complete: "How many buses?" carries the context', async () => {
    const followed = await searcher.ask('How many buses?', { context: [FOLLOW_UP.first], evenIfUnsure: true });
    expect(followed.followUp?.used).toEqual([FOLLOW_UP.first]);
    expect(followed.followUp?.terms).not.toContain('the');
    expect(followed.followUp?.terms).not.toContain('what');
    expect(followed.results[0]?.title).toBe(FOLLOW_UP.titles.dniprovka);
  });

  it('older questions in the chain weigh less and a question with nothing of its own still searches the context', async () => {
    const followed = await searcher.ask('And then?', { context: ['What about Mykolaiv?', FOLLOW_UP.first], evenIfUnsure: true });
    expect(followed.abstained).toBe(false);
    expect(followed.followUp?.used).toEqual(['What about Mykolaiv?', FOLLOW_UP.first]);
  });
});

describe('npm run ask -- --follow-up', () => {
  const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await promisify(execFile)(path.join(REPO, 'node_modules/.bin/tsx'), ['src/cli/ask.ts', '--index', index, ...args], {
        cwd: REPO,
        env: { ...process.env, EMBEDDING_MODEL: '', ALLOW_REMOTE_MODELS: 'false' },
      });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  };

  it('carries the earlier question over, and says so', { timeout: 30_000 }, async () => {
    const r = await run(['--json', '--show-anyway', '--follow-up', FOLLOW_UP.first, FOLLOW_UP.followUp]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { followUp: { used: string[] }; results: { title: string }[] };
    expect(out.followUp.used).toEqual([FOLLOW_UP.first]);
    expect(out.results[0]?.title).toBe(FOLLOW_UP.titles.mykolaivEvacuation);
    const text = await run(['--show-anyway', '--follow-up', FOLLOW_UP.first, FOLLOW_UP.followUp]);
    expect(text.stdout).toContain(`Following up on: "${FOLLOW_UP.first}"`);
  });

  it('an empty --follow-up is a usage error', { timeout: 30_000 }, async () => {
    const r = await run(['--follow-up', ' ', FOLLOW_UP.followUp]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--follow-up needs the earlier question/);
  });
});
