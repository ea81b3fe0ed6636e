import { readFileSync } from 'node:fs';

/**
 * Whether a process with this pid runs (EPERM: it does, owned by someone else). A zombie does
 * not: a wireguard-go killed after its `lanrage up` exited belongs to init, and where init
 * does not reap (a container's PID 1 often does not), `kill -0` still finds it.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform !== 'linux') return true;
  try {
    // "pid (comm) S ...": the state follows the last ')' (comm may contain one).
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false; // gone between the two looks
  }
}
