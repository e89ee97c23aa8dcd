/** Whether a process with this id runs (signal 0 only asks). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether the process has ended within `ms` (polled every 50 ms). */
export async function gone(pid: number, ms = 5000): Promise<boolean> {
  for (let waited = 0; waited < ms && alive(pid); waited += 50) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}
