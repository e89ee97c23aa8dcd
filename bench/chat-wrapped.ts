import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { seededRandom } from '../src/random.js';
import { readQuestions } from '../eval/evaluate.js';

/**
 * Our own train or dev questions as people wrap them in a chat: each question gets an opening
 * and/or a closing. The openings are the ones CLINC150's everyday requests (written by others,
 * eval/questions/everyday) use most ("can you tell me", "i need to know", "do you know") plus
 * Discord habits (a greeting, the bot addressed, "quick question:"); the closings are fillers
 * ("lol", "pls", "thanks"). The frame list in src/search/framing.ts was written for this kind of
 * phrasing, so the set measures what framing cost the search, not how far the list generalises.
 *
 *   npx tsx bench/chat-wrapped.ts train|dev      → .cache/chat-wrapped/<split>.jsonl
 *   npm run eval -- --lexical-only --no-rtqa --questions .cache/chat-wrapped/<split>.jsonl
 */
const OPENINGS = [
  'can you tell me ',
  'i need to know ',
  'i want to know ',
  'do you know ',
  "i'd like to know ",
  'please tell me ',
  'i wanna know ',
  'can you find ',
  'hey ',
  'hey bot, ',
  'hi all, ',
  'quick question: ',
  'does anyone know ',
  'anyone remember ',
  'i was wondering ',
  'ok so ',
  '',
];
const CLOSINGS = ['', '', '', ' lol', ' pls', ' thanks', ' thx!', ' haha', ' please', '?? anyone?'];

const split = process.argv[2];
if (split !== 'train' && split !== 'dev') throw new Error('usage: npx tsx bench/chat-wrapped.ts train|dev');
const random = seededRandom(split === 'train' ? 17 : 71);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
const questions = (await readQuestions(`eval/questions/hard/${split}.jsonl`)).filter((q) => !q.unanswerable);
const lines = questions.map((q) => {
  let opening = pick(OPENINGS);
  const closing = pick(CLOSINGS);
  if (!opening && !closing) opening = 'hey bot, ';
  return JSON.stringify({ ...q, id: `${q.id}-chat`, question: `${opening}${q.question}${closing}` });
});
const out = path.join('.cache', 'chat-wrapped', `${split}.jsonl`);
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${lines.join('\n')}\n`);
console.log(`${lines.length} questions → ${out}`);
