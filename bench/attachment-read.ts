/**
 * What reading one `/sources add` file costs (the check worker's job, src/bot/check-worker.ts): a
 * made-up HTML article of N MB (HTML is the slowest format to read), read with the ingest loader as
 * the worker does; prints the time and the process's peak RSS. SOURCES_MAX_FILE_MB's ceiling comes from it.
 * Usage: npx tsx bench/attachment-read.ts 2 10
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadCorpus } from '../src/ingest/stream.js';
import { seededRandom } from '../src/random.js';

const WORDS = 'harbour council ferry orchard river bridge school market festival library railway tram museum budget winter storm farmers bakery island clinic'.split(' ');
const dir = mkdtempSync(path.join(os.tmpdir(), 'archivist-attachment-read-'));
try {
  for (const mb of process.argv.slice(2).map(Number)) {
    const rand = seededRandom(19);
    const parts = ['<!doctype html><html><head><title>A very long town chronicle</title></head><body><article>'];
    let size = 0;
    while (size < mb * 1e6) {
      const p = `<p>The ${Array.from({ length: 120 }, () => WORDS[Math.floor(rand() * WORDS.length)]).join(' ')}.</p>\n`;
      parts.push(p);
      size += p.length;
    }
    parts.push('</article></body></html>');
    const file = path.join(dir, `chronicle-${mb}.html`);
    writeFileSync(file, parts.join(''));
    const t = performance.now();
    const loaded = await loadCorpus([file], { maxArticleChars: 20_000 });
    const ms = Math.round(performance.now() - t);
    console.log(`${mb} MB HTML: read in ${ms} ms, ${loaded.articles.length} article, peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB (load average ${os.loadavg()[0]!.toFixed(1)} on ${os.availableParallelism()} cores)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
