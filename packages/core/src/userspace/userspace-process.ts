import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, type FileHandle, mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import { LanrageError } from '../errors.js';
import { emit, type Logger } from '../logger.js';
import { childPath } from '../platform/child-path.js';
import { processAlive } from '../platform/process.js';

export interface UserspaceProcessOptions {
  /** `wireguard-go` (searched in PATH) or an absolute path; boringtun's CLI takes the same `-f <name>`. */
  implementation: string;
  /** Where implementations put `<name>.sock`. */
  socketDir: string;
  /** Where lanrage keeps `<name>.pid` and `<name>.log`. */
  runDir: string;
  startTimeoutMs: number;
  /** wireguard-go's LOG_LEVEL: error (default), verbose, silent. */
  logLevel: 'error' | 'verbose' | 'silent';
  /** Where the process lifecycle is logged (userspace.started, .exited, .stale-socket, .stopped). */
  logger?: Logger | undefined;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Finds an executable: an absolute/relative path as given, or a name searched in PATH. */
export async function findExecutable(command: string): Promise<string | null> {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((d) => join(d, command));
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      if ((await stat(c)).isFile()) return c;
    } catch {
      // not here
    }
  }
  return null;
}

/** Connects to a unix socket once: 'live', 'stale' (file without listener), or 'absent'. */
export function probeSocket(path: string, timeoutMs = 1000): Promise<'live' | 'stale' | 'absent' | 'denied'> {
  return new Promise((resolve) => {
    const sock = createConnection({ path });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve('live'); // accepted the connection but slow: someone is there
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve('live');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === 'ENOENT' ? 'absent' : err.code === 'EACCES' || err.code === 'EPERM' ? 'denied' : 'stale');
    });
  });
}

/** Each run's first log line starts with this (and holds " lanrage starting "). */
const START_MARKER = '--- ';
const LOG_TAIL_BYTES = 16 * 1024;
/** A log over this size is moved to `<name>.log.1` (replacing the previous one) when a run starts. */
export const MAX_LOG_BYTES = 1024 * 1024;

