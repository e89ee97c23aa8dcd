import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { analyze } from '../src/text/analyze.js';
import { DEFAULT_RELATED, RelatedCollector, type RelatedOptions } from '../src/text/related.js';

/**
 * Corpus-learned related words (src/text/related.ts) on an existing index: the time to learn them
 * from its passages and example neighbour lists; with --write, stores them in the index (as a
 * build would), so settings can be compared without re-indexing.
 * `tsx bench/related-neighbours.ts INDEX_DIR [--write] [--set key=value ...] [term ...]`
 */
const args = process.argv.slice(2);
const dir = args.shift();
if (!dir) throw new Error('usage: tsx bench/related-neighbours.ts INDEX_DIR [--write] [--set key=value ...] [term ...]');
const options: RelatedOptions = { ...DEFAULT_RELATED };
let write = false;
const terms: string[] = [];
while (args.length) {
  const a = args.shift()!;
  if (a === '--write') write = true;
  else if (a === '--set') {
    const [key, value] = args.shift()!.split('=') as [keyof RelatedOptions, string];
    if (!(key in options)) throw new Error(`unknown option ${key}`);
    options[key] = Number(value);
  } else terms.push(a);
}
const { file } = await resolveIndex(dir);
const db = IndexDatabase.open(file, { readonly: !write });
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let t0 = performance.now();
let c0 = cpu();
const collector = new RelatedCollector();
for (const text of db.db.prepare('SELECT text FROM passages ORDER BY id').pluck().iterate() as IterableIterator<string>) collector.add(analyze(text));
const analyseMs = performance.now() - t0;
const analyseCpu = cpu() - c0;
t0 = performance.now();
c0 = cpu();
const related = collector.compute(options);
const computeMs = performance.now() - t0;
const computeCpu = cpu() - c0;
const pairs = Object.values(related).reduce((s, l) => s + l.length, 0);
console.log(
  `${collector.passages} passages; analysis ${analyseMs.toFixed(0)} ms (${analyseCpu.toFixed(0)} ms CPU; a build does it anyway); related words ${computeMs.toFixed(0)} ms (${computeCpu.toFixed(0)} ms CPU); ` +
    `${Object.keys(related).length} terms with ${pairs} neighbours; rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB; ${JSON.stringify(options)}`,
);
for (const t of terms) console.log(`${t}: ${(related[t] ?? []).map(([u, s]) => `${u} ${s}`).join(', ')}`);
if (write) {
  db.transaction(() => db.replaceRelated(related));
  console.log(`written to ${file}`);
}
db.close();
