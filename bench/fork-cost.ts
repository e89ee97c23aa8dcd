/**
 * What one fork() costs the forking process's event loop, by the size of that process: Node's
 * child_process.fork blocks while the kernel copies the page tables, so a bot holding a model and an
 * index stalls every server for the copy. Why index builds start from a small launcher process
 * (src/bot/launcher.ts). Grows its heap to each size (MB), forks a process that exits at once, five
 * times, and prints the median blocking time of the fork call.
 * Usage: npx tsx bench/fork-cost.ts 50 250 500 1000
 */
import { fork } from 'node:child_process';

const held: Buffer[] = [];
const rssMb = (): number => Math.round(process.memoryUsage().rss / 1e6);

for (const target of process.argv.slice(2).map(Number)) {
  // Filled buffers: resident pages, as a loaded model and index are.
  while (rssMb() < target) held.push(Buffer.alloc(16e6, 1));
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const child = fork('-e', ['process.exit(0)'], { execPath: process.execPath, execArgv: [], stdio: 'ignore' });
    times.push(performance.now() - t);
    await new Promise((resolve) => child.on('exit', resolve));
  }
  times.sort((a, b) => a - b);
  console.log(`RSS ${rssMb()} MB: fork blocks ${times[2]!.toFixed(1)} ms (median of 5; min ${times[0]!.toFixed(1)}, max ${times[4]!.toFixed(1)})`);
}
