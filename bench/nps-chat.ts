import { readdir, readFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isQuestionLike } from '../src/bot/ask-channels.js';

/**
 * Chat-room chat written by others, as an ask channel would see it: the NPS Chat Corpus (Forsyth,
 * Lin and Martell, 2008; 10,567 posts from age-specific chat rooms in 2006, usernames masked; for
 * non-commercial research use only, so it is read from a local copy and never committed). Every
 * post the bot's own rule calls question-like (`isQuestionLike`: a "?" at the end or a question
 * word first) is an unanswerable question here: none asks about the news. Split by chat-room
 * session, in file order: the first ten sessions train, the next four dev; the last is left unread.
 *
 *   fetch github:nltk/nltk_data (or nltk.download('nps_chat')), unzip packages/corpora/nps_chat.zip
 *   npx tsx bench/nps-chat.ts <nps_chat folder>      → .cache/nps-chat/{train,dev}.jsonl
 *   npm run eval -- --lexical-only --no-rtqa --questions .cache/nps-chat/train.jsonl
 */
const folder = process.argv[2];
if (!folder) throw new Error('usage: npx tsx bench/nps-chat.ts <nps_chat folder>');
const files = (await readdir(folder)).filter((f) => f.endsWith('.xml')).sort();
const splits = { train: files.slice(0, 10), dev: files.slice(10, 14) };
const out = path.join('.cache', 'nps-chat');
await mkdir(out, { recursive: true });

const xmlText = (s: string): string =>
  s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');

for (const [split, names] of Object.entries(splits)) {
  const lines: string[] = [];
  for (const name of names) {
    const xml = await readFile(path.join(folder, name), 'utf8');
    let n = 0;
    for (const m of xml.matchAll(/<Post class="([^"]+)" user="[^"]*">([^<]*)<terminals>/g)) {
      n++;
      if (m[1] === 'System') continue;
      // Masked usernames ("10-19-20sUser7") stand where a chat client puts a mention.
      const text = xmlText(m[2]!).replace(/\b\d+-\d+-\w+?User\d+\b/g, '').replace(/\s+/g, ' ').trim().replace(/^[,:]\s*/, '');
      if ((text.match(/[A-Za-z]{2,}/g) ?? []).length < 3 || !isQuestionLike(text)) continue;
      lines.push(JSON.stringify({ id: `${name.replace(/_.*$/, '')}-${n}`, question: text, category: 'chat-room', unanswerable: true }));
    }
  }
  await writeFile(path.join(out, `${split}.jsonl`), `${lines.join('\n')}\n`);
  process.stdout.write(`${split}: ${lines.length} question-like posts from ${names.length} sessions → ${path.join(out, `${split}.jsonl`)}\n`);
}
