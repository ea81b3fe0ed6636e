import { LanrageError } from '../errors.js';

// wg-quick's set, except a leading `-`: a name is an argument of `ip` and of wireguard-go,
// where `-f` or `--help` would be read as an option.
const NAME_RE = /^[a-zA-Z0-9_=+.][a-zA-Z0-9_=+.-]{0,14}$/;

/**
 * Linux interface names as wg-quick accepts them: 1–15 bytes (IFNAMSIZ-1) of
 * `[a-zA-Z0-9_=+.-]`, not starting with `-`, and not `.` or `..` (N1–N5). Multi-byte characters, NUL, `/`, `:`,
 * whitespace and shell metacharacters are all outside the set. Returns the name.
 */
export function validateInterfaceName(name: unknown): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name === '.' || name === '..') {
    const shown = typeof name === 'string' && /^[\x20-\x7e]{0,40}$/.test(name) ? `'${name}'` : 'the given name';
    throw new LanrageError('INVALID_INTERFACE_NAME', `${shown} is not a valid interface name`);
  }
  return name;
}

export function isValidInterfaceName(name: unknown): boolean {
  try {
    validateInterfaceName(name);
    return true;
  } catch {
    return false;
  }
}

const WINDOWS_TUNNEL_RE = /^[a-z0-9][a-z0-9_-]{0,14}$/;
const DOS_RESERVED = /^(?:con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$|clock\$)$/;

/**
 * Windows tunnel names, stricter than wireguard-windows' own rule so they are also valid
 * Linux names, service names and file names: `^[a-z0-9][a-z0-9_-]{0,14}$`, and none of the
 * reserved DOS device names (CON, NUL, COM1, LPT9, … also before a dot) (N6, W1, C7).
 */
export function validateWindowsTunnelName(name: unknown): string {
  if (typeof name !== 'string' || !WINDOWS_TUNNEL_RE.test(name) || DOS_RESERVED.test(name.split('.')[0] ?? '')) {
    const shown = typeof name === 'string' && /^[\x20-\x7e]{0,40}$/.test(name) ? `'${name}'` : 'the given name';
    throw new LanrageError('INVALID_INTERFACE_NAME', `${shown} is not a valid Windows tunnel name`, {
      remedy: 'Use 1 to 15 lower-case letters, digits, _ and -, starting with a letter or digit, and not a DOS device name (con, nul, com1, lpt1, ...).',
    });
  }
  return name;
}
