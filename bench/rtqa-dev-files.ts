import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RTQA_DIR, loadRealtimeQa } from '../eval/realtimeqa-data.js';

/**
 * `npx tsx bench/rtqa-dev-files.ts OUT_DIR`: writes RealtimeQA 2022 as a corpus (every week's documents)
 * and its DEV weeks' questions only (weeks ordered by date: first 60 % train, next 20 % dev, last 20 %
 * test), so `npm run eval -- --questions OUT/dev.jsonl --corpus OUT/corpus.jsonl` never asks a test week.
 */
const out = process.argv[2];
if (!out) throw new Error('usage: tsx bench/rtqa-dev-files.ts OUT_DIR');
const set = await loadRealtimeQa(DEFAULT_RTQA_DIR);
const weeks = [...new Set(set.questions.map((q) => q.id.slice(0, 8)))].sort();
const devWeeks = new Set(weeks.slice(Math.round(weeks.length * 0.6), Math.round(weeks.length * 0.8)));
const dev = set.questions.filter((q) => devWeeks.has(q.id.slice(0, 8)));
await mkdir(out, { recursive: true });
await writeFile(path.join(out, 'corpus.jsonl'), `${set.docs.map((d) => JSON.stringify(d)).join('\n')}\n`);
await writeFile(path.join(out, 'dev.jsonl'), `${dev.map((q) => JSON.stringify(q)).join('\n')}\n`);
process.stderr.write(`${set.docs.length} documents; dev weeks ${[...devWeeks].join(', ')}: ${dev.length} questions → ${out}\n`);
