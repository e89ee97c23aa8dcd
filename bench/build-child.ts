/**
 * Child process of the bench: one `buildIndex` run, then one JSON line with the report, the peak
 * RSS of this process (the whole build) and its CPU time.
 * Usage: tsx bench/build-child.ts OUT_DIR [--rebuild] [--lexical-only] CORPUS...
 */
import { loadCoreConfig } from '../src/config.js';
import { buildIndex } from '../src/indexer/build.js';

const args = process.argv.slice(2);
const out = args.shift()!;
const rebuild = args.includes('--rebuild');
const lexicalOnly = args.includes('--lexical-only');
const corpus = args.filter((a) => !a.startsWith('--'));
const started = performance.now();
const report = await buildIndex({ corpus, out, settings: loadCoreConfig(), rebuild, lexicalOnly });
const wallMs = performance.now() - started;
const usage = process.resourceUsage();
process.stdout.write(`${JSON.stringify({ report: { ...report, problems: report.problems.length }, wallMs, peakRssMB: Math.round(usage.maxRSS / 1024), cpuMs: Math.round((usage.userCPUTime + usage.systemCPUTime) / 1000) })}\n`);
