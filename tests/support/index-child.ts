/**
 * A real indexing process for the engine tests: runs the core's buildIndex on OUT with the given
 * corpus (lexical only), printing `stage <name>` as each build stage starts and the report as JSON
 * at the end, and `merge <pages>` as a keyword merge writes its pages. SIGTERM aborts the build, as
 * `npm run index` does. KEYWORD_WRITE_MB in the environment is the write budget.
 * Usage: node --import tsx tests/support/index-child.ts OUT [--rebuild] CORPUS...
 */
import { coreConfigSchema } from '../../src/config.js';
import { buildIndex } from '../../src/indexer/build.js';

const args = process.argv.slice(2);
const out = args.shift()!;
const controller = new AbortController();
process.on('SIGTERM', () => controller.abort());
let stage = '';
try {
  const report = await buildIndex({
    corpus: args.filter((a) => !a.startsWith('--')),
    out,
    rebuild: args.includes('--rebuild'),
    lexicalOnly: true,
    settings: coreConfigSchema.parse({ KEYWORD_WRITE_MB: process.env.KEYWORD_WRITE_MB }),
    signal: controller.signal,
    onProgress: (p) => {
      if (p.stage !== stage) {
        stage = p.stage;
        process.stdout.write(`stage ${p.stage}\n`);
      }
      if (p.stage === 'merge') process.stdout.write(`merge ${p.done}\n`);
    },
  });
  process.stdout.write(`${JSON.stringify({ ok: true, kind: report.kind, articles: report.articles })}\n`);
} catch (err) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: (err as Error).message })}\n`);
  process.exitCode = 1;
}
