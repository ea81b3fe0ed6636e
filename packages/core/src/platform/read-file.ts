import { constants, type FileHandle, open } from 'node:fs/promises';
import { LanrageError, type LanrageErrorCode } from '../errors.js';

export interface ReadFileOptions {
  /** Refuse a file larger than this (checked before reading, and again while reading). */
  maxBytes: number;
  /** The error code for a refusal (e.g. INVALID_CONFIG). */
  code: LanrageErrorCode;
  /** What the file is, for messages ("configuration file"). */
  what: string;
}

/**
 * Reads a regular file of bounded size, for every file lanrage reads on a user's word
 * (configuration, wg-quick files). Opened non-blocking, so a FIFO or a device never hangs the
 * call; anything but a regular file (a FIFO, `/dev/zero`, a directory) is refused, and so is a
 * file over `maxBytes`, even one that grows while it is read. Messages name the path, never
 * the content. ENOENT is rethrown as it is (callers decide whether a missing file is an error).
 */
export async function readRegularFile(path: string, options: ReadFileOptions): Promise<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new LanrageError(options.code, `cannot read ${options.what} ${path} (${code})`, { details: { source: path } });
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new LanrageError(options.code, `${options.what} ${path} is not a regular file`, { details: { source: path } });
    if (st.size > options.maxBytes) {
      throw new LanrageError(options.code, `${options.what} ${path} is larger than ${options.maxBytes} bytes`, { details: { source: path } });
    }
    const buf = Buffer.alloc(Math.min(st.size, options.maxBytes) + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n === buf.length) {
        buf.fill(0);
        throw new LanrageError(options.code, `${options.what} ${path} grew while it was read; try again`, { details: { source: path } });
      }
    }
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/**
 * Where a JSON.parse error happened, as "line L, column C", from V8's "at position N" (or its
 * own "line L column C"): the message quotes the text around the error, which must never reach
 * a user (K11: `--config` pointing at a key file would print its start).
 */
export function jsonErrorPosition(err: unknown, text: string): string {
  const message = (err as Error)?.message ?? '';
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return `line ${lc[1]}, column ${lc[2]}`;
  const pos = /position (\d+)/.exec(message);
  if (!pos) {
    const first = text.trimStart().charAt(0);
    if (first === '') return 'the file is empty';
    return first === '{' ? 'check its quotes, commas and braces' : 'it should start with {';
  }
  const at = Math.min(Number(pos[1]), text.length);
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  return `line ${line}, column ${at - before.lastIndexOf('\n')}`;
}
