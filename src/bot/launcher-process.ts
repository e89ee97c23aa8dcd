/**
 * Child process of Launcher (launcher.ts): forks the processes the bot asks for and relays their
 * IPC messages, output and exit. It is started while the bot is small, so its own forks are cheap;
 * the bot itself never forks again (a fork copies the page tables of the whole bot, which stalls
 * its event loop for tens of milliseconds once it holds a model and an index).
 */
import type { ChildProcess } from 'node:child_process';
import { forkNiced } from '../thread.js';
import type { LauncherReply, LauncherRequest } from './launcher.js';

const children = new Map<number, ChildProcess>();

const send = (reply: LauncherReply): void => {
  // The bot went away meanwhile: 'disconnect' below ends everything.
  if (process.connected) process.send?.(reply);
};

function start(req: Extract<LauncherRequest, { op: 'start' }>): void {
  const { id } = req;
  let child: ChildProcess;
  try {
    child = forkNiced(req.module, req.args, req);
  } catch (err) {
    send({ id, kind: 'error', message: (err as Error).message });
    send({ id, kind: 'exit', code: null, signal: null });
    return;
  }
  children.set(id, child);
  child.stdout?.on('data', (d: Buffer) => send({ id, kind: 'stdout', text: d.toString() }));
  child.stderr?.on('data', (d: Buffer) => send({ id, kind: 'stderr', text: d.toString() }));
  child.on('message', (msg) => send({ id, kind: 'message', msg }));
  child.on('error', (err) => send({ id, kind: 'error', message: err.message }));
  child.on('exit', (code, signal) => {
    children.delete(id);
    send({ id, kind: 'exit', code, signal });
  });
}

process.on('message', (req: LauncherRequest) => {
  if (req.op === 'start') start(req);
  else children.get(req.id)?.kill(req.signal);
});

// The bot is gone: its children lose their parent's channel (a reindex worker then cancels its
// build) and this process ends once they have.
process.on('disconnect', () => {
  for (const child of children.values()) child.disconnect?.();
});
