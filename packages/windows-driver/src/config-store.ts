import { createHash } from 'node:crypto';
import { constants, fsync } from 'node:fs';
import { access, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { win32 } from 'node:path';
import { formatWgQuick, generatePrivateKey, Key, LanrageError, parseKeyFile, parseWgQuick, type WgQuickConfig, type WgQuickPeer } from '@lanrage/core';
import { configPath } from './paths.js';
import type { CommandRunner } from './runner.js';
import { ensureSecureDirs } from './secure-dir.js';

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
  // Flushed before it is renamed into place: a tunnel's only copy of its private key must
  // survive a power cut that follows (the manager deletes an older key file right after).
  writeFile: async (p, d) => {
    const fh = await open(p, 'wx', 0o600);
    try {
      await fh.writeFile(d);
      await new Promise<void>((resolve, reject) => fsync(fh.fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      await fh.close();
    }
  },
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

/** The keys wireguard.exe's strict parser accepts; anything else makes the service fail. */
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
 * Tunnel configs and private keys in a folder only SYSTEM and Administrators can use: created
 * with that security descriptor and checked (owner, DACL, no reparse point, the parent too)
 * before the first use by each store (`secure-dir.ts`); files written to a random temp name in
 * the same folder (it inherits the DACL) and renamed into place. The private key lives only
 * here (`<name>.key`, and in `<name>.conf` for the tunnel service), never in a key file
 * elsewhere.
 */
export class ConfigStore {
  readonly dir: string;
  readonly #fs: DriverFs;
  readonly #runner: CommandRunner;
  readonly #powershell: string;
  #locked = false;

  constructor(dir: string, fs: DriverFs, runner: CommandRunner, powershellExe: string) {
    this.dir = dir;
    this.#fs = fs;
    this.#runner = runner;
    this.#powershell = powershellExe;
  }

  async #ensureLocked(): Promise<void> {
    if (this.#locked) return;
    await ensureSecureDirs(this.#runner, this.#powershell, [win32.dirname(this.dir), this.dir]);
    this.#locked = true;
  }

  /**
   * The private key kept for tunnel `name`: `<name>.key`, else the one in its `<name>.conf`
   * (written by an earlier version), else `adopt` (a key lanrage kept elsewhere before), else a
   * new one; stored in this folder when it was not. `created` is true for a new key.
   */
  async ensurePrivateKey(name: string, adopt: Key | null): Promise<{ privateKey: Key; created: boolean }> {
    await this.#ensureLocked();
    const path = this.path(name).replace(/\.conf$/, '.key');
    const text = await this.#fs.readFile(path);
    if (text !== null) return { privateKey: parseKeyFile(Buffer.from(text, 'utf8'), 'private', path), created: false };
    const inConf = (await this.load(name))?.privateKey ?? null;
    const privateKey = inConf ?? (adopt ? Key.fromBytes(adopt.bytes(), 'private') : generatePrivateKey());
    await this.#write(path, `${privateKey.toBase64()}\r\n`);
    return { privateKey, created: inConf === null && adopt === null };
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

  /** Forgets the tunnel's config (its private key stays: the next `up` keeps the node's identity). */
  async remove(name: string): Promise<void> {
    await this.#fs.rm(this.path(name));
    await this.#fs.rm(`${this.path(name)}.installed`);
  }

  async names(): Promise<string[]> {
    return (await this.#fs.readdir(this.dir)).filter((f) => f.endsWith('.conf')).map((f) => f.slice(0, -5));
  }
}
