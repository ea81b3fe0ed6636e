import { readFile } from 'node:fs/promises';

const CAP_NET_ADMIN = 12n;

/**
 * Whether this process may configure network interfaces: root, or CAP_NET_ADMIN in the
 * effective set (Linux). On other platforms the backend decides (returns undefined).
 */
export async function hasNetAdmin(): Promise<boolean | undefined> {
  if (process.platform !== 'linux') return undefined;
  if (typeof process.geteuid === 'function' && process.geteuid() === 0) return true;
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
    if (!m) return false;
    return ((BigInt(`0x${m[1]}`) >> CAP_NET_ADMIN) & 1n) === 1n;
  } catch {
    return false;
  }
}
