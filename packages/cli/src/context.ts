import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type BackendChoice,
  formatLogRecord,
  type LanrageConfig,
  type Logger,
  type LogRecord,
  loadConfig,
  NetworkManager,
  type WireGuardBackend,
} from '@lanrage/core';
import type { Io } from './io.js';

/** What every command gets: the I/O, and how to build the manager (tests inject a backend). */
export interface CliContext {
  io: Io;
  /** Replaces backend selection (tests use MemoryBackend). */
  backend?: WireGuardBackend;
  /** Replaces the log file (tests). */
  logger?: Logger;
  version: string;
}

export interface GlobalOptions {
  config?: string;
  interface?: string;
  backend?: BackendChoice;
  json?: boolean;
}

/** Appends structured JSON lines to `<configDir>/lanrage.log` (0600); never throws. */
export class FileLogger implements Logger {
  readonly path: string;
  #failed = false;
  constructor(path: string) {
    this.path = path;
  }
  log(record: LogRecord): void {
    if (this.#failed) return;
    try {
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      appendFileSync(this.path, `${formatLogRecord(record)}\n`, { mode: 0o600 });
    } catch {
      this.#failed = true; // logging must never fail a command (e.g. running unprivileged)
    }
  }
}

export async function loadCliConfig(ctx: CliContext, opts: GlobalOptions): Promise<LanrageConfig> {
  return loadConfig({
    ...(opts.config !== undefined ? { path: opts.config } : {}),
    env: ctx.io.env,
    overrides: {
      ...(opts.interface !== undefined ? { interfaceName: opts.interface } : {}),
      ...(opts.backend !== undefined ? { backend: opts.backend } : {}),
    },
  });
}

export async function createManager(ctx: CliContext, opts: GlobalOptions): Promise<NetworkManager> {
  const config = await loadCliConfig(ctx, opts);
  return new NetworkManager(config, {
    ...(ctx.backend ? { backend: ctx.backend } : {}),
    logger: ctx.logger ?? new FileLogger(config.logFile),
    // The CLI depends on the backend packages, so it resolves them for core (strict pnpm layouts).
    backendLoaders: {
      nativeLinux: () => import('@lanrage/native-linux'),
      windowsDriver: () => import('@lanrage/windows-driver'),
    },
  });
}
