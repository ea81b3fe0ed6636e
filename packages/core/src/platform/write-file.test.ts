import { constants } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// P3: the order that makes a write survive a power cut: the file's data fsynced, then renamed
// (or linked) into place, then the directory fsynced. Recorded by wrapping node:fs for this file.
const events = vi.hoisted(() => [] as string[]);
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    fsync: (fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      events.push('fsync');
      real.fsync(fd, cb);
    },
  };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...real,
    open: (path: string, flags: number | string, mode?: number) => {
      events.push(typeof flags === 'number' && (flags & constants.O_DIRECTORY) !== 0 ? 'open dir' : 'open file');
      return real.open(path, flags, mode);
    },
    rename: (a: string, b: string) => {
      events.push('rename');
      return real.rename(a, b);
    },
    link: (a: string, b: string) => {
      events.push('link');
      return real.link(a, b);
    },
  };
});

const { replaceFileAtomically, tempPathFor } = await import('./write-file.js');
const { writeFileExclusive } = await import('../keys/key-files.js');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-write-'));
  events.length = 0;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('P3 durable writes', () => {
  it('replaceFileAtomically: data fsynced, renamed into place, then the directory fsynced; 0600; no temp file left', async () => {
    await replaceFileAtomically(join(dir, 'state.json'), ['{"a":', '1}\n']);
    expect(events).toEqual(['open file', 'fsync', 'rename', 'open dir', 'fsync']);
    expect(await readFile(join(dir, 'state.json'), 'utf8')).toBe('{"a":1}\n');
    expect((await stat(join(dir, 'state.json'))).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it('writeFileExclusive (keys): data fsynced, linked into place (never over an existing file), then the directory fsynced', async () => {
    expect(await writeFileExclusive(dir, 'private.key', 'k\n')).toBe(true);
    expect(events).toEqual(['open file', 'fsync', 'link', 'open dir', 'fsync']);
    events.length = 0;
    expect(await writeFileExclusive(dir, 'private.key', 'other\n')).toBe(false);
    expect(await readFile(join(dir, 'private.key'), 'utf8')).toBe('k\n');
    expect(await readdir(dir)).toEqual(['private.key']);
  });
});

describe('P2 temp files of a killed writer', () => {
  it('the next replaceFileAtomically removes a dead writer’s temp file of the same name, keeps a live writer’s, another pid space’s and other names’', async () => {
    const { spawnSync } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const { basename } = await import('node:path');
    // The tag of this pid space, as this process names its own temp files.
    const tag = (basename(tempPathFor(join(dir, 'x'))).split('.')[2] as string).split('-')[0] as string;
    expect(tag).toMatch(/^[0-9a-f]{8}$/);
    const other = tag === '00000000' ? '11111111' : '00000000';
    // A pid that existed and is gone: a child that ran and was reaped.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const live = process.ppid; // vitest's parent: alive for the whole test
    const files = {
      dead: `.state.json.${tag}-${dead}.1a2b.tmp`,
      live: `.state.json.${tag}-${live}.3c4d.tmp`,
      otherSpace: `.state.json.${other}-${dead}.5e6f.tmp`, // a container sharing the directory: its pids mean nothing here
      otherName: `.other.json.${tag}-${dead}.7a8b.tmp`,
    };
    for (const f of Object.values(files)) await writeFile(join(dir, f), '{"torn');
    await replaceFileAtomically(join(dir, 'state.json'), ['{}\n']);
    expect((await readdir(dir)).sort()).toEqual([files.otherName, files.live, files.otherSpace, 'state.json'].sort());
  });
});
