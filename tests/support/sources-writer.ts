/**
 * A real process changing the sources kept from chat, as one shard of a sharded bot does: N times,
 * under the sources lock, it keeps a file and puts an article on the removal list, then takes its
 * first one off again; prints `done`. For the kept sources' concurrency test.
 * Usage: node --import tsx tests/support/sources-writer.ts DATA_DIR NAME N
 */
import { writeFile } from 'node:fs/promises';
import { withSourcesLock } from '../../src/bot/sources-lock.js';
import { addRemoval, forgetRemovals, incomingPath, keepFile } from '../../src/ingest/kept-sources.js';

const [dataDir, name, count] = process.argv.slice(2);
for (let i = 0; i < Number(count); i++) {
  await withSourcesLock(dataDir!, async () => {
    const staged = await incomingPath(dataDir!, `${name}-${i}.jsonl`);
    await writeFile(staged, `{"id":"${name}-${i}","title":"t","text":"x"}\n`);
    await keepFile(dataDir!, staged, `${name}-${i}.jsonl`);
    await addRemoval(dataDir!, { id: `${name}-${i}`, title: `${name} ${i}`, at: new Date().toISOString(), by: name! });
  });
}
await withSourcesLock(dataDir!, () => forgetRemovals(dataDir!, [`${name}-0`]));
process.stdout.write('done\n');
