import { constants, fsync, readFileSync, readlinkSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
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

let tag: string | undefined;

/**
 * Which pids this process can see: a hash of the boot (`boot_id`) and the pid namespace. A pid
 * in a temp file's name means something only to a process with the same tag: a directory
 * shared between containers or hosts holds other writers' files whose pids we cannot check.
 */
function pidSpaceTag(): string {
  if (tag !== undefined) return tag;
  let text = hostname();
  try {
    text = `${readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    // not Linux: the host name is the best there is
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  tag = h.toString(16).padStart(8, '0');
  return tag;
}

/**
 * `.<name>.<tag>-<pid>.<random>.tmp` beside `path`: the pid (with the tag of the pid space it
 * belongs to) lets a later writer tell a dead writer's file.
 */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${pidSpaceTag()}-${process.pid}.${Math.floor(Math.random() * 0xffffffff).toString(16)}.tmp`);
}

/**
 * Removes the temp files of `name` in `dir` left by a writer that was killed (`kill -9` runs
 * no finally): only those whose writer process, in this pid space, is gone, so a concurrent
 * live writer keeps its file. Best effort: a file another sweeper removed first is not an error.
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
    const m = /^([0-9a-f]{8})-(\d+)\.[0-9a-f]+\.tmp$/.exec(entry.slice(prefix.length));
    if (!m || m[1] !== pidSpaceTag()) continue; // another host's or container's writer: not ours to judge
    const pid = Number(m[2]);
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
/**
 * `mkdir -p` with mode 0700 that reports the real cause: a recursive mkdir answers ENOENT for
 * any failure on the last component (a read-only or full file system included), so on ENOENT
 * it asks once more without recursion.
 */
export async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await mkdir(dir, { mode: 0o700 }).catch((again: NodeJS.ErrnoException) => {
      if (again.code !== 'EEXIST') throw again;
    });
  }
}

export async function replaceFileAtomically(path: string, chunks: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const dir = dirname(path);
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined;
  try {
    await makeDirectory(dir);
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
