import { IndexDatabase } from '../src/storage/database.js';
import { resolveIndex } from '../src/storage/folder.js';
import { analyze } from '../src/text/analyze.js';
import { RelatedCollector, DEFAULT_RELATED } from '../src/text/related.js';
const { file } = await resolveIndex('/tmp/pb-a');
const db = IndexDatabase.open(file, { readonly: true });
const c = new RelatedCollector();
for (const text of db.db.prepare('SELECT text FROM passages ORDER BY id').pluck().iterate() as IterableIterator<string>) c.add(analyze(text));
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
for (const opts of JSON.parse(process.argv[2] ?? '[{}]')) {
  const t = cpu();
  const r = c.compute({ ...DEFAULT_RELATED, ...opts });
  const ms = cpu() - t;
  let pairs = 0, sim = 0;
  for (const l of Object.values(r)) { pairs += l.length; for (const [, x] of l) sim += x; }
  console.log(JSON.stringify(opts), 'compute CPU', ms.toFixed(0), 'ms; terms', Object.keys(r).length, 'pairs', pairs, 'sim', sim.toFixed(0));
}
