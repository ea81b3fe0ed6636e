// The built `lanrage` command as a process: what a shell sees (exit codes, stderr), for the
// cases an in-process test cannot show: a reader that goes away, and an unprivileged user.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { namespacePrerequisites } from '../helpers/netns.js';
import { describeWith, prerequisites } from '../helpers/prerequisites.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/bin.js');

/** Runs the command with its standard output closed before it writes: the next write is EPIPE. */
function withClosedStdout(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader went away (`| head -1` that already exited)
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describeWith('the lanrage process', [prerequisites.linux()], () => {
  it('a closed output pipe ends it quietly with 141 (128 + SIGPIPE), never a stack trace', async () => {
    for (const args of [['--help'], ['genkey'], ['doctor']]) {
      const r = await withClosedStdout(args);
      expect(r.code, args.join(' ')).toBe(141);
      expect(r.stderr, args.join(' ')).not.toMatch(/EPIPE|Error|at .*\.js/);
    }
  });
});

describeWith('the lanrage process with hostile input (C5, W8)', [prerequisites.linux()], () => {
  it('unbounded standard input and FIFOs end at once with a typed error, never a hang or a huge read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-c5-'));
    try {
      const fifo = join(dir, 'peers.conf');
      spawnSync('mkfifo', [fifo]);
      const cases: [string[], string, RegExp][] = [
        [['pubkey'], '/dev/zero', /standard input is longer than 4096 bytes/],
        [['apply', fifo, '-i', 'lrc5x0'], '/dev/null', /is not a regular file/],
        [['--config', fifo, 'status'], '/dev/null', /is not a regular file/],
        [['--config', '/dev/zero', 'status'], '/dev/null', /is not a regular file/],
      ];
      for (const [args, stdin, message] of cases) {
        const started = Date.now();
        const r = spawnSync('sh', ['-c', `exec "$0" "$@" < ${stdin}`, process.execPath, BIN, ...args], { encoding: 'utf8', timeout: 20_000 });
        expect(r.signal, `${args.join(' ')} hung`).toBeNull();
        expect(r.status, args.join(' ')).toBe(1);
        expect(r.stderr).toMatch(message);
        expect(Date.now() - started).toBeLessThan(10_000);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describeWith('the lanrage process, as a user without privileges', [prerequisites.root(), prerequisites.linux()], () => {
  const asNobody = (args: string[]) =>
    spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, BIN, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', LANRAGE_CONFIG_DIR: '/nonexistent/lanrage' },
    });

  it('every command that reads or changes the interface exits 4 and names itself, before touching anything', () => {
    const key = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
    for (const [args, command] of [
      [['down', '-i', 'lrnobody0'], 'down'],
      [['up', '-i', 'lrnobody0'], 'up'],
      [['status', '-i', 'lrnobody0'], 'status'],
      [['peers', '-i', 'lrnobody0'], 'peers'],
      [['peer', 'add', key, '-a', '10.66.0.9/32', '-i', 'lrnobody0'], 'peer add'],
      [['peer', 'remove', key, '-i', 'lrnobody0'], 'peer remove'],
    ] as [string[], string][]) {
      const r = asNobody(args);
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(4);
      expect(r.stderr).toContain(`lanrage ${command} needs root or CAP_NET_ADMIN`);
      expect(r.stderr).not.toMatch(/EACCES|bug in lanrage|not up/);
    }
  });
});

describeWith('the lanrage process, several at once on one interface', namespacePrerequisites(), () => {
  it('concurrent ups on a fresh interface run in turn: all succeed, one creates, the others adopt, and it works', async () => {
    const ns = 'lrconc';
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-conc-'));
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['netns', 'add', ns]);
    const env = { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: 'lrconc0', LANRAGE_BACKEND: 'userspace', NO_COLOR: '1' };
    const run = (args: string[]) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
        });
        child.stderr.on('data', (d) => {
          out += d;
        });
        child.on('close', (code) => resolve({ code, out }));
      });
    try {
      const ups = await Promise.all(Array.from({ length: 6 }, () => run(['up'])));
      for (const u of ups) expect(u.code, u.out).toBe(0);
      expect(ups.filter((u) => u.out.includes('(created)'))).toHaveLength(1);
      expect(ups.filter((u) => u.out.includes('adopted'))).toHaveLength(5);
      const status = await run(['status', '--json']);
      expect(status.code, status.out).toBe(0);
      expect(JSON.parse(status.out)).toMatchObject({ state: 'active', listenPort: 51820 });
      const downs = await Promise.all([run(['down']), run(['down'])]);
      for (const d of downs) expect(d.code, d.out).toBe(0);
      expect((await run(['status'])).code).toBe(3);
    } finally {
      spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, 'down'], { env });
      spawnSync('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describeWith('the lanrage process, waiting on the network', namespacePrerequisites(), () => {
  it('ping --wait 200 to an address that never answers gives up after ~0.2 s, not after whole seconds', () => {
    const ns = 'lrwait';
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-wait-'));
    spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['netns', 'add', ns]);
    // A veth pair with an address on one end: 10.98.0.2 is on-link, nobody answers its ARP.
    for (const args of [
      ['link', 'add', 'lrwa', 'type', 'veth', 'peer', 'name', 'lrwb'],
      ['addr', 'add', '10.98.0.1/24', 'dev', 'lrwa'],
      ['link', 'set', 'lrwa', 'up'],
      ['link', 'set', 'lrwb', 'up'],
    ])
      spawnSync('ip', ['-n', ns, ...args]);
    try {
      const t0 = performance.now();
      const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, BIN, 'ping', '10.98.0.2', '-c', '1', '--wait', '200'], {
        env: { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_BACKEND: 'userspace', NO_COLOR: '1' },
        encoding: 'utf8',
      });
      const ms = performance.now() - t0;
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stdout).toContain('timeout after 200 ms');
      expect(r.stderr).toContain('hint: lanrage0 is not up'); // and so nothing routes it through the tunnel
      // Process start-up included; the system ping's own -W would have held it 1 s or more.
      expect(ms).toBeLessThan(900);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describeWith('genkey into a file', [prerequisites.linux()], () => {
  it('warns when the file it writes a secret key to is readable by others (umask 022), as wg genkey does; not with umask 077', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanrage-genkey-'));
    try {
      for (const cmd of ['genkey', 'genpsk']) {
        const open = spawnSync('sh', ['-c', `umask 022; exec "$0" "$@" > ${dir}/${cmd}-open`, process.execPath, BIN, cmd], { encoding: 'utf8' });
        expect(open.status).toBe(0);
        expect(open.stderr).toMatch(/warning: writing a secret key to a file others can read/);
        const closed = spawnSync('sh', ['-c', `umask 077; exec "$0" "$@" > ${dir}/${cmd}-closed`, process.execPath, BIN, cmd], { encoding: 'utf8' });
        expect(closed.status).toBe(0);
        expect(closed.stderr).toBe('');
        // a pipe is not a file: no warning (`lanrage genkey | lanrage pubkey`)
        expect(spawnSync(process.execPath, [BIN, cmd], { encoding: 'utf8' }).stderr).toBe('');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
