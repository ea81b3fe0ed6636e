import { constants, fsync } from 'node:fs';
import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromSystemError } from '../errors.js';

/**
 * fsync through the descriptor, not `FileHandle.sync()`: Yarn Plug'n'Play replaces `fs` with
 * its own layer, whose FileHandle has no sync ("Method not implemented"), while `fs.fsync` on
 * a real descriptor passes through it (an embedder's app installed by Yarn PnP brings up
 * interfaces too).
 */
export function syncHandle(fh: FileHandle): Promise<void> {
  return new Promise((resolve, reject) => fsync(fh.fd, (err) => (err ? reject(err) : resolve())));
}

/** Makes a rename or link in `dir` durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await syncHandle(fh);
  } finally {
    await fh.close();
  }
}

/**
 * Replaces `path` with the given chunks, atomically and durably: a 0600 temp file beside it
 * (O_EXCL, O_NOFOLLOW), each chunk written as it comes (a large document is never one string),
 * fsync, rename over the old file, fsync of the directory. A crash at any point leaves the
 * old file or the new one, never half of either; the temp file never outlives the call.
 * The directory is created (0700) when missing.
 */
export async function replaceFileAtomically(path: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Math.floor(Math.random() * 0xffffffff).toString(16)}.tmp`);
  let fh: FileHandle | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    for await (const chunk of chunks) await fh.write(chunk);
    await syncHandle(fh);
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
    await fsyncDir(dir);
  } catch (err) {
    throw fromSystemError(err, `cannot write ${path}`);
  } finally {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
  }
}
