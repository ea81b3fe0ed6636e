import { homedir } from 'node:os';
import { join } from 'node:path';
import { LanrageError } from '../errors.js';
import { jsonErrorPosition, readRegularFile } from '../platform/read-file.js';
import { parseAllowedIP, parseInterfaceAddress } from '../validation/cidr.js';
import { validateInterfaceName } from '../validation/interface-name.js';
import { parseIp, prefixContains } from '../validation/ip.js';
import { validateKeepalive, validateListenPort, validateMtu, validatePort, validateTimeout } from '../validation/numbers.js';

/** How long an operation waits for the userspace implementation or DNS by default (seconds). */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** A configuration file is a few hundred bytes; anything over this is not one (C5, W8). */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

const NOT_A_CONFIG = "Point --config (or LANRAGE_CONFIG) at lanrage's JSON configuration file, or leave it out to use the defaults.";

export type BackendChoice = 'auto' | 'kernel' | 'userspace';
export type LanrageMode = 'client' | 'relay';

/** The resolved configuration of a lanrage node. */
export interface LanrageConfig {
  /** `client` (a gaming peer) or `relay` (forwards for others). */
  mode: LanrageMode;
  interfaceName: string;
  /** The virtual LAN, e.g. `10.66.0.0/16`. */
  virtualSubnet: string;
  /** This node's address inside the subnet (no prefix); null derives one from the public key. */
  address: string | null;
  listenPort: number;
  mtu: number;
  /** Persistent keepalive for new peers, seconds (0 = off). */
  keepalive: number;
  apiPort: number;
  configDir: string;
  keysDir: string;
  backend: BackendChoice;
  /** Keep routes for peers' allowed IPs that the interface's own subnet does not cover. */
  manageRoutes: boolean;
  /** Path of the userspace implementation (wireguard-go or boringtun). */
  userspaceImplementation: string;
  /** Where the CLI writes its structured log. */
  logFile: string;
  /**
   * Seconds an operation waits for the userspace implementation (a request on its socket, its
   * start) or for a DNS answer before TIMEOUT.
   */
  timeout: number;
  /** The file the values were read from, or null if none existed. */
  source: string | null;
}

const KEYS = [
  'mode',
  'interfaceName',
  'virtualSubnet',
  'address',
  'listenPort',
  'mtu',
  'keepalive',
  'apiPort',
  'configDir',
  'keysDir',
  'backend',
  'manageRoutes',
  'userspaceImplementation',
  'logFile',
  'timeout',
] as const;
type Key = (typeof KEYS)[number];

const ENV: Record<Key, string> = {
  mode: 'LANRAGE_MODE',
  interfaceName: 'LANRAGE_INTERFACE',
  virtualSubnet: 'LANRAGE_VIRTUAL_SUBNET',
  address: 'LANRAGE_ADDRESS',
  listenPort: 'LANRAGE_LISTEN_PORT',
  mtu: 'LANRAGE_MTU',
  keepalive: 'LANRAGE_KEEPALIVE',
  apiPort: 'LANRAGE_API_PORT',
  configDir: 'LANRAGE_CONFIG_DIR',
  keysDir: 'LANRAGE_KEYS_DIR',
  backend: 'LANRAGE_BACKEND',
  manageRoutes: 'LANRAGE_MANAGE_ROUTES',
  userspaceImplementation: 'LANRAGE_WG_USERSPACE',
  logFile: 'LANRAGE_LOG_FILE',
  timeout: 'LANRAGE_TIMEOUT',
};

/** The default configuration directory: `/etc/lanrage` for root, else `~/.config/lanrage`. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANRAGE_CONFIG_DIR) return env.LANRAGE_CONFIG_DIR;
  if (process.platform === 'win32') return join(env.ProgramData ?? 'C:\\ProgramData', 'lanrage');
  if (typeof process.geteuid === 'function' && process.geteuid() === 0) return '/etc/lanrage';
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'lanrage');
}

export interface LoadConfigOptions {
  /** The JSON file; default `LANRAGE_CONFIG`, else `<configDir>/config.json` (absent is fine). */
  path?: string;
  env?: NodeJS.ProcessEnv;
  /** Values that win over the file and the environment (e.g. CLI flags). */
  overrides?: Partial<Record<Key, unknown>>;
}

/** INVALID_CONFIG with a remedy for where the value came from: a file, a variable or a flag. */
function bad(key: string, source: string, why: string): LanrageError {
  const variable = /^environment variable (\S+)$/.exec(source)?.[1];
  const remedy = variable
    ? `Fix ${variable} or unset it to use the configuration file's value or the default.`
    : source === 'the command line'
      ? 'Fix the value given on the command line.'
      : undefined;
  return new LanrageError('INVALID_CONFIG', `${key} in ${source}: ${why}`, { details: { key, source }, ...(remedy ? { remedy } : {}) });
}

