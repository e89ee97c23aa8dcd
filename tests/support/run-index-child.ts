/** Runs tests/support/index-child.ts (a build in its own process, printing its progress), for kill and signal tests. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './corpus.js';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface IndexChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  lines: string[];
}

/**
 * Runs the child with `args` in `cwd`; `onLine` sees each stdout line with a way to signal the child.
 * Resolves with its exit code or signal and every line it printed.
 */
export function runIndexChild(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
  onLine?: (line: string, kill: (signal: NodeJS.Signals) => void) => void,
): Promise<IndexChildResult> {
  const child = spawn(process.execPath, ['--import', TSX, path.join(REPO, 'tests/support/index-child.ts'), ...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let pending = '';
  child.stdout.on('data', (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      onLine?.(line, (signal) => child.kill(signal));
    }
  });
  return once(child, 'close').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, lines }));
}
