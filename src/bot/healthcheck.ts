/**
 * Container health check (Dockerfile HEALTHCHECK): healthy when the bot rewrote HEALTH_FILE in the
 * last 90 seconds and was connected to Discord then. Exit code 0 healthy, 1 not, with one line why.
 */
import { readFile, stat } from 'node:fs/promises';
import { loadDotenv } from '../env.js';
import { healthFileFromEnv } from './config.js';

const MAX_AGE_MS = 90_000;

async function check(): Promise<string | undefined> {
  loadDotenv();
  let file: string;
  try {
    file = healthFileFromEnv();
  } catch (err) {
    return (err as Error).message.replace(/\n/g, ' ');
  }
  let age: number;
  let body: { ready?: boolean };
  try {
    age = Date.now() - (await stat(file)).mtimeMs;
    body = JSON.parse(await readFile(file, 'utf8')) as { ready?: boolean };
  } catch (err) {
    return `no heartbeat in ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): the bot has not connected yet, or stopped`;
  }
  if (age > MAX_AGE_MS) return `the last heartbeat is ${Math.round(age / 1000)} s old: the bot is stuck or stopped`;
  if (body.ready !== true) return 'the bot is not connected to Discord';
  return undefined;
}

const problem = await check();
process.stdout.write(problem ? `unhealthy: ${problem}\n` : 'healthy\n');
process.exitCode = problem ? 1 : 0;
