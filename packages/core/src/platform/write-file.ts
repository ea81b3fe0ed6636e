import { constants, fsync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { processAlive } from './process.js';

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

/** `.<name>.<pid>.<random>.tmp` beside `path`: the pid lets a later writer tell a dead writer's file. */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Math.floor(Math.random() * 0xffffffff).toString(16)}.tmp`);
}

/**
 * Removes the temp files of `name` in `dir` left by a writer that was killed (`kill -9` runs
 * no finally): only those whose writer process is gone, so a concurrent live writer keeps its
 * file. Best effort: a file another sweeper removed first is not an error.
 */
export async function removeStaleTemps(dir: string, name: string): Promise<void> {
  const prefix = `.${name}.`;
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const m = /^(\d+)\.[0-9a-f]+\.tmp$/.exec(entry.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    await unlink(join(dir, entry)).catch(() => undefined);
  }
}

/**
 * Replaces `path` with the given chunks, atomically and durably: a 0600 temp file beside it
 * (O_EXCL, O_NOFOLLOW), each chunk written as it comes (a large document is never one string),
 * fsync, rename over the old file, fsync of the directory. A crash at any point leaves the
 * old file or the new one, never half of either; the temp file never outlives the call, and
 * one left by a killed writer is removed by the next write.
 * The directory is created (0700) when missing.
 */
export async function replaceFileAtomically(path: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await removeStaleTemps(dir, basename(path));
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
