import { LanrageError } from '../errors.js';

const NAME_RE = /^[a-zA-Z0-9_=+.-]{1,15}$/;

/**
 * Linux interface names as wg-quick accepts them: 1–15 bytes (IFNAMSIZ-1) of
 * `[a-zA-Z0-9_=+.-]`, and not `.` or `..` (N1–N5). Multi-byte characters, NUL, `/`, `:`,
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