/**
 * Reads the configuration: defaults, then the JSON file, then `LANRAGE_*` environment
 * variables, then `overrides`. Unknown keys and bad values are INVALID_CONFIG errors naming
 * the key and where it came from. A missing default file is not an error; a missing
 * explicitly named file is.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LanrageConfig> {
  const env = options.env ?? process.env;
  const explicitPath = options.path ?? env.LANRAGE_CONFIG;
  const configDirFromEnv = defaultConfigDir(env);
  const path = explicitPath ?? join(configDirFromEnv, 'config.json');

  let fileValues: Record<string, unknown> = {};
  let source: string | null = null;
  let text: string | undefined;
  try {
    text = (await readRegularFile(path, { maxBytes: MAX_CONFIG_FILE_BYTES, code: 'INVALID_CONFIG', what: 'configuration file' })).toString('utf8');
  } catch (err) {
    if (err instanceof LanrageError) throw new LanrageError(err.code, err.message, { details: err.details, remedy: NOT_A_CONFIG });
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (explicitPath !== undefined) throw new LanrageError('INVALID_CONFIG', `cannot read configuration file ${path} (ENOENT)`, { details: { source: path } });
  }
  if (text !== undefined) {
    source = path;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      // No cause and no V8 message: both quote the file's text (K11).
      throw new LanrageError('INVALID_CONFIG', `${path} is not valid JSON (${jsonErrorPosition(err, text)})`, {
        details: { source: path },
        remedy: NOT_A_CONFIG,
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new LanrageError('INVALID_CONFIG', `${path} must contain a JSON object`, { details: { source: path } });
    }
    for (const k of Object.keys(parsed)) {
      if (!(KEYS as readonly string[]).includes(k)) throw bad(k, path, 'unknown key');
    }
    fileValues = parsed as Record<string, unknown>;
  }

  const raw: Partial<Record<Key, { value: unknown; from: string }>> = {};
  for (const k of KEYS) {
    if (fileValues[k] !== undefined) raw[k] = { value: fileValues[k], from: path };
    const e = env[ENV[k]];
    if (e !== undefined && e !== '') raw[k] = { value: e, from: `environment variable ${ENV[k]}` };
    const o = options.overrides?.[k];
    if (o !== undefined) raw[k] = { value: o, from: 'the command line' };
  }

  const take = <T>(k: Key, def: T, check: (v: unknown) => T): T => {
    const r = raw[k];
    if (!r) return def;
    try {
      return check(r.value);
    } catch (err) {
      if (err instanceof LanrageError) throw bad(k, r.from, err.message);
      throw err;
    }
  };
  const str = (v: unknown): string => {
    if (typeof v !== 'string' || v.length === 0) throw new LanrageError('INVALID_CONFIG', 'must be a non-empty string');
    return v;
  };
  const oneOf =
    <T extends string>(...values: T[]) =>
    (v: unknown): T => {
      if (typeof v !== 'string' || !(values as string[]).includes(v)) throw new LanrageError('INVALID_CONFIG', `must be one of ${values.join(', ')}`);
      return v as T;
    };
  const bool = (v: unknown): boolean => {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === '1') return true;
    if (v === 'false' || v === '0') return false;
    throw new LanrageError('INVALID_CONFIG', 'must be true or false');
  };

  const configDir = take('configDir', configDirFromEnv, str);
  const virtualSubnet = take('virtualSubnet', '10.66.0.0/16', (v) => {
    const c = parseInterfaceAddress(v); // requires a prefix length
    if (c.prefix > (c.family === 4 ? 30 : 126)) throw new LanrageError('INVALID_CONFIG', 'must leave room for at least two hosts');
    return parseAllowedIP(c.text).cidr.text; // host bits cleared
  });
  const subnet = parseInterfaceAddress(virtualSubnet);
  const address = take<string | null>('address', null, (v) => {
    if (v === null) return null;
    const ip = typeof v === 'string' ? parseIp(v) : null;
    if (!ip) throw new LanrageError('INVALID_CONFIG', 'must be an IP address without a prefix, e.g. 10.66.0.1');
    const inside = parseInterfaceAddress(`${v}/${subnet.prefix}`);
    if (inside.family !== subnet.family || !prefixContains(subnet.bytes, subnet.prefix, inside.bytes)) {
      throw new LanrageError('INVALID_CONFIG', `must lie inside virtualSubnet ${virtualSubnet}`);
    }
    return v as string;
  });
  const ipv6 = subnet.family === 6;
  return {
    mode: take('mode', 'client' as LanrageMode, oneOf<LanrageMode>('client', 'relay')),
    interfaceName: take('interfaceName', 'lanrage0', (v) => validateInterfaceName(v)),
    virtualSubnet,
    address,
    listenPort: take('listenPort', 51820, validateListenPort),
    mtu: take('mtu', 1420, (v) => validateMtu(v, { ipv6 })),
    keepalive: take('keepalive', 25, validateKeepalive),
    apiPort: take('apiPort', 8666, validatePort),
    configDir,
    keysDir: take('keysDir', join(configDir, 'keys'), str),
    backend: take('backend', 'auto' as BackendChoice, oneOf<BackendChoice>('auto', 'kernel', 'userspace')),
    manageRoutes: take('manageRoutes', true, bool),
    userspaceImplementation: take('userspaceImplementation', 'wireguard-go', str),
    logFile: take('logFile', join(configDir, 'lanrage.log'), str),
    timeout: take('timeout', DEFAULT_TIMEOUT_SECONDS, validateTimeout),
    source,
  };
}

/** The documented configuration keys with their environment variables (for `--help` and docs). */
export const CONFIG_ENVIRONMENT: Readonly<Record<string, string>> = ENV;
