import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '../src/random.js';
import { readQuestions } from '../eval/evaluate.js';

/**
 * Our own answerable train or dev questions with one typing slip each, as people make them in chat:
 * two neighbouring letters swapped, a letter dropped or doubled, or a key's neighbour struck, in one
 * word of five or more letters (never its first letter). Measures what slips cost the search.
 *
 *   npx tsx bench/typos.ts train|dev      → .cache/typos/<split>.jsonl
 *   npm run eval -- --lexical-only --no-rtqa --questions .cache/typos/<split>.jsonl
 */
const NEIGHBOURS: Record<string, string> = {
  q: 'wa', w: 'qes', e: 'wrd', r: 'etf', t: 'ryg', y: 'tuh', u: 'yij', i: 'uok', o: 'ipl', p: 'ol',
  a: 'qsz', s: 'adwx', d: 'sfe', f: 'dgr', g: 'fht', h: 'gjy', j: 'hku', k: 'jli', l: 'ko',
  z: 'xas', x: 'zcs', c: 'xvd', v: 'cbf', b: 'vng', n: 'bmh', m: 'nj',
};

const split = process.argv[2];
if (split !== 'train' && split !== 'dev') throw new Error('usage: npx tsx bench/typos.ts train|dev');
const random = seededRandom(split === 'train' ? 23 : 91);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

function slip(word: string): string {
  const i = 1 + Math.floor(random() * (word.length - 2));
  const kind = Math.floor(random() * 4);
  if (kind === 0) return word.slice(0, i) + word[i + 1] + word[i] + word.slice(i + 2);
  if (kind === 1) return word.slice(0, i) + word.slice(i + 1);
  if (kind === 2) return word.slice(0, i) + word[i] + word.slice(i);
  const near = NEIGHBOURS[word[i]!.toLowerCase()];
  return near ? word.slice(0, i) + pick([...near]) + word.slice(i + 1) : word.slice(0, i) + word.slice(i + 1);
}

const questions = (await readQuestions(`eval/questions/hard/${split}.jsonl`)).filter((q) => !q.unanswerable);
const lines = questions.map((q) => {
  const words = [...q.question.matchAll(/\p{L}{5,}/gu)];
  if (words.length === 0) return JSON.stringify({ ...q, id: `${q.id}-typo` });
  const m = pick(words);
  const question = q.question.slice(0, m.index) + slip(m[0]) + q.question.slice(m.index! + m[0].length);
  return JSON.stringify({ ...q, id: `${q.id}-typo`, question });
});
const out = path.join('.cache', 'typos', `${split}.jsonl`);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${lines.join('\n')}\n`);
console.log(`${lines.length} questions → ${out}`);
