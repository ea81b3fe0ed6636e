import { isLanrageError, LanrageError } from '@lanrage/core';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { colorsFor } from './color.js';
import { SCHEMA_VERSION, toJson } from './format.js';

/**
 * Codes that mean a value the user typed is malformed (a key, endpoint, prefix, name or
 * number given as an argument or flag): exit 2, like any other usage error. A bad value in a
 * file (configuration, wg-quick, key file) has codes of its own and exits 1.
 */
const BAD_VALUE = new Set<string>([
  'INVALID_KEY',
  'WEAK_PUBLIC_KEY',
  'INVALID_INTERFACE_NAME',
  'INVALID_ENDPOINT',
  'INVALID_ALLOWED_IP',
  'INVALID_ADDRESS',
  'INVALID_PORT',
  'INVALID_KEEPALIVE',
  'INVALID_FWMARK',
  'INVALID_MTU',
  'INVALID_ARGUMENT',
]);

/** The exit code for an error: 2 for a malformed value, 3 when the interface is not up, 4 for permissions, else 1. */
export function exitCodeFor(err: unknown): ExitCode {
  if (isLanrageError(err) && BAD_VALUE.has(err.code)) return ExitCode.USAGE;
  if (isLanrageError(err, 'INTERFACE_NOT_FOUND')) return ExitCode.NOT_UP;
  if (isLanrageError(err, 'PERMISSION_DENIED')) return ExitCode.PERMISSION;
  return ExitCode.FAILED;
}

/**
 * The remedy in the words of someone at the command line: the library's remedies name its
 * calls (initialize()), which mean nothing there.
 */
function cliRemedy(e: LanrageError): string {
  if (e.code === 'INTERFACE_NOT_FOUND') return 'Bring it up first: lanrage up (add -i <name> for another interface).';
  if (e.code === 'INVALID_ARGUMENT') return 'Check the value you typed: lanrage <command> --help shows what each argument and option takes.';
  return e.remedy;
}

export function asLanrageError(err: unknown): LanrageError {
  if (err instanceof LanrageError) return err;
  return new LanrageError('INTERNAL', (err as Error)?.message ?? String(err), { cause: err });
}

/** `lanrage: <message>` and the remedy on stderr, or a JSON error document with --json. */
export function reportError(io: Io, err: unknown, json: boolean): ExitCode {
  const e = asLanrageError(err);
  if (json) {
    io.stderr(toJson({ schemaVersion: SCHEMA_VERSION, error: e.toJSON() }));
  } else {
    const c = colorsFor(io, 'stderr');
    io.stderr(`${c.red('lanrage:')} ${e.message}\n`);
    io.stderr(`${c.dim('hint:')} ${cliRemedy(e)}\n`);
    if (exitCodeFor(e) === ExitCode.USAGE) io.stderr(`${c.dim('usage:')} lanrage --help, or lanrage <command> --help\n`);
  }
  return exitCodeFor(e);
}
