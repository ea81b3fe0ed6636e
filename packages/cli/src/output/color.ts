import type { Io } from '../io.js';

export interface Colors {
  bold: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  red: (s: string) => string;
  dim: (s: string) => string;
}

const plain: Colors = { bold: (s) => s, green: (s) => s, yellow: (s) => s, red: (s) => s, dim: (s) => s };
const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const ansi: Colors = { bold: wrap(1, 22), green: wrap(32, 39), yellow: wrap(33, 39), red: wrap(31, 39), dim: wrap(2, 22) };

/** Colour only on a TTY; NO_COLOR (any value) turns it off, FORCE_COLOR / LANRAGE_COLOR=always on. */
export function colorsFor(io: Io, stream: 'stdout' | 'stderr'): Colors {
  const mode = io.env.LANRAGE_COLOR;
  if (mode === 'never' || (io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== '')) return plain;
  if (mode === 'always' || (io.env.FORCE_COLOR !== undefined && io.env.FORCE_COLOR !== '0')) return ansi;
  return (stream === 'stdout' ? io.stdoutIsTTY : io.stderrIsTTY) ? ansi : plain;
}
