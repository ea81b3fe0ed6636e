import { describe, expect, it } from 'vitest';
import type { Io } from '../io.js';
import { withProgress } from './progress.js';

function fakeIo(tty: boolean): Io & { err: string } {
  const io = {
    err: '',
    stdout: () => {},
    stderr: (t: string) => {
      io.err += t;
    },
    readStdin: async () => Buffer.alloc(0),
    stdoutIsTTY: tty,
    stderrIsTTY: tty,
    env: {},
  };
  return io;
}

const after = <T>(ms: number, v: T) => new Promise<T>((r) => setTimeout(() => r(v), ms));

describe('withProgress', () => {
  it('says what it waits for after a second on a terminal, with the seconds, and erases the line when done', async () => {
    const io = fakeIo(true);
    expect(await withProgress(io, 'stopping wireguard-go for lr0', after(1400, 7))).toBe(7);
    expect(io.err).toMatch(/stopping wireguard-go for lr0 \(1\.\d s\)/);
    expect(io.err.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('prints nothing for a short wait, or when stderr is not a terminal; errors pass through', async () => {
    const tty = fakeIo(true);
    await withProgress(tty, 'x', after(50, 1));
    expect(tty.err).toBe('');
    const pipe = fakeIo(false);
    await withProgress(pipe, 'x', after(1200, 1));
    expect(pipe.err).toBe('');
    await expect(withProgress(tty, 'x', Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