async function rotateLog(path: string): Promise<void> {
  try {
    if ((await stat(path)).size > MAX_LOG_BYTES) await rename(path, `${path}.1`);
  } catch {
    // no log yet
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts, watches and stops userspace WireGuard processes, one per interface. A process runs
 * in the foreground (`-f`) in its own process group, so it outlives the `lanrage up` that
 * started it and a Ctrl-C there; its output goes to `<runDir>/<name>.log` and its pid to
 * `<runDir>/<name>.pid`, so any later lanrage process can report its death and stop it.
 */
export class UserspaceProcesses {
  readonly #opts: UserspaceProcessOptions;
  readonly #children = new Map<string, { child: ChildProcess; exit?: Exit; error?: Error }>();

  constructor(options: UserspaceProcessOptions) {
    this.#opts = options;
  }

  socketPath(name: string): string {
    return childPath(this.#opts.socketDir, `${name}.sock`);
  }

  logPath(name: string): string {
    return childPath(this.#opts.runDir, `${name}.log`);
  }

  #pidPath(name: string): string {
    return childPath(this.#opts.runDir, `${name}.pid`);
  }

  async #readPid(name: string): Promise<number | null> {
    try {
      const pid = Number((await readFile(this.#pidPath(name), 'utf8')).trim());
      return Number.isSafeInteger(pid) && pid > 1 ? pid : null;
    } catch {
      return null;
    }
  }

  /**
   * The last lines this run of the implementation printed (banner boxes dropped), for error
   * messages: only what follows the last start marker, so an error never quotes an earlier
   * run. Reads the end of the log, never the whole file.
   */
  async logTail(name: string, bytes = LOG_TAIL_BYTES): Promise<string> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.logPath(name), 'r');
      const size = (await fh.stat()).size;
      const buf = Buffer.alloc(Math.min(size, bytes));
      await fh.read(buf, 0, buf.length, size - buf.length);
      const text = buf.toString('utf8');
      const marker = text.lastIndexOf(' lanrage starting ');
      const run = marker < 0 ? text : text.slice(text.indexOf('\n', marker) + 1);
      return run
        .split('\n')
        .filter((l) => l.trim() && !/^[\s│┌└─┐┘]+$/.test(l) && !l.includes('│'))
        .slice(-8)
        .join('\n');
    } catch {
      return '';
    } finally {
      await fh?.close().catch(() => undefined);
    }
  }

  /** PROCESS_EXITED when we know the implementation for `name` died, else undefined. */
  explain(name: string): LanrageError | undefined {
    const entry = this.#children.get(name);
    if (!entry?.exit) return undefined;
    const how = entry.exit.signal ? `was killed by ${entry.exit.signal}` : `exited with code ${entry.exit.code}`;
    return new LanrageError('PROCESS_EXITED', `the userspace WireGuard process for ${name} ${how} (log: ${this.logPath(name)})`, {
      details: { exitCode: entry.exit.code, signal: entry.exit.signal },
    });
  }

  /** Like explain(), also for processes started by another lanrage process (via the pid file). */
  async explainAsync(name: string): Promise<LanrageError | undefined> {
    const known = this.explain(name);
    if (known) return known;
    const pid = await this.#readPid(name);
    if (pid !== null && !processAlive(pid)) {
      const tail = await this.logTail(name);
      return new LanrageError(
        'PROCESS_EXITED',
        `the userspace WireGuard process for ${name} (pid ${pid}) is no longer running${tail ? `; last log lines:\n${tail}` : ''}`,
      );
    }
    return undefined;
  }

  /**
   * Starts the implementation for `name` and waits until its UAPI socket answers.
   * NOT_INSTALLED when the executable is missing; PROCESS_EXITED (with its log) when it dies
   * during start-up; TIMEOUT when the socket does not appear in time.
   */
  async start(name: string): Promise<void> {
    const exe = await findExecutable(this.#opts.implementation);
    if (!exe) {
      throw new LanrageError('NOT_INSTALLED', `the userspace WireGuard implementation '${this.#opts.implementation}' was not found`, {
        remedy: 'Install wireguard-go (apt install wireguard-go), or set LANRAGE_WG_USERSPACE to its path.',
      });
    }
    await mkdir(this.#opts.runDir, { recursive: true, mode: 0o700 });
    const socket = this.socketPath(name);
    if ((await probeSocket(socket)) === 'stale') {
      await rm(socket, { force: true });
      emit(this.#opts.logger, 'warn', 'userspace.stale-socket', { interface: name, socket });
    }
    const t0 = performance.now();

    await rotateLog(this.logPath(name));
    const log = await open(this.logPath(name), 'a', 0o600);
    const entry: { child: ChildProcess; exit?: Exit; error?: Error } = { child: undefined as unknown as ChildProcess };
    try {
      await log.write(`${START_MARKER}${new Date().toISOString()} lanrage starting ${exe} -f ${name}\n`);
      const child = spawn(exe, ['-f', name], {
        detached: true,
        stdio: ['ignore', log.fd, log.fd],
        env: { ...process.env, LOG_LEVEL: this.#opts.logLevel, WG_PROCESS_FOREGROUND: '1' },
        shell: false,
      });
      // Listen before any await: a process that dies at once must not be missed.
      entry.child = child;
      child.once('error', (err) => {
        entry.error = err;
      });
      child.once('exit', (code, signal) => {
        entry.exit = { code, signal };
      });
    } finally {
      await log.close();
    }
    const child = entry.child;
    this.#children.set(name, entry);
    child.unref();
    if (child.pid !== undefined) await writeFile(this.#pidPath(name), `${child.pid}\n`, { mode: 0o600 });

    const deadline = Date.now() + this.#opts.startTimeoutMs;
    while (Date.now() < deadline) {
      const failed = entry.error;
      if (failed) throw new LanrageError('NOT_INSTALLED', `cannot start ${exe}: ${failed.message}`, { cause: failed });
      if (entry.exit) {
        const tail = await this.logTail(name);
        await rm(this.#pidPath(name), { force: true });
        emit(this.#opts.logger, 'error', 'userspace.exited', {
          interface: name,
          pid: child.pid ?? null,
          exitCode: entry.exit.code,
          signal: entry.exit.signal,
          during: 'start',
          log: this.logPath(name),
        });
        throw new LanrageError(
          'PROCESS_EXITED',
          `${exe} exited during start-up (${entry.exit.signal ?? `code ${entry.exit.code}`})${tail ? `:\n${tail}` : ''}`,
          {
            details: { exitCode: entry.exit.code, signal: entry.exit.signal },
          },
        );
      }
      const state = await probeSocket(socket, 500);
      if (state === 'live') {
        emit(this.#opts.logger, 'info', 'userspace.started', {
          interface: name,
          implementation: exe,
          pid: child.pid ?? null,
          durationMs: Math.round(performance.now() - t0),
        });
        return;
      }
      if (state === 'denied') throw new LanrageError('PERMISSION_DENIED', `cannot open ${socket}`);
      await sleep(20);
    }
    await this.stop(name);
    throw new LanrageError('TIMEOUT', `${exe} did not open ${socket} within ${this.#opts.startTimeoutMs} ms`);
  }

  /** True when `pid` runs our implementation for `name` (guards against a recycled pid). */
  async #isOurs(pid: number, name: string): Promise<boolean> {
    try {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      return argv.includes(name) && argv.includes('-f');
    } catch {
      return process.platform !== 'linux' && processAlive(pid);
    }
  }

  /**
   * Stops the implementation for `name`: SIGTERM, up to 5 s for a clean exit, then SIGKILL.
   * Returns whether a process was found. Removes the pid file and a stale socket.
   */
  async stop(name: string): Promise<boolean> {
    const entry = this.#children.get(name);
    const pid = entry && !entry.exit ? (entry.child.pid ?? null) : await this.#readPid(name);
    let found = false;
    let forced = false;
    const t0 = performance.now();
    if (pid !== null && processAlive(pid) && (entry || (await this.#isOurs(pid, name)))) {
      found = true;
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const deadline = Date.now() + 5000;
      while (processAlive(pid) && !entry?.exit && Date.now() < deadline) await sleep(20);
      if (processAlive(pid) && !entry?.exit) {
        forced = true;
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
        while (processAlive(pid) && !entry?.exit && Date.now() < deadline + 2000) await sleep(20);
      }
    }
    this.#children.delete(name);
    await rm(this.#pidPath(name), { force: true });
    if ((await probeSocket(this.socketPath(name))) === 'stale') await rm(this.socketPath(name), { force: true });
    if (found)
      emit(this.#opts.logger, forced ? 'warn' : 'info', 'userspace.stopped', { interface: name, pid, forced, durationMs: Math.round(performance.now() - t0) });
    return found;
  }

  /** Whether we started `name` in this process and it is still running. */
  isRunningHere(name: string): boolean {
    const entry = this.#children.get(name);
    return entry !== undefined && entry.exit === undefined;
  }
}
