import { createServer, type Server } from 'node:net';
import { LanrageError } from '../errors.js';

/** Gives the lock back. Idempotent. */
export type ReleaseLock = () => Promise<void>;

export interface InterfaceLockOptions {
  /** Give up after this long (default 30 s): TIMEOUT naming the interface. */
  timeoutMs?: number;
  /** Called once if the lock is held by another process and this call starts to wait. */
  onWait?: () => void;
}

/**
 * Where the lock lives. Linux: an abstract Unix socket, which exists only while a process has it
 * bound: the kernel releases it when that process dies, however it dies (no stale lock file,
 * no pid to check), and it is scoped to the network namespace, exactly as interface names are.
 * Windows: a named pipe, likewise released with its process.
 */
function address(name: string): string | null {
  if (process.platform === 'linux') return `\0lanrage/interface/${name}`;
  if (process.platform === 'win32') return `\\\\.\\pipe\\lanrage-interface-${name}`;
  return null;
}

function tryBind(path: string): Promise<Server | null> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => {
      server.close();
      if (err.code === 'EADDRINUSE') resolve(null);
      else reject(err);
    });
    server.listen({ path, exclusive: true }, () => {
      server.unref(); // holding the lock never keeps the process alive
      resolve(server);
    });
  });
}

/**
 * Serialises the changes of one interface across processes: `up`, `down` and `apply` from two
 * processes (or a CLI and an embedder) run one after the other instead of racing (one's
 * rollback deleting the link the other had adopted). Waits for the holder with a short
 * backoff; TIMEOUT after `timeoutMs`. On a platform without such a primitive it is a no-op.
 */
export async function acquireInterfaceLock(name: string, options: InterfaceLockOptions = {}): Promise<ReleaseLock> {
  const path = address(name);
  if (path === null) return async () => {};
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let waited = false;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    const server = await tryBind(path);
    if (server) {
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      };
    }
    if (!waited) {
      waited = true;
      options.onWait?.();
    }
    if (Date.now() >= deadline) {
      throw new LanrageError('TIMEOUT', `another process has been changing interface ${name} for too long`, {
        remedy: 'Wait for the other lanrage command or program to finish (or stop it), then retry.',
      });
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}
