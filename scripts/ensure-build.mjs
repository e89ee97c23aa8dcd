// `npm run build`, and the `prepare` step of every `npm ci` / `npm install` of this repository: compiles
// src/, commands/ and the operator commands of eval/ to dist/ when TypeScript is installed (incremental,
// so quick when nothing changed), and marks dist's `archivist` command executable. TypeScript is a
// runtime dependency, so `npm ci --omit=dev` builds too; an install without it (the Docker image after
// `npm prune`) runs the dist/ built beforehand. Also `prestart`: `npm start` runs what is in src/ now.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = new URL('../dist/src/cli/archivist.js', import.meta.url);
// The Docker image installs its dependencies before copying the sources: nothing to build yet.
if (!existsSync(new URL('../src/cli/archivist.ts', import.meta.url))) process.exit(0);
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (tsc) {
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) process.exit(run.status ?? 1);
} else if (!existsSync(bin)) {
  process.stderr.write(
    'dist/ is missing and TypeScript is not installed. Build first where the dependencies are installed:\n' +
      'npm ci && npm run build && npm prune --omit=dev (or use the Docker image).\n',
  );
  process.exit(1);
}
// tsc writes files without the execute bit; npx and the PATH need it on the command's file.
chmodSync(bin, 0o755);
