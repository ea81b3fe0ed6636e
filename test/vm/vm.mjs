// A throwaway VM with a real WireGuard kernel module, for the kernel backend's tests.
// qemu (software emulation) boots the installed Debian kernel with a busybox initramfs that
// loads the needed modules (resolved from modules.dep), shares the host's / read-only over
// virtio-9p and chroots into it, so node, `wg` and the built addon run unchanged. A writable
// share carries the command, its output and its exit status.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
const workDir = join(repoRoot, '.vm-work');

// virtio_pci: built into some Debian kernels (6.12), a module in others (6.1); without it the
// 9p shares have no transport. A wanted module that is built in is simply not in modules.dep.
const WANTED = ['virtio_pci', 'wireguard', '9p', '9pnet_virtio', 'veth', 'tun'];

/** The newest installed kernel whose modules include WireGuard, or null. */
export function findKernel() {
  if (!existsSync('/boot')) return null;
  const kernels = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .filter((v) => existsSync(`/lib/modules/${v}/modules.dep`))
    .filter((v) => /\/wireguard\.ko(\.xz|\.zst|\.gz)?:/.test(readFileSync(`/lib/modules/${v}/modules.dep`, 'utf8')))
    .sort()
    .reverse();
  const version = kernels[0];
  return version ? { version, image: `/boot/vmlinuz-${version}`, modules: `/lib/modules/${version}` } : null;
}

