// Runs before `npm start` and `npm run deploy-commands`: compiles src/ and commands/ to dist/ when
// TypeScript is installed (a development checkout; incremental, so quick when nothing changed).
// TypeScript is a runtime dependency, so `npm ci --omit=dev && npm start` builds too; an install without it
// (e.g. the Docker image after `npm prune`) runs the dist/ built beforehand.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
if (tsc) {
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
if (!existsSync(new URL('../dist/src/bot/main.js', import.meta.url))) {
  process.stderr.write(
    'dist/ is missing and TypeScript is not installed (a production install). Build first where the dev\n' +
      'dependencies are installed: npm ci && npm run build && npm prune --omit=dev (or use the Docker image).\n',
  );
  process.exit(1);
}
