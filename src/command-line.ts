import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * How the operator runs Archivist's commands in this install, so that every usage line and error
 * message names a command that works here:
 * - a development clone running the TypeScript (tsx): the npm scripts (`npm run index -- …`);
 * - compiled, with `archivist` on the PATH (the Docker image, a global install): `archivist index …`;
 * - compiled otherwise (a production install, run with npx or `npm start`, systemd): `npx archivist index …`.
 * The one place that reads the environment for this (PATH); everything else calls commandLine().
 */
const NPM_SCRIPTS = {
  index: 'index',
  ask: 'ask',
  status: 'status',
  start: 'start',
  'start --sharded': 'start:sharded',
  'deploy-commands': 'deploy-commands',
  'db migrate': 'db:migrate',
  'export-feedback': 'export-feedback',
  eval: 'eval',
  'train-ranker': 'train-ranker',
} as const;

export type Subcommand = keyof typeof NPM_SCRIPTS;

// tsx runs the .ts files only in a development clone, where the dev dependencies (and so the npm scripts) work.
const FROM_SOURCE = import.meta.url.endsWith('.ts');

let prefix: string | undefined;
function archivistPrefix(): string {
  if (prefix === undefined) {
    // npx puts the command on the PATH for that one run only: name npx, as the operator typed.
    const names = process.platform === 'win32' ? ['archivist.cmd', 'archivist.exe'] : ['archivist'];
    const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
    const onPath = process.env.npm_command !== 'exec' && dirs.some((dir) => names.some((name) => existsSync(path.join(dir, name))));
    prefix = onPath ? 'archivist' : 'npx archivist';
  }
  return prefix;
}

function npmScript(sub: Subcommand): string {
  const script = NPM_SCRIPTS[sub];
  return script === 'start' ? 'npm start' : `npm run ${script}`;
}

/** The command line that runs `sub` with `args` here, e.g. commandLine('index', '--rebuild'). */
export function commandLine(sub: Subcommand, args = ''): string {
  if (FROM_SOURCE) return args ? `${npmScript(sub)} -- ${args}` : npmScript(sub);
  return [archivistPrefix(), sub, args].filter(Boolean).join(' ');
}

/** The name a subcommand's usage line starts with: `npm run index --` or `archivist index`. */
export function usageName(sub: Subcommand): string {
  return FROM_SOURCE ? `${npmScript(sub)} --` : `${archivistPrefix()} ${sub}`;
}
