import { isAbsolute, join, relative, sep } from 'node:path';
import { LanrageError } from '../errors.js';

/**
 * `dir/file` for a file named after an interface, re-checked after the join (C7): the name
 * whitelist already keeps `/` and `..` out, and this makes sure no path lanrage builds from a
 * name can leave its directory even if a caller skipped that check.
 */
export function childPath(dir: string, file: string): string {
  const path = join(dir, file);
  const rel = relative(dir, path);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) || rel.includes(sep)) {
    throw new LanrageError('INVALID_INTERFACE_NAME', `${JSON.stringify(file.slice(0, 64))} would leave ${dir}`);
  }
  return path;
}
