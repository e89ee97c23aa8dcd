import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { DOMParser } from 'linkedom';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerMessage, headingLine } from '../src/bot/format.js';
import type { Answer } from '../src/types.js';
import { inlineMarkdown, markdown, messageHtml } from '../scripts/discord-preview.js';
import { skipOrFail } from './support/ci.js';
import { REPO, tempDir } from './support/corpus.js';

const answer: Answer = {
  question: 'What did Saldo urge?',
  abstained: false,
  mode: 'lexical',
  more: false,
  tookMs: 12,
  timings: {},
  confidence: { probability: 0.9, confident: true, strong: true, features: [], coverage: 1, quoteCoverage: 1 },
  results: [
    {
      rank: 1,
      score: 1,
      title: 'Saldo *urges* <residents> to leave',
      outlet: 'Example News',
      date: '2022-10-19',
      url: 'https://example.com/a?x=1&y=2',
      source: 'a.txt',
      articleId: 'a',
      chunkId: 1,
      quote: '',
      quoteSentences: [
        { text: 'Before it.', best: false },
        { text: '"Take your children and leave," he urged.', best: true },
      ],
      passage: '',
    },
    {
      rank: 2,
      score: 0.5,
      title: 'Undated piece',
      source: 'b.txt',
      articleId: 'b',
      chunkId: 2,
      quote: '',
      quoteSentences: [{ text: 'Only sentence.', best: true }],
      passage: '',
    },
  ],
};

type Doc = ReturnType<DOMParser['parseFromString']>;
const page = (html: string): Doc => new DOMParser().parseFromString(html, 'text/html');

describe('markdown of bot messages to HTML', () => {
  it('renders bold, italics and links, shows escaped characters as written, and escapes HTML', () => {
    expect(inlineMarkdown('**a** *b* [c](https://x.y/z)')).toBe('<strong>a</strong> <em>b</em> <a href="https://x.y/z">c</a>');
    expect(inlineMarkdown('\\*not italic\\* \\_x\\_ <b>')).toBe('*not italic* _x_ &lt;b&gt;');
    expect(inlineMarkdown('[x](javascript:alert(1))')).toBe('[x](javascript:alert(1))');
    // A backslash before anything else stays (as in Discord).
    expect(inlineMarkdown('a\\“b\\\\c')).toBe('a\\“b\\c');
  });
  it('renders quotes and small text as blocks', () => {
    expect(markdown('**Q:** hi\n-# Strong match\n> quoted **best**')).toBe(
      '<div><strong>Q:</strong> hi</div>\n<div class="subtext">Strong match</div>\n<blockquote>quoted <strong>best</strong></blockquote>',
    );
  });
});

describe('the preview page of a real answer message', () => {
  const message = answerMessage(answer, { heading: headingLine('Question:', answer.question), noneText: 'No source.' });
  const doc = page(messageHtml(message, { botName: 'Archivist', command: { user: 'reader', name: 'ask' }, time: 'Today at 12:00' }));

  it('shows the heading, the confidence line and one embed per result with its colour bar', () => {
    expect(doc.querySelector('.content')!.textContent).toContain('Question: What did Saldo urge?');
    expect(doc.querySelector('.content .subtext')!.textContent).toBe('Strong match');
    const embeds = [...doc.querySelectorAll('.embed')];
    expect(embeds).toHaveLength(2);
    for (const e of embeds) expect(e.getAttribute('style')).toBe('border-left-color: #5865f2');
    expect(doc.querySelector('.reply-to')!.textContent).toBe('reader used /ask');
  });

  it('links the title, shows it as written (escaped markdown, HTML) and bolds the best quote sentence', () => {
    const link = doc.querySelector('.embed .title a')!;
    expect(link.getAttribute('href')).toBe('https://example.com/a?x=1&y=2');
    expect(link.textContent).toBe('Saldo *urges* <residents> to leave');
    expect(doc.querySelector('.embed .description blockquote')!.textContent).toBe('Before it. "Take your children and leave," he urged.');
    expect(doc.querySelector('.embed .description blockquote strong')!.textContent).toBe('"Take your children and leave," he urged.');
    // An article without a URL has a plain title.
    expect(doc.querySelectorAll('.embed')[1]!.querySelector('.title a')).toBeNull();
  });

  it('shows the outlet and date fields and the footers as Discord does (plain text)', () => {
    const fields = [...doc.querySelectorAll('.embed')[0]!.querySelectorAll('.field')].map((f) => [f.querySelector('.field-name')!.textContent, f.querySelector('.field-value')!.textContent]);
    expect(fields).toEqual([
      ['Outlet', 'Example News'],
      ['Published', '2022-10-19'],
    ]);
    expect([...doc.querySelectorAll('.footer')].map((f) => f.textContent)).toEqual(['Result 1', 'Result 2 · keyword search · 12 ms']);
  });
});

describe('npm run render-answer', () => {
  const TSX = path.join(REPO, 'node_modules/.bin/tsx');
  const run = promisify(execFile);
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(async () => cleanup());

  it('says how to install Chromium when it is missing, before indexing anything', async () => {
    const failed = await run(TSX, ['scripts/render-answer.ts', '--chromium', path.join(dir, 'no-chromium'), '--out', path.join(dir, 'a.png')], { cwd: REPO }).catch(
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed).toMatchObject({ code: 1 });
    const { stderr } = failed as { stderr: string };
    expect(stderr).toContain('Chromium was not found');
    expect(stderr).toContain('apt-get install -y chromium');
    expect(stderr).not.toContain('Indexed');
  });

  const chromium = (() => {
    try {
      execFileSync('chromium', ['--version'], { stdio: 'ignore', timeout: 30_000 });
      return true;
    } catch {
      return skipOrFail('render-answer screenshot: needs `chromium` on PATH (apt-get install -y chromium; .ci/run installs it)');
    }
  })();

  it.runIf(chromium)('indexes the seeds, renders the real answer and writes a PNG of the window size', async () => {
    const out = path.join(dir, 'answer.png');
    const html = path.join(dir, 'answer.html');
    const { stdout } = await run(TSX, ['scripts/render-answer.ts', '--out', out, '--html', html, '--window-size', '640,480'], { cwd: REPO, timeout: 120_000 });
    expect(stdout).toMatch(/^wrote .*answer\.png \(2 results, 2 embeds\)\n$/);
    const png = await readFile(out);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([640, 480]);
    const doc = page(await readFile(html, 'utf8'));
    expect(doc.querySelector('.content')!.textContent).toContain('What did Saldo urge Kherson residents to do?');
    expect(doc.querySelector('.embed .description strong')!.textContent).toContain('Saldo');
  }, 120_000);
});
