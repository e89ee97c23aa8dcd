/**
 * The bot's process launcher, with real processes: what it starts is a child of the launcher (so
 * the big bot never forks), its messages, output and exit reach the bot in order, it runs at a lower
 * priority when asked, it can be stopped, and when the launcher dies the bot forks by itself.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Launched, Launcher } from '../../src/bot/launcher.js';
import { alive, gone } from '../support/processes.js';

let dir: string;
let echo: string;
let sleeper: string;

/** Everything a launched process reported, in order, once it has exited. */
function record(child: Launched): Promise<{ events: string[]; messages: unknown[]; stdout: string; stderr: string; code: number | null; signal: string | null }> {
  const events: string[] = [];
  const messages: unknown[] = [];
  let stdout = '';
  let stderr = '';
  child.on('message', (m: unknown) => {
    events.push('message');
    messages.push(m);
  });
  child.on('stdout', (t: string) => {
    stdout += t;
  });
  child.on('stderr', (t: string) => {
    stderr += t;
  });
  return new Promise((resolve) => {
    child.on('exit', (code: number | null, signal: string | null) => {
      events.push('exit');
      resolve({ events, messages, stdout, stderr, code, signal });
    });
  });
}

/** Launches the process that waits until killed, once it runs. */
async function launchSleeper(launcher: Launcher): Promise<{ child: Launched; pid: number }> {
  const child = launcher.launch(sleeper, [], { execArgv: [], env: process.env, nice: 0 });
  const pid = await new Promise<number>((resolve) => child.once('message', (m: { pid: number }) => resolve(m.pid)));
  return { child, pid };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'launcher-'));
  echo = path.join(dir, 'echo.mjs');
  // Says who its parent is and how nice it runs, echoes its argument, writes to both streams, exits 3.
  await writeFile(
    echo,
    `import os from 'node:os';
process.send({ ppid: process.ppid, priority: os.getPriority(), arg: process.argv[2], env: process.env.LAUNCHER_TEST });
process.stdout.write('out line\\n');
process.stderr.write('err line\\n');
process.send({ last: true }, () => process.exit(3));
`,
  );
  sleeper = path.join(dir, 'sleep.mjs');
  // Waits until killed; reports its pid; exits by itself when its parent's channel closes.
  await writeFile(
    sleeper,
    `process.send({ pid: process.pid });
process.on('disconnect', () => process.exit(0));
setInterval(() => {}, 1000);
`,
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Launcher', () => {
  it('starts processes from its own small process and relays their messages, output and exit code', async () => {
    const launcher = new Launcher();
    try {
      expect(launcher.viaLauncher).toBe(true);
      const child = launcher.launch(echo, ['hello'], { execArgv: [], env: { ...process.env, LAUNCHER_TEST: 'passed' }, nice: 5 });
      const seen = await record(child);
      const first = seen.messages[0] as { ppid: number; priority: number; arg: string; env: string };
      expect(first.ppid).toBe(launcher.pid);
      expect(first.ppid).not.toBe(process.pid);
      expect(first.arg).toBe('hello');
      expect(first.env).toBe('passed');
      expect(first.priority).toBe(Math.min(19, os.getPriority() + 5));
      expect(seen.messages[1]).toEqual({ last: true });
      expect(seen.stdout).toContain('out line');
      expect(seen.stderr).toContain('err line');
      expect(seen.code).toBe(3);
      expect(seen.events.at(-1)).toBe('exit');
      expect(child.exited).toBe(true);
    } finally {
      launcher.close();
    }
  });

  it('stops a launched process on request', async () => {
    const launcher = new Launcher();
    try {
      const { child, pid } = await launchSleeper(launcher);
      expect(alive(pid)).toBe(true);
      const seen = record(child);
      child.kill('SIGTERM');
      expect((await seen).signal).toBe('SIGTERM');
      expect(await gone(pid)).toBe(true);
    } finally {
      launcher.close();
    }
  });

  it('when the launcher dies, its processes end, the bot is told, and later processes are forked by the bot', async () => {
    const launcher = new Launcher();
    try {
      const { child, pid } = await launchSleeper(launcher);
      const seen = record(child);
      process.kill(launcher.pid!, 'SIGKILL');
      const outcome = await seen;
      expect(outcome.stderr).toContain('launcher stopped');
      expect(outcome.code).toBeNull();
      // Its channel to the launcher closed with it: the orphan does not run on.
      expect(await gone(pid)).toBe(true);

      expect(launcher.viaLauncher).toBe(false);
      const next = await record(launcher.launch(echo, ['again'], { execArgv: [], env: process.env, nice: 0 }));
      expect((next.messages[0] as { ppid: number; arg: string }).ppid).toBe(process.pid);
      expect((next.messages[0] as { arg: string }).arg).toBe('again');
      expect(next.code).toBe(3);
    } finally {
      launcher.close();
    }
  });

  it('closing it (the bot exits) ends the launcher and, through their lost channel, its processes', async () => {
    const launcher = new Launcher();
    const pid = launcher.pid!;
    const { pid: sleeperPid } = await launchSleeper(launcher);
    launcher.close();
    expect(await gone(sleeperPid)).toBe(true);
    expect(await gone(pid)).toBe(true);
  });
});
