import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { appendFile, mkdir, rename, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type BackendChoice,
  formatLogRecord,
  isValidInterfaceName,
  type LanrageConfig,
  LanrageError,
  type Logger,
  type LogRecord,
  loadConfig,
  NetworkManager,
  validateInterfaceName,
  type WireGuardBackend,
} from '@lanrage/core';
import { acquireInterfaceLock, childPath, hasNetAdmin, type ReleaseLock } from '@lanrage/core/platform';
import type { Io } from './io.js';
import { createNetworkManager } from './library/create-manager.js';
import { withProgress } from './output/progress.js';

/** What every command gets: the I/O, and how to build the manager (tests inject a backend). */
export interface CliContext {
  io: Io;
  /** Replaces backend selection (tests use MemoryBackend). */
  backend?: WireGuardBackend;
  /** Replaces the log file (tests). */
  logger?: Logger;
  /** Replaces process.platform (tests drive doctor's Windows checks from Linux). */
  platform?: NodeJS.Platform;
  version: string;
}

export interface GlobalOptions {
  config?: string;
  interface?: string;
  backend?: BackendChoice;
  json?: boolean;
  /** Seconds, as typed: bounds every wait on wireguard-go and DNS (the config's `timeout`). */
  timeout?: string;
}

/** The log is rotated past this size: the current one becomes `lanrage.log.1` (the older `.1` goes), so it never grows without bound. */
export const MAX_LOG_BYTES = 1024 * 1024;

/**
 * Appends structured JSON lines to `<configDir>/lanrage.log` (0600); never throws. Records of
 * one tick are written together by one asynchronous append (a churn burst costs one write, not
 * one synchronous write per record); what is still buffered when the process exits is written
 * then. Past MAX_LOG_BYTES the file is rotated to `lanrage.log.1`.
 */
export class FileLogger implements Logger {
  readonly path: string;
  #failed = false;
  #buffer: string[] = [];
  #scheduled = false;
  #ready = false;
  #writing: Promise<void> = Promise.resolve();
  readonly #onExit = () => this.#flushSync();

  constructor(path: string) {
    this.path = path;
  }

  log(record: LogRecord): void {
    if (this.#failed) return;
    this.#buffer.push(formatLogRecord(record));
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.once('exit', this.#onExit);
    setImmediate(() => {
      this.#writing = this.#writing.then(() => this.#flush());
    });
  }

  /** Resolves when every record logged so far is written. */
  async flush(): Promise<void> {
    await new Promise((r) => setImmediate(r));
    await this.#writing;
  }

  async #flush(): Promise<void> {
    const text = this.#take();
    if (text === null) return;
    try {
      if (!this.#ready) {
        await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
        this.#ready = true;
      }
      const size = await stat(this.path).then(
        (st) => st.size,
        () => 0,
      );
      if (size > 0 && size + text.length > MAX_LOG_BYTES) await rename(this.path, `${this.path}.1`);
      await appendFile(this.path, text, { mode: 0o600 });
    } catch {
      this.#failed = true; // logging must never fail a command (e.g. running unprivileged)
    }
  }

  #flushSync(): void {
    const text = this.#take();
    if (text === null || this.#failed) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      let size = 0;
      try {
        size = statSync(this.path).size;
      } catch {
        // no log yet
      }
      if (size > 0 && size + text.length > MAX_LOG_BYTES) renameSync(this.path, `${this.path}.1`);
      appendFileSync(this.path, text, { mode: 0o600 });
    } catch {
      this.#failed = true;
    }
  }

  #take(): string | null {
    this.#scheduled = false;
    process.removeListener('exit', this.#onExit);
    if (this.#buffer.length === 0) return null;
    const text = `${this.#buffer.join('\n')}\n`;
    this.#buffer = [];
    return text;
  }
}

/** `-i` and `--timeout` as typed, checked before anything else reads them: a bad value is a usage error (exit 2) in every command. */
export function checkGlobalFlags(opts: GlobalOptions): void {
  if (opts.interface !== undefined && !isValidInterfaceName(opts.interface)) {
    try {
      validateInterfaceName(opts.interface);
    } catch (err) {
      throw new LanrageError('INVALID_INTERFACE_NAME', `-i/--interface: ${(err as Error).message}`);
    }
  }
  if (opts.timeout !== undefined && !/^[1-9][0-9]{0,3}$/.test(opts.timeout)) {
    throw new LanrageError('INVALID_ARGUMENT', `--timeout must be a whole number of seconds from 1 to 3600, not ${JSON.stringify(opts.timeout.slice(0, 20))}`);
  }
}

export async function loadCliConfig(ctx: CliContext, opts: GlobalOptions): Promise<LanrageConfig> {
  checkGlobalFlags(opts);
  return loadConfig({
    ...(opts.config !== undefined ? { path: opts.config } : {}),
    env: ctx.io.env,
    overrides: {
      ...(opts.interface !== undefined ? { interfaceName: opts.interface } : {}),
      ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
      ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
    },
  });
}

/**
 * The manager for a command. `command` names it in the permission error: every command that
 * reads or changes the interface needs root or CAP_NET_ADMIN (exit 4), checked before anything
 * is touched so an unprivileged run never reports "not up" or a raw EACCES instead.
 */
export async function createManager(ctx: CliContext, opts: GlobalOptions, command: string, privileged = true): Promise<NetworkManager> {
  checkGlobalFlags(opts);
  // Before the configuration: as another user its directory (root's, 0700) is unreadable, and
  // that would hide the real cause behind a configuration error.
  if (privileged && !ctx.backend && (await hasNetAdmin()) === false) {
    throw new LanrageError('PERMISSION_DENIED', `lanrage ${command} needs root or CAP_NET_ADMIN`, {
      remedy: `Run it as root (sudo lanrage ${command} ...), or grant CAP_NET_ADMIN.`,
    });
  }
  const config = await loadCliConfig(ctx, opts);
  const logger = ctx.logger ?? new FileLogger(config.logFile);
  const statePath = statePathOf(config);
  if (ctx.backend) return new NetworkManager(config, { backend: ctx.backend, logger, statePath });
  return createNetworkManager(config, { logger, statePath });
}

/**
 * Where the CLI keeps an interface's peers and `up` settings: `<configDir>/state/<name>.json`
 * (0600, no private key), written by every change made through lanrage, read back by `up`.
 */
export function statePathOf(config: LanrageConfig): string {
  return childPath(join(config.configDir, 'state'), `${config.interfaceName}.json`);
}

/**
 * Holds the interface against other lanrage processes for a command that reads, changes and
 * saves its peers (`peer add/set/remove`): two such commands at once would each save the state
 * from their own read, and the later save would drop the other's peer. The lock is the one
 * `up`, `down` and `apply` take (an abstract socket the kernel frees when the holder dies).
 */
export async function holdInterface(ctx: CliContext, manager: NetworkManager): Promise<ReleaseLock> {
  if (ctx.backend) return async () => {}; // an in-memory backend no other process sees
  return withProgress(ctx.io, `waiting for another lanrage process using ${manager.interfaceName}`, acquireInterfaceLock(manager.interfaceName));
}
