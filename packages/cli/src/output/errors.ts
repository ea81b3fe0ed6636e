import { isLanrageError, LanrageError } from '@lanrage/core';
import { ExitCode } from '../exit-codes.js';
import type { Io } from '../io.js';
import { colorsFor } from './color.js';
import { SCHEMA_VERSION, toJson } from './format.js';

/** The exit code for an error: 3 when the interface is not up, 4 for permissions, else 1. */
export function exitCodeFor(err: unknown): ExitCode {
  if (isLanrageError(err, 'INTERFACE_NOT_FOUND')) return ExitCode.NOT_UP;
  if (isLanrageError(err, 'PERMISSION_DENIED')) return ExitCode.PERMISSION;
  return ExitCode.FAILED;
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
    io.stderr(`${c.dim('hint:')} ${e.remedy}\n`);
  }
  return exitCodeFor(e);
}
