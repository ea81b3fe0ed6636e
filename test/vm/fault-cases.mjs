// The fault-injection cases on the kernel backend (docs/reliability.md): the real CLI killed
// mid-way, racing, and clashing, inside the VM. Offsets are longer than natively: Node starts
// in ~0.5 s under emulation.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setDeviceConfig } from '@lanrage/core/testing';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../../packages/cli/dist/bin.js');
const KEY_FILE = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=\n$/;

function check(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

function node(name, port) {
  const dir = mkdtempSync(join(tmpdir(), `${name}-`));
  const env = { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: name, LANRAGE_LISTEN_PORT: String(port), NO_COLOR: '1' };
  const run = (args) => spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', timeout: 120_000 });
  const killAfter = (args, ms) =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [CLI, ...args], { env, stdio: 'ignore' });
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      child.on('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  const status = () => {
    const r = run(['-i', name, 'status', '--json']);
    return { code: r.status, doc: r.stdout.trim() ? JSON.parse(r.stdout) : null, err: r.stderr.trim().startsWith('{') ? JSON.parse(r.stderr).error : null };
  };
  const key = () => (existsSync(join(dir, 'keys', 'private.key')) ? readFileSync(join(dir, 'keys', 'private.key'), 'latin1') : null);
  const state = () => JSON.parse(readFileSync(join(dir, 'state', `${name}.json`), 'utf8'));
  return { dir, env, run, killAfter, status, key, state };
}

/** Public keys made in this process (a CLI call costs seconds under emulation). */
async function genKeys(n) {
  const { generateKeyPair } = await import('@lanrage/core');
  return Array.from({ length: n }, () => generateKeyPair().publicKey.toBase64());
}

