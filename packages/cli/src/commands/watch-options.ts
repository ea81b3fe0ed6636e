import { LanrageError } from '@lanrage/core';

/** A positive number of seconds (fractions allowed) within [min, max]. */
export function seconds(value: string | undefined, fallback: number, min: number, max: number, what: string): number {
  if (value === undefined) return fallback;
  const n = /^[0-9]+(\.[0-9]+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= min && n <= max)) throw new LanrageError('INVALID_ARGUMENT', `${what} takes seconds from ${min} to ${max}, not '${value.slice(0, 40)}'`);
  return n;
}
