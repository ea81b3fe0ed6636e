/**
 * `@lanrage/core/platform`: the file, lock and process helpers lanrage's command line shares
 * with the manager: regular files of bounded size, atomic and exclusive writes, the
 * per-interface lock across processes, paths built from interface names, privileges, and
 * finding an executable or whether a process is alive. Applications rarely need them.
 *
 * @packageDocumentation
 * @module @lanrage/core/platform
 */
// Every name comes from ../internal.js (one bundle for all entries: see there).
export {
  acquireInterfaceLock,
  childPath,
  findExecutable,
  hasNetAdmin,
  type InterfaceLockOptions,
  jsonErrorPosition,
  MAX_CONFIG_BYTES,
  processAlive,
  type ReadFileOptions,
  type ReleaseLock,
  readRegularFile,
  replaceFileAtomically,
  writeFileExclusive,
} from '../internal.js';