/** Why the VM cannot run here, or null when it can. */
export function vmUnavailableReason() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the VM suite needs linux x64';
  if (process.getuid?.() !== 0) return 'the VM suite needs root (to read the kernel image)';
  for (const tool of ['qemu-system-x86_64', 'busybox', 'cpio', 'xz']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (scripts/setup.sh installs it)`;
    }
  }
  if (!findKernel()) return 'no installed kernel has the wireguard module (apt install linux-image-amd64)';
  return null;
}

/** Module files in load order for the wanted modules, from modules.dep. */
function moduleOrder(modulesDir) {
  const deps = new Map();
  for (const line of readFileSync(join(modulesDir, 'modules.dep'), 'utf8').split('\n')) {
    const [mod, rest] = line.split(':');
    if (!mod) continue;
    deps.set(mod, (rest ?? '').trim().split(/\s+/).filter(Boolean));
  }
  const byName = new Map(
    [...deps.keys()].map((p) => [
      p
        .split('/')
        .pop()
        .replace(/\.ko(\.xz|\.zst|\.gz)?$/, ''),
      p,
    ]),
  );
  const order = [];
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    // modules.dep lists every (transitive) dependency; the last ones must load first.
    for (const d of [...(deps.get(path) ?? [])].reverse()) visit(d);
    order.push(path);
  };
  for (const name of WANTED) {
    const path = byName.get(name);
    if (path) visit(path);
  }
  return order;
}

/** Builds (or reuses) the initramfs for `kernel`. */
export function buildInitramfs(kernel) {
  const out = join(workDir, `initramfs-${kernel.version}-v5.cpio.gz`);
  if (existsSync(out)) return out;
  const stage = join(workDir, 'stage');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(join(stage, 'bin'), { recursive: true });
  mkdirSync(join(stage, 'modules'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev', 'host', 'tmp']) mkdirSync(join(stage, d), { recursive: true });
  copyFileSync(execFileSync('sh', ['-c', 'command -v busybox']).toString().trim(), join(stage, 'bin/busybox'));
  chmodSync(join(stage, 'bin/busybox'), 0o755);
  const names = [];
  for (const rel of moduleOrder(kernel.modules)) {
    const src = join(kernel.modules, rel);
    const base = rel.split('/').pop();
    if (base.endsWith('.xz')) {
      writeFileSync(join(stage, 'modules', base.slice(0, -3)), execFileSync('xz', ['-dc', src], { maxBuffer: 256 * 1024 * 1024 }));
      names.push(base.slice(0, -3));
    } else if (base.endsWith('.zst')) {
      writeFileSync(join(stage, 'modules', base.slice(0, -4)), execFileSync('zstd', ['-dc', src], { maxBuffer: 256 * 1024 * 1024 }));
      names.push(base.slice(0, -4));
    } else {
      copyFileSync(src, join(stage, 'modules', base));
      names.push(base);
    }
  }
  writeFileSync(join(stage, 'modules.order'), `${names.join('\n')}\n`);
  writeFileSync(
    join(stage, 'init'),
    `#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules.order); do insmod /modules/$m 2>/dev/null || echo "lanrage-vm: insmod $m failed"; done
# cache=loose: the read-only host root is read through the page cache, as a disk would be;
# without it every new process faults its binary in over 9p (node -e 1: 5.8 s, 0.56 s with it).
# LANRAGE_9P_CACHE=none on the kernel command line (LANRAGE_VM_APPEND) turns it off.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144,cache="\${LANRAGE_9P_CACHE:-loose}" host /host || echo "lanrage-vm: cannot mount the host root"
R=$(cat /proc/cmdline | tr ' ' '\\n' | grep '^lanrage.results=' | cut -d= -f2)
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /host$R || echo "lanrage-vm: cannot mount the results share"
mount -t proc proc /host/proc
mount -t sysfs sys /host/sys
mount -t devtmpfs dev /host/dev
mkdir -p /host/dev/pts /host/dev/shm 2>/dev/null
mount -t tmpfs tmpfs /host/run
mkdir -p /host/run/netns /host/run/wireguard /host/run/tmp /host/run/home
ip link set lo up 2>/dev/null || /host/usr/sbin/ip link set lo up
echo "lanrage-vm: running"
chroot /host /bin/sh $R/run.sh > /host$R/output.log 2>&1
echo $? > /host$R/exitcode
sync
echo "lanrage-vm: done"
poweroff -f
`,
  );
  chmodSync(join(stage, 'init'), 0o755);
  execFileSync('sh', ['-c', `cd '${stage}' && find . | cpio -o -H newc 2>/dev/null | gzip -1 > '${out}'`]);
  return out;
}

/**
 * Runs `command` (a shell command line) in the repository root inside the VM; resolves with
 * its exit code and output. One boot per call: keep the suite in one command.
 */
export async function runInVm(command, options = {}) {
  // Multi-threaded TCG occasionally trips over the kernel's boot-time text patching (an int3
  // oops before init runs); single-threaded TCG is the default, and a boot that never reached
  // the command is retried once.
  try {
    return await runOnce(command, options);
  } catch (err) {
    if (!String(err.message).includes('without running the command')) throw err;
    return runOnce(command, options);
  }
}

async function runOnce(command, { timeoutMs = 45 * 60_000, memoryMb = 4096, env = {} } = {}) {
  const reason = vmUnavailableReason();
  if (reason) throw new Error(reason);
  const kernel = findKernel();
  const initrd = buildInitramfs(kernel);
  const results = join(workDir, `results-${process.pid}-${Date.now()}`);
  mkdirSync(results, { recursive: true });
  const exports = Object.entries({
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: '/run/home',
    TMPDIR: '/run/tmp',
    LANRAGE_IN_VM: '1',
    ...(process.env.LANRAGE_VM_ONLY ? { LANRAGE_VM_ONLY: process.env.LANRAGE_VM_ONLY } : {}),
    ...env,
  })
    .map(([k, v]) => `export ${k}='${String(v).replace(/'/g, "'\\''")}'`)
    .join('\n');
  writeFileSync(join(results, 'run.sh'), `${exports}\ncd '${repoRoot}' || exit 99\n${command}\n`);
  // -cpu max without protection keys: V8 gives each thread its own PKRU, the guest kernel
  // rewrites PKRU on every switch between node's threads, and TCG flushes its whole software
  // TLB on each PKRU write (helper_wrpkru), which no real CPU does. Measured: sequential kernel
  // churn from node 1,500 ops/s with pku, 2,500 without; a plain C loop 10,700 vs 11,800.
  const args = [
    '-accel',
    process.env.LANRAGE_VM_ACCEL ?? 'tcg,thread=single',
    '-cpu',
    process.env.LANRAGE_VM_CPU ?? 'max,-pku',
    '-smp',
    process.env.LANRAGE_VM_SMP ?? '2',
    '-m',
    String(memoryMb),
    '-kernel',
    kernel.image,
    '-initrd',
    initrd,
    '-append',
    // tsc=reliable: with several vCPUs the guest finds TCG's TSCs "unsynchronized" and falls
    // back to the emulated HPET, which makes every clock read a trap (955 ns measured, 67 ns on
    // the TSC); libuv and V8 read the clock constantly. LANRAGE_VM_APPEND adds parameters.
    `console=ttyS0 quiet panic=-1 rcupdate.rcu_normal_after_boot=0 tsc=reliable clocksource=tsc ${process.env.LANRAGE_VM_APPEND ?? ''} lanrage.results=${results}`,
    '-nographic',
    '-no-reboot',
    '-nodefaults',
    '-serial',
    'stdio',
    '-virtfs',
    'local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap',
    '-virtfs',
    `local,path=${results},mount_tag=results,security_model=none,multidevs=remap`,
  ];
  const started = Date.now();
  const console = await new Promise((resolvePromise, reject) => {
    const q = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    q.stdout.on('data', (d) => {
      log += d;
      if (log.length > 1_000_000) log = log.slice(-500_000);
    });
    q.stderr.on('data', (d) => {
      log += d;
    });
    const timer = setTimeout(() => {
      q.kill('SIGKILL');
      reject(new Error(`the VM did not finish within ${timeoutMs} ms; console:\n${log.slice(-4000)}`));
    }, timeoutMs);
    q.on('exit', () => {
      clearTimeout(timer);
      resolvePromise(log);
    });
  });
  try {
    const exitFile = join(results, 'exitcode');
    const output = existsSync(join(results, 'output.log')) ? readFileSync(join(results, 'output.log'), 'utf8') : '';
    if (!existsSync(exitFile)) throw new Error(`the VM ended without running the command; console:\n${console.slice(-4000)}`);
    const code = Number(readFileSync(exitFile, 'utf8').trim());
    return { code, output, console, seconds: (Date.now() - started) / 1000 };
  } finally {
    // One directory per boot would pile up under .vm-work; LANRAGE_VM_KEEP_RESULTS keeps it.
    if (!process.env.LANRAGE_VM_KEEP_RESULTS) rmSync(results, { recursive: true, force: true });
  }
}
