import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { AccessError } from './errors.js';

/**
 * `mkdir -p` that always ends. Node's `mkdir(dir, { recursive: true })` never returns where the parent
 * exists but refuses new entries with ENOENT (procfs, e.g. `--out /proc/x`): it retries forever.
 * Here each missing folder is made once, from the top; a refusal is an AccessError naming the folder,
 * the code and `fix` (permission and read-only errors keep their code, for accessProblem()).
 */
export async function makeFolder(dir: string, fix = 'name another folder'): Promise<void> {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const info = await stat(at).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (info) break; // a file on the way is reported by mkdir below (ENOTDIR), or by the caller
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    try {
      await mkdir(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && (await stat(at).catch(() => undefined))?.isDirectory()) continue;
      // ENOENT with the parent just made or found: the file system itself refuses folders here.
      if (code === 'ENOENT') throw new AccessError(`Cannot create the folder ${dir}: ${path.dirname(at)} does not allow new folders (${code}); ${fix}.`);
      throw err;
    }
  }
}

/** The same, synchronous (for a store opened synchronously); `mode` for the folders it makes. */
export function makeFolderSync(dir: string, fix = 'name another folder', mode?: number): void {
  const missing: string[] = [];
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (statSync(at, { throwIfNoEntry: false })) break;
    missing.push(at);
    if (path.dirname(at) === at) break;
  }
  for (const at of missing.reverse()) {
    try {
      mkdirSync(at, { mode });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(at, { throwIfNoEntry: false })?.isDirectory()) continue;
      if (code === 'ENOENT') throw new AccessError(`Cannot create the folder ${dir}: ${path.dirname(at)} does not allow new folders (${code}); ${fix}.`);
      throw err;
    }
  }
}
