import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { win32 } from 'node:path';
import { formatWgQuick, type Key, LanrageError, parseWgQuick, type WgQuickConfig, type WgQuickPeer } from '@lanrage/core';
import { configPath } from './paths.js';
import type { CommandRunner } from './runner.js';

/** The file operations the store needs (tests pass an in-memory one). */
export interface DriverFs {
  mkdir(path: string): Promise<void>;
  writeFile(path: string, data: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  readFile(path: string): Promise<string | null>;
  readdir(path: string): Promise<string[]>;
  rm(path: string): Promise<void>;
  exists(path: string): Promise<boolean>;
}

export const nodeFs: DriverFs = {
  mkdir: async (p) => {
    await mkdir(p, { recursive: true });
  },
  writeFile: (p, d) => writeFile(p, d, { mode: 0o600, flag: 'wx' }),
  rename: (a, b) => rename(a, b),
  readFile: async (p) => {
    try {
      return await readFile(p, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  },
  readdir: async (p) => {
    try {
      return await readdir(p);
    } catch {
      return [];
    }
  },
  rm: (p) => rm(p, { force: true }),
  exists: async (p) => {
    try {
      await access(p, constants.F_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** The keys wireguard.exe's strict parser accepts (A5); anything else makes the service fail. */
export const ACCEPTED_KEYS = {
  interface: ['PrivateKey', 'ListenPort', 'MTU', 'Address', 'DNS', 'PreUp', 'PostUp', 'PreDown', 'PostDown', 'Table'],
  peer: ['PublicKey', 'PresharedKey', 'AllowedIPs', 'PersistentKeepalive', 'Endpoint'],
} as const;

/** What lanrage keeps for one tunnel: the interface settings and every peer (so a restart keeps them). */
export interface TunnelConfig {
  privateKey: Key;
  listenPort?: number;
  mtu?: number;
  addresses: string[];
  peers: WgQuickPeer[];
}

/** Renders only the accepted keys (no FwMark, SaveConfig, DNS, Table or hooks), deterministically. */
export function renderConfig(c: TunnelConfig): string {
  const q: WgQuickConfig = {
    interface: {
      privateKey: c.privateKey,
      ...(c.listenPort !== undefined ? { listenPort: c.listenPort } : {}),
      ...(c.mtu !== undefined ? { mtu: c.mtu } : {}),
      addresses: [...c.addresses],
      dns: [],
      preUp: [],
      postUp: [],
      preDown: [],
      postDown: [],
    },
    peers: c.peers,
  };
  return formatWgQuick(q).replace(/\n/g, '\r\n');
}

export function parseConfig(text: string): TunnelConfig {
  const q = parseWgQuick(text);
  if (!q.interface.privateKey) throw new LanrageError('CONFIG_PARSE_ERROR', 'the stored tunnel configuration has no private key');
  return {
    privateKey: q.interface.privateKey,
    ...(q.interface.listenPort !== undefined ? { listenPort: q.interface.listenPort } : {}),
    ...(q.interface.mtu !== undefined ? { mtu: q.interface.mtu } : {}),
    addresses: q.interface.addresses,
    peers: q.peers,
  };
}

/**
 * The part of a config the tunnel service applies only at start (addresses, MTU): when its hash
 * changes the service must be reinstalled; keys, port and peers are applied live with wg.exe.
 */
export function baseHash(c: TunnelConfig): string {
  return createHash('sha256')
    .update(JSON.stringify({ a: [...c.addresses].sort(), m: c.mtu ?? null }))
    .digest('hex');
}

/**
 * Tunnel configs in a directory locked to SYSTEM and Administrators (SIDs, never localized
 * names): created once with `icacls /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F
 * *S-1-5-32-544:(OI)(CI)F`, files written to a random temp name in the same directory (it
 * inherits the ACL) and renamed into place. Private keys live only in these files.
 */
export class ConfigStore {
  readonly dir: string;
  readonly #fs: DriverFs;
  readonly #runner: CommandRunner;
  readonly #icacls: string;
  #locked = false;

  constructor(dir: string, fs: DriverFs, runner: CommandRunner, icaclsExe: string) {
    this.dir = dir;
    this.#fs = fs;
    this.#runner = runner;
    this.#icacls = icaclsExe;
  }

  async #ensureLocked(): Promise<void> {
    if (this.#locked) return;
    await this.#fs.mkdir(this.dir);
    const r = await this.#runner(this.#icacls, [this.dir, '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)F', '*S-1-5-32-544:(OI)(CI)F'], {
      timeoutMs: 30_000,
    });
    if (r.code !== 0) {
      throw new LanrageError('PERMISSION_DENIED', `cannot restrict ${this.dir} to SYSTEM and Administrators (icacls exit ${r.code})`, {
        remedy: 'Run from an elevated prompt (Run as administrator).',
      });
    }
    this.#locked = true;
  }

  path(name: string): string {
    return configPath(this.dir, name);
  }

  /** Writes `text` to `<dir>\<file>` atomically. */
  async #write(file: string, text: string): Promise<void> {
    await this.#ensureLocked();
    const tmp = win32.join(this.dir, `.${win32.basename(file)}.${createHash('sha256').update(`${Math.random()}${Date.now()}`).digest('hex').slice(0, 16)}.tmp`);
    try {
      await this.#fs.writeFile(tmp, text);
      await this.#fs.rename(tmp, file);
    } finally {
      await this.#fs.rm(tmp).catch(() => undefined);
    }
  }

  async save(name: string, config: TunnelConfig): Promise<string> {
    const path = this.path(name);
    await this.#write(path, renderConfig(config));
    return path;
  }

  async load(name: string): Promise<TunnelConfig | null> {
    const text = await this.#fs.readFile(this.path(name));
    return text === null ? null : parseConfig(text);
  }

  /** The base hash the running service was installed with. */
  async installedHash(name: string): Promise<string | null> {
    return this.#fs.readFile(`${this.path(name)}.installed`);
  }

  async markInstalled(name: string, hash: string): Promise<void> {
    await this.#write(`${this.path(name)}.installed`, hash);
  }

  /** A one-use key file for `wg set private-key|preshared-key <file>` (an empty file removes the key). */
  async withKeyFile<T>(key: Key | null, fn: (path: string) => Promise<T>): Promise<T> {
    await this.#ensureLocked();
    const path = win32.join(this.dir, `.key-${createHash('sha256').update(`${Math.random()}${Date.now()}`).digest('hex').slice(0, 16)}.tmp`);
    await this.#fs.writeFile(path, key ? `${key.toBase64()}\n` : '');
    try {
      return await fn(path);
    } finally {
      await this.#fs.rm(path);
    }
  }

  async remove(name: string): Promise<void> {
    await this.#fs.rm(this.path(name));
    await this.#fs.rm(`${this.path(name)}.installed`);
  }

  async names(): Promise<string[]> {
    return (await this.#fs.readdir(this.dir)).filter((f) => f.endsWith('.conf')).map((f) => f.slice(0, -5));
  }
}
