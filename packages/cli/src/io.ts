import { fstatSync } from 'node:fs';
import { LanrageError } from '@lanrage/core';
import { ExitCode } from './exit-codes.js';

/** Where a command reads and writes; real streams in bin.ts, buffers in tests. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Standard input, at most `maxBytes` (more is INVALID_KEY_FILE: a key never needs more). */
  readStdin: (maxBytes: number) => Promise<Buffer>;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** Whether standard output is a regular file others may read (genkey warns, as wg does). */
  stdoutWorldAccessible?: () => boolean;
}

/**
 * A reader that stopped reading (`lanrage status | head -1`) closes the pipe: the next write
 * fails with EPIPE. End quietly, as `wg` does when SIGPIPE stops it, with the status a shell
 * reports for that (128 + SIGPIPE), never with a stack trace. Any other stream error ends the
 * process with a one-line message.
 */
function endOnStreamError(stream: NodeJS.WriteStream, name: string): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(ExitCode.BROKEN_PIPE);
    try {
      process.stderr.write(`lanrage: cannot write to ${name}: ${err.code ?? err.message}\n`);
    } catch {
      // stderr is gone too
    }
    process.exit(ExitCode.FAILED);
  });
}

export function processIo(): Io {
  endOnStreamError(process.stdout, 'standard output');
  endOnStreamError(process.stderr, 'standard error');
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin: async (maxBytes) => {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of process.stdin) {
        chunks.push(c as Buffer);
        size += (c as Buffer).length;
        if (size > maxBytes) {
          for (const b of chunks) b.fill(0);
          process.stdin.destroy(); // stop reading (`lanrage pubkey < /dev/zero` ends here)
          throw new LanrageError('INVALID_KEY_FILE', `standard input is longer than ${maxBytes} bytes; it should hold one key`);
        }
      }
      const all = Buffer.concat(chunks);
      for (const b of chunks) b.fill(0);
      return all;
    },
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    stdoutWorldAccessible: () => {
      try {
        const st = fstatSync(1);
        return st.isFile() && (st.mode & 0o007) !== 0;
      } catch {
        return false;
      }
    },
  };
}
