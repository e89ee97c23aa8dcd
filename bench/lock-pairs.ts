/**
 * The writer lock under contention: N pairs of indexing processes started together on a fresh
 * folder each (default 200). Counts refusals, double publishes (two full builds of one folder,
 * which the lock must make impossible) and folders that do not open afterwards.
 * Usage: tsx bench/lock-pairs.ts [PAIRS]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Searcher } from '../src/search/searcher.js';
import { coreConfigSchema } from '../src/config.js';

const pairs = Number(process.argv[2] ?? 200);
const tmp = await mkdtemp(path.join(os.tmpdir(), 'archivist-lock-'));
const settings = { ...coreConfigSchema.parse({}), ALLOW_REMOTE_MODELS: false };

async function run(out: string): Promise<{ ok: boolean; kind?: string; error?: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/support/index-child.ts', out, 'corpus'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  await once(child, 'close');
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{"ok":false,"error":"no output"}') as { ok: boolean; kind?: string; error?: string };
}

const counts = { pairs: 0, bothOk: 0, refused: 0, doublePublish: 0, otherErrors: 0, unreadable: 0 };
for (let i = 0; i < pairs; i++) {
  const out = path.join(tmp, `pair-${i}`);
  const [a, b] = await Promise.all([run(out), run(out)]);
  counts.pairs++;
  if (a.ok && b.ok) counts.bothOk++;
  for (const r of [a, b]) {
    if (!r.ok && /Another index build/.test(r.error ?? '')) counts.refused++;
    else if (!r.ok) counts.otherErrors++;
  }
  if ([a, b].filter((r) => r.kind === 'full').length > 1 || (await readdir(out)).filter((f) => f.endsWith('.db')).length !== 1) counts.doublePublish++;
  try {
    const s = await Searcher.open(out, settings, { model: 'never' });
    if (s.status().articles !== 2) counts.unreadable++;
    await s.close();
  } catch {
    counts.unreadable++;
  }
  await rm(out, { recursive: true, force: true });
  if ((i + 1) % 20 === 0) process.stderr.write(`${i + 1} pairs: ${JSON.stringify(counts)}\n`);
}
await rm(tmp, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify(counts)}\n`);