export function faultCases(test, be) {
  test('X2 (kernel): the link deleted while a 2,000-peer read and a 2,000-peer set are in flight: typed errors, no leaked descriptor, the name works again', async () => {
    const { readdirSync } = await import('node:fs');
    const { Key } = await import('@lanrage/core');
    const dev = 'lrk-x2';
    await be.deleteInterface(dev).catch(() => {});
    await be.createInterface(dev);
    const key = (i) => {
      const b = new Uint8Array(32).fill(0x58);
      b[0] = i & 0xff;
      b[1] = (i >> 8) & 0xff;
      return Key.fromBytes(b);
    };
    const peers = Array.from({ length: 2000 }, (_, i) => ({ publicKey: key(i), allowedIPs: [`10.${90 + (i >> 8)}.${i & 0xff}.0/24`] }));
    await setDeviceConfig(be, dev, { peers });
    const fds = readdirSync('/proc/self/fd').length;
    const outcomes = [];
    for (let round = 0; round < 2; round++) {
      const read = be.getDevice(dev).then(
        () => 'read ok',
        (e) => `read ${e.code}`,
      );
      const set = setDeviceConfig(be, dev, { peers: peers.map((p) => ({ ...p, persistentKeepalive: round + 1 })) }).then(
        () => 'set ok',
        (e) => `set ${e.code}`,
      );
      spawnSync('ip', ['link', 'del', dev]);
      const got = await Promise.all([read, set]);
      outcomes.push(got.join(', '));
      for (const g of got) check(/ok$|INTERFACE_NOT_FOUND$|PARTIAL_APPLY$|DUMP_INCONSISTENT$/.test(g), `a typed outcome (${g})`);
      await be.createInterface(dev); // the name works again
      await setDeviceConfig(be, dev, { peers: peers.slice(0, 10) });
      check((await be.getDevice(dev)).peers.length === 10, 'a fresh interface of the same name is usable');
      if (round === 0) await setDeviceConfig(be, dev, { peers });
    }
    await be.deleteInterface(dev);
    check(readdirSync('/proc/self/fd').length <= fds, `no descriptor leaked (${fds} before)`);
    return { outcomes };
  });

  test('L13 (kernel): a backend opened as root, used after the process dropped to an unprivileged user, gets PERMISSION_DENIED', async () => {
    const lib = join(here, '../../packages/native-linux/dist/index.js');
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { KernelBackend } = await import(${JSON.stringify(lib)});
         const be = new KernelBackend();
         await be.createInterface('lrk-l13');
         await be.getDevice('lrk-l13'); // the sockets are open, as root
         process.setgid(65534); process.setuid(65534);
         const e = await be.setDevice('lrk-l13', { listenPort: 1234, replacePeers: false, peers: [] }).then(() => 'OK', (err) => err.code);
         console.log(JSON.stringify({ set: e }));
         await be.close();`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    spawnSync('ip', ['link', 'del', 'lrk-l13']);
    check(r.status === 0, `child (${r.stderr})`);
    const out = JSON.parse(r.stdout);
    check(out.set === 'PERMISSION_DENIED', `a set after dropping root: ${out.set}`);
    return out;
  });

  test('faults F1 (kernel): kill -9 of `up` at four points: the key is whole or absent and never replaced; the next up is active', async () => {
    const n = node('lrk-f1', 51931);
    let identity = null;
    const seen = [];
    for (const ms of [300, 900, 1800, 3500]) {
      await n.killAfter(['up'], ms);
      const k = n.key();
      if (k !== null) {
        check(KEY_FILE.test(k), 'a whole key file');
        check((statSync(join(n.dir, 'keys', 'private.key')).mode & 0o777) === 0o600, 'mode 0600');
        identity ??= k;
        check(k === identity, 'never a new identity');
      }
      const s = n.status();
      seen.push(`${ms}: ${s.code === 3 ? 'not up' : (s.doc?.state ?? s.err?.code)}`);
    }
    const up = n.run(['up']);
    check(up.status === 0, `next up (${up.stderr})`);
    const s = n.status();
    check(s.code === 0 && s.doc.state === 'active', `active after (${JSON.stringify(s)})`);
    n.run(['down']);
    return { seen };
  });

  test('faults F10 (kernel): kill -9 of an `up` restoring 200 peers: the state keeps all 200; the next up has them all', async () => {
    const n = node('lrk-f10', 51932);
    check(n.run(['up']).status === 0, 'up');
    const conf = join(n.dir, 'many.conf');
    writeFileSync(conf, (await genKeys(200)).map((k, i) => `[Peer]\nPublicKey = ${k}\nAllowedIPs = 10.67.${i >> 8}.${i & 0xff}/32\n`).join('\n'), {
      mode: 0o600,
    });
    const apply = n.run(['apply', conf]);
    check(apply.status === 0, `apply (${apply.stderr})`);
    check(n.run(['down']).status === 0, 'down');
    const counts = [];
    for (const ms of [800, 1600, 3000]) {
      await n.killAfter(['up'], ms);
      counts.push(n.state().peers.length);
    }
    check(
      counts.every((c) => c === 200),
      `state after each kill: ${counts}`,
    );
    const up = n.run(['up', '--json']);
    check(up.status === 0, `next up (${up.stderr})`);
    const s = n.status();
    check(s.doc.peers.length === 200 && s.doc.state === 'active', `all 200 back (${s.doc.peers.length})`);
    n.run(['down']);
    return { counts };
  });

  test('faults F6 (kernel): three `up`s at once on a fresh node: all succeed, one creates, one identity', async () => {
    const n = node('lrk-f6', 51933);
    const outs = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise((resolve) => {
            const c = spawn(process.execPath, [CLI, 'up', '--json'], { env: n.env });
            let out = '';
            c.stdout.on('data', (d) => {
              out += d;
            });
            c.on('exit', (code) => resolve({ code, out }));
          }),
      ),
    );
    check(
      outs.every((o) => o.code === 0),
      `exit codes ${outs.map((o) => o.code)}`,
    );
    const docs = outs.map((o) => JSON.parse(o.out));
    check(docs.filter((d) => d.created).length === 1, 'one created');
    check(new Set(docs.map((d) => d.publicKey)).size === 1, 'one identity');
    n.run(['down']);
  });

  test('faults F7 (kernel): a listen-port clash on a running interface is PORT_IN_USE and keeps the old port', async () => {
    const n = node('lrk-f7', 51934);
    check(n.run(['up']).status === 0, 'up');
    const holder = spawn(process.execPath, ['-e', "require('dgram').createSocket('udp4').bind(51935, () => console.log('bound'))"], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    await new Promise((r) => holder.stdout.once('data', r));
    try {
      const r = n.run(['up', '--listen-port', '51935', '--json']);
      check(r.status === 1, `exit 1 (${r.status})`);
      const err = JSON.parse(r.stderr).error;
      check(err.code === 'PORT_IN_USE', err.code);
      const s = n.status();
      check(s.doc.listenPort === 51934, `still on 51934 (${s.doc.listenPort})`);
      return { message: err.message };
    } finally {
      holder.kill();
      n.run(['down']);
    }
  });
}
