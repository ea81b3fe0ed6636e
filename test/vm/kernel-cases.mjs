// The cases of the real-kernel suite (run inside the VM by kernel-suite.mjs; the host test
// test/kernel/kernel-vm.test.ts imports the names). JavaScript runs ~20x slower under
// emulation, so the cases are lean but use the real sizes.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { generateKeyPair, generatePresharedKey, iteratePeers, Key, publicKeyFrom } from '@lanrage/core';
import { normalizeAllowedIP, PeerCoalescer } from '@lanrage/core/backend';
import { MemoryBackend, setDeviceConfig } from '@lanrage/core/testing';
import { encodeRawPeerOps, KernelBackend, loadNative } from '@lanrage/native-linux';
import { faultCases } from './fault-cases.mjs';
import { managerCases } from './manager-cases.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const cases = [];
const test = (name, fn) => cases.push({ name, fn });
export const be = new KernelBackend();

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}
function eq(a, b, msg) {
  const sa = JSON.stringify(a);
  const sb = JSON.stringify(b);
  if (sa !== sb) throw new Error(`${msg}: expected ${sb.slice(0, 300)}, got ${sa.slice(0, 300)}`);
}
async function code(p) {
  try {
    await p;
  } catch (e) {
    return e.code;
  }
  return 'OK';
}
function sh(cmd, args, input) {
  return execFileSync(cmd, args, { encoding: 'utf8', input, maxBuffer: 256 * 1024 * 1024 });
}
function keyN(i, tag = 0x4b) {
  const b = new Uint8Array(32).fill(tag);
  b[0] = i & 0xff;
  b[1] = (i >> 8) & 0xff;
  b[2] = (i >> 16) & 0xff;
  return Key.fromBytes(b);
}
async function fresh(name) {
  await be.deleteInterface(name).catch(() => {});
  await be.createInterface(name);
}
function sortPeers(peers) {
  return [...peers].map((p) => ({ ...p, allowedIPs: [...p.allowedIPs].sort() })).sort((a, b) => (a.publicKey < b.publicKey ? -1 : 1));
}
function view(dev) {
  return sortPeers(
    dev.peers.map((p) => ({
      publicKey: p.publicKey.toBase64(),
      presharedKey: p.presharedKey ? p.presharedKey.toBase64() : null,
      endpoint: p.endpoint,
      allowedIPs: p.allowedIPs,
      persistentKeepalive: p.persistentKeepalive,
    })),
  );
}
function parseDump(text) {
  const lines = text.trim().split('\n');
  const [priv, pub, port, fwmark] = lines[0].split('\t');
  return {
    privateKey: priv,
    publicKey: pub,
    listenPort: Number(port),
    fwmark: fwmark === 'off' ? 0 : Number(fwmark),
    peers: sortPeers(
      lines.slice(1).map((l) => {
        const [pk, psk, ep, ips, , , , ka] = l.split('\t');
        return {
          publicKey: pk,
          presharedKey: psk === '(none)' ? null : psk,
          endpoint: ep === '(none)' ? null : ep,
          allowedIPs: ips === '(none)' ? [] : ips.split(','),
          persistentKeepalive: ka === 'off' ? 0 : Number(ka),
        };
      }),
    ),
  };
}

test('create, list and delete a WireGuard link (idempotent delete)', async () => {
  await fresh('lrk0');
  assert((await be.listDevices()).includes('lrk0'), 'listed');
  const dev = await be.getDevice('lrk0');
  eq([dev.listenPort, dev.peers.length, dev.publicKey], [0, 0, null], 'a new device is empty');
  await be.deleteInterface('lrk0');
  await be.deleteInterface('lrk0');
  assert(!(await be.listDevices()).includes('lrk0'), 'gone');
});

test('private key, listen port and fwmark read back; the public key is derived by the kernel', async () => {
  await fresh('lrk0');
  const { privateKey, publicKey } = generateKeyPair();
  await setDeviceConfig(be, 'lrk0', { privateKey, listenPort: 51820, fwmark: 0x1234 });
  const dev = await be.getDevice('lrk0');
  assert(dev.privateKey.equals(privateKey), 'private key');
  assert(dev.publicKey.equals(publicKey), 'public key');
  eq([dev.listenPort, dev.fwmark], [51820, 0x1234], 'port and fwmark');
  await setDeviceConfig(be, 'lrk0', { privateKey: null, fwmark: 0 });
  const after = await be.getDevice('lrk0');
  eq([after.privateKey, after.fwmark], [null, 0], 'explicit removal');
});

for (const n of [1, 100, 10000]) {
  test(`${n} peers with preshared keys, v4/v6 endpoints and keepalive read back exactly`, async () => {
    await fresh('lrk0');
    const psk = generatePresharedKey();
    const peers = Array.from({ length: n }, (_, i) => ({
      publicKey: keyN(i),
      presharedKey: i % 3 === 0 ? psk : null,
      endpoint: i % 2 ? `192.0.2.${i % 250}:${1024 + (i % 60000)}` : `[2001:db8::${(i + 1).toString(16)}]:${2000 + (i % 60000)}`,
      persistentKeepalive: i % 100,
      allowedIPs: [`10.${(i >> 8) & 0xff}.${i & 0xff}.0/24`, `fd00::${(i + 1).toString(16)}:0/112`],
    }));
    const t0 = Date.now();
    await setDeviceConfig(be, 'lrk0', { peers });
    const t1 = Date.now();
    const dev = await be.getDevice('lrk0');
    const t2 = Date.now();
    const want = sortPeers(
      peers.map((p) => ({
        publicKey: p.publicKey.toBase64(),
        presharedKey: p.presharedKey ? p.presharedKey.toBase64() : null,
        endpoint: p.endpoint,
        allowedIPs: p.allowedIPs.map(normalizeAllowedIP),
        persistentKeepalive: p.persistentKeepalive,
      })),
    );
    eq(view(dev), want, 'peers');
    return { setMs: t1 - t0, getMs: t2 - t1 };
  });
}

test('the async iterator streams 10,000 peers and the stats fast path reads them without allowed IPs', async () => {
  await fresh('lrk0');
  const peers = Array.from({ length: 10000 }, (_, i) => ({
    publicKey: keyN(i, 0x29),
    endpoint: `198.51.100.${i % 250}:${2000 + (i % 50000)}`,
    allowedIPs: [`10.${i >> 8}.${i & 0xff}.0/24`],
  }));
  await setDeviceConfig(be, 'lrk0', { peers });
  let n = 0;
  const seen = new Set();
  let t = Date.now();
  for await (const p of iteratePeers(be, 'lrk0')) {
    n++;
    seen.add(p.publicKey.toBase64());
    if (p.allowedIPs.length !== 1) throw new Error('a streamed peer lost its allowed IP');
  }
  const iterMs = Date.now() - t;
  eq([n, seen.size], [10000, 10000], 'every peer once');
  t = Date.now();
  const stats = await be.getStats('lrk0');
  const statsMs = Date.now() - t;
  eq(stats.length, 10000, 'stats for every peer');
  eq(Object.keys(stats[0]).sort(), ['endpoint', 'lastHandshake', 'publicKey', 'rxBytes', 'txBytes'], 'stats fields');
  eq(stats.find((s) => s.publicKey === keyN(7, 0x29).toBase64())?.endpoint, '198.51.100.7:2007', 'stats endpoint');
  return { iterMs, statsMs };
});

test('A7 L3 one peer with 130,560 allowed IPs (split across messages) reads back exactly', async () => {
  await fresh('lrk0');
  const ips = [];
  // Written in canonical form, so the read-back compares as plain strings (cheap under emulation).
  for (let i = 0; i < 255; i++) for (let j = 0; j < 256; j++) ips.push(`${i}.${j}.0.0/32`, `abcd::${(i + 1).toString(16)}:${(j + 1).toString(16)}/128`);
  const pk = keyN(1);
  const t0 = Date.now();
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: pk, allowedIPs: ips }] });
  const dev = await be.getDevice('lrk0');
  eq(dev.peers.length, 1, 'one peer (coalesced)');
  eq(dev.peers[0].allowedIPs.length, 130560, 'all allowed IPs');
  const got = new Set(dev.peers[0].allowedIPs);
  for (const ip of ips) if (!got.has(ip)) throw new Error(`missing ${ip}`);
  const wgCount = sh('wg', ['show', 'lrk0', 'allowed-ips']).trim().split(/\s+/).length;
  eq(wgCount, 130561, 'wg show allowed-ips tokens (IPs plus the key)');
  return { ms: Date.now() - t0 };
});

test('40 peers x 52 allowed IPs, and 197 IPv6 /128s in one set', async () => {
  await fresh('lrk0');
  const peers = Array.from({ length: 40 }, (_, i) => ({ publicKey: keyN(i, 0x31), allowedIPs: Array.from({ length: 52 }, (_, j) => `10.${i}.${j}.0/24`) }));
  await setDeviceConfig(be, 'lrk0', { peers });
  const dev = await be.getDevice('lrk0');
  eq(dev.peers.length, 40, '40 peers');
  for (const p of dev.peers) eq(p.allowedIPs.length, 52, '52 IPs each');
  const v6 = Array.from({ length: 197 }, (_, i) => `fd00::${(i + 1).toString(16)}/128`);
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(999), allowedIPs: v6 }] });
  const p = (await be.getDevice('lrk0')).peers.find((x) => x.publicKey.equals(keyN(999)));
  eq(p.allowedIPs.sort(), v6.sort(), '197 /128s');
});

test('replace peers, replace allowed IPs, update-only and remove', async () => {
  await fresh('lrk0');
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(1), allowedIPs: ['10.1.0.0/16', '10.2.0.0/16'] }, { publicKey: keyN(2) }] });
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(1), allowedIPs: ['10.3.0.0/16'] }] });
  eq((await be.getDevice('lrk0')).peers.find((p) => p.publicKey.equals(keyN(1))).allowedIPs, ['10.3.0.0/16'], 'replaced allowed IPs');
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(1), allowedIPsAdd: ['10.4.0.0/16'] }] });
  eq((await be.getDevice('lrk0')).peers.find((p) => p.publicKey.equals(keyN(1))).allowedIPs.sort(), ['10.3.0.0/16', '10.4.0.0/16'], 'added');
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(3), updateOnly: true, allowedIPs: ['10.5.0.0/16'] }] });
  eq((await be.getDevice('lrk0')).peers.length, 2, 'update-only never creates');
  await setDeviceConfig(be, 'lrk0', { replacePeers: true, peers: [{ publicKey: keyN(4) }] });
  eq(
    (await be.getDevice('lrk0')).peers.map((p) => p.publicKey.toBase64()),
    [keyN(4).toBase64()],
    'replace peers',
  );
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(4), remove: true }] });
  eq((await be.getDevice('lrk0')).peers.length, 0, 'removed');
});

test('A6 single allowed-IP removal: works where the kernel has it, else UNSUPPORTED and never a silent add', async () => {
  await fresh('lrk0');
  await setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(1), allowedIPs: ['10.7.0.0/16', '10.6.0.0/16'] }] });
  // A throwaway link left by a crashed probe (its process is gone) is deleted by the next probe.
  await be.createInterface('lrp4194303').catch(() => {});
  const supported = await new KernelBackend().supportsAllowedIPRemoval('lrk0');
  const links = await be.listDevices();
  assert(!links.some((l) => /^lrp[0-9]+$/.test(l)), `the probe's throwaway links are gone: ${links.join(' ')}`);
  const result = await code(setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: keyN(1), allowedIPsRemove: ['10.7.0.0/16'] }] }));
  const dev = await be.getDevice('lrk0');
  eq(dev.peers.length, 1, 'the probe never touched this interface');
  const ips = dev.peers[0].allowedIPs.sort();
  if (supported) eq(ips, ['10.6.0.0/16'], 'removed');
  else {
    eq(result, 'UNSUPPORTED', 'unsupported');
    eq(ips, ['10.6.0.0/16', '10.7.0.0/16'], 'unchanged');
  }
  return { supported };
});

test('L6 a failure in a later SET message reports the messages and peer operations that were applied', async () => {
  await fresh('lrk0');
  if (await be.supportsAllowedIPRemoval('lrk0')) return { skipped: 'this kernel accepts every attribute lanrage can send' };
  const native = new (loadNative().NativeBackend)();
  const prefix = (a, p) => ({ family: 2, addr: new Uint8Array(a), prefix: p });
  const ops = [1, 2, 3].map((i) => ({ publicKey: keyN(i, 0x77).bytes(), allowedIps: [prefix([10, i, 0, 0], 16)] }));
  // A kernel without WGALLOWEDIP_A_FLAGS refuses that attribute (strict parsing, EINVAL): a
  // refusal in the third message only, which the TS layer would never send.
  ops[2].allowedIps = [{ ...prefix([10, 3, 0, 0], 16), remove: true }];
  let err;
  try {
    const op = encodeRawPeerOps(ops);
    await native.setDevice('lrk0', op.bytes, op.length, 300); // 300-byte messages: one or two peers each
  } catch (e) {
    err = e;
  }
  assert(err, 'the set failed');
  eq([err.code, err.appliedPeers], ['EINVAL', 2], 'applied peer operations');
  assert(err.appliedMessages >= 1, `applied messages (${err.appliedMessages})`);
  const dev = await be.getDevice('lrk0');
  for (const i of [1, 2]) {
    const p = dev.peers.find((x) => x.publicKey.equals(keyN(i, 0x77)));
    eq(p?.allowedIPs, [`10.${i}.0.0/16`], `applied peer ${i}`);
  }
  // The kernel does not roll back: the failed operation may be half-applied (the peer was
  // created before its allowed IP was refused), which is why callers re-read after PARTIAL_APPLY.
  const third = dev.peers.find((x) => x.publicKey.equals(keyN(3, 0x77)));
  eq(third ? third.allowedIPs : [], [], 'the failed operation added no allowed IP');
  await native.close();
});

test('repeated dumps while another task churns peers: every dump is consistent', async () => {
  await fresh('lrk0');
  await setDeviceConfig(be, 'lrk0', {
    peers: Array.from({ length: 300 }, (_, i) => ({ publicKey: keyN(i, 0x55), allowedIPs: [`10.9.${i >> 8}.${i & 0xff}/32`, `fd09::${i.toString(16)}/128`] })),
  });
  const churner = new KernelBackend();
  let stop = false;
  let churnOps = 0;
  const churn = (async () => {
    for (let i = 0; !stop; i++) {
      const k = keyN(1000 + (i % 50), 0x56);
      await setDeviceConfig(churner, 'lrk0', { peers: [{ publicKey: k, allowedIPs: [`10.8.0.${i % 50}/32`, `fd08::${(i % 50).toString(16)}/128`] }] });
      await setDeviceConfig(churner, 'lrk0', { peers: [{ publicKey: k, remove: true }] });
      churnOps += 2;
    }
  })();
  let dumps = 0;
  const t0 = Date.now();
  while (Date.now() - t0 < 8000) {
    const dev = await be.getDevice('lrk0');
    for (const p of dev.peers) if (p.allowedIPs.length !== 2) throw new Error(`inconsistent dump: a peer with ${p.allowedIPs.length} IPs`);
    const base = dev.peers.filter((p) => p.allowedIPs[0].startsWith('10.9.') || p.allowedIPs[1]?.startsWith('10.9.'));
    eq(base.length, 300, 'the 300 stable peers in every dump');
    dumps++;
  }
  stop = true;
  await churn;
  await churner.close();
  return { dumps, churnOps };
});

test('X1 coalesced churn with concurrent dumps ends in exactly the state of MemoryBackend after the same operations', async () => {
  await fresh('lrk0');
  const mem = new MemoryBackend();
  await mem.createInterface('lrk0');
  const coalescer = new PeerCoalescer(be);
  let seed = 0x1234567;
  const rand = (n) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const prefix = () => `10.77.${rand(6)}.${rand(25) * 8}/29`;
  let stop = false;
  let dumps = 0;
  const dumper = (async () => {
    while (!stop) {
      const dev = await be.getDevice('lrk0');
      for (const p of dev.peers) for (const c of p.allowedIPs) if (!c.startsWith('10.77.')) throw new Error('a dump returned a foreign prefix');
      dumps++;
    }
  })();
  let ops = 0;
  for (let round = 0; round < 60; round++) {
    const batch = [];
    for (let j = 0; j < 40; j++) {
      const publicKey = keyN(rand(60), 0x7a);
      const kind = rand(10);
      if (kind < 4) batch.push({ publicKey, allowedIPs: [prefix(), prefix()], persistentKeepalive: rand(3) * 10 });
      else if (kind < 6) batch.push({ publicKey, remove: true });
      else if (kind < 8) batch.push({ publicKey, updateOnly: true, endpoint: `192.0.2.${rand(200) + 1}:${1000 + rand(1000)}` });
      else batch.push({ publicKey, allowedIPsAdd: [prefix()] });
    }
    await Promise.all(batch.map((op) => coalescer.apply('lrk0', op)));
    for (const op of batch) await setDeviceConfig(mem, 'lrk0', { peers: [op] });
    ops += batch.length;
  }
  stop = true;
  await dumper;
  eq(view(await be.getDevice('lrk0')), view(await mem.getDevice('lrk0')), 'kernel state equals the model');
  return { ops, dumps, batches: coalescer.batches };
});

test('errors: missing device, non-WireGuard link, bad input before any netlink call', async () => {
  eq(await code(be.getDevice('lrk-missing')), 'INTERFACE_NOT_FOUND', 'missing');
  eq(await code(setDeviceConfig(be, 'lrk-missing', { listenPort: 1 })), 'INTERFACE_NOT_FOUND', 'missing set');
  eq(await code(be.getDevice('lo')), 'NOT_WIREGUARD', 'lo');
  eq(await code(be.deleteInterface('lo')), 'NOT_WIREGUARD', 'delete lo');
  eq(await code(be.createInterface('lo')), 'INTERFACE_EXISTS', 'create lo');
  eq(await code(setDeviceConfig(be, 'lrk0', { peers: [{ publicKey: 'not a key' }] })), 'INVALID_KEY', 'bad key');
  // N4: the kernel backend trusts names validated at the edge (the manager, loadConfig, the CLI:
  // validateInterfaceName refuses NUL there); the addon refuses it again before its buffers, typed.
  eq(await code(be.getDevice('wg0\u0000x')), 'INVALID_INTERFACE_NAME', 'N4 NUL refused by the addon, typed');
  eq(await code(be.createInterface('-x')), 'INVALID_INTERFACE_NAME', 'a leading dash refused by the addon');
  const native = new (loadNative().NativeBackend)();
  let threw = false;
  try {
    native.getDevice('wg0\u0000x');
  } catch {
    threw = true;
  }
  assert(threw, 'N4 NUL refused in C++ too');
  await native.close();
});

test('L10 no CAP_NET_ADMIN: PERMISSION_DENIED', async () => {
  await fresh('lrk0');
  const core = join(here, '../../packages/native-linux/dist/index.js');
  const script = `import(${JSON.stringify(core)}).then(async (m) => { const b = new m.KernelBackend(); for (const f of [() => b.getDevice('lrk0'), () => b.setDevice('lrk0', { listenPort: 1, replacePeers: false, peers: [] }), () => b.createInterface('lrk9')]) { try { await f(); console.log('OK'); } catch (e) { console.log(e.code); } } })`;
  const r = spawnSync(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, '--input-type=module', '-e', script],
    { encoding: 'utf8' },
  );
  eq(r.stdout.trim().split('\n'), ['PERMISSION_DENIED', 'PERMISSION_DENIED', 'PERMISSION_DENIED'], `codes (stderr: ${r.stderr.slice(0, 200)})`);
});

test('interop: what lanrage sets, `wg show dump` shows exactly; what `wg setconf` sets, lanrage reads exactly', async () => {
  await fresh('lrk0');
  const { privateKey } = generateKeyPair();
  const psk = generatePresharedKey();
  const peers = Array.from({ length: 20 }, (_, i) => ({
    publicKey: keyN(i, 0x21),
    presharedKey: i % 2 ? psk : null,
    endpoint: i % 2 ? `198.51.100.${i}:${5000 + i}` : `[2001:db8:1::${i + 1}]:${6000 + i}`,
    persistentKeepalive: i,
    allowedIPs: [`10.20.${i}.0/24`, `fd20::${i + 1}/128`],
  }));
  await setDeviceConfig(be, 'lrk0', { privateKey, listenPort: 51821, fwmark: 7, peers });
  const ours = await be.getDevice('lrk0');
  const wg = parseDump(sh('wg', ['show', 'lrk0', 'dump']));
  eq([wg.privateKey, wg.publicKey, wg.listenPort, wg.fwmark], [privateKey.toBase64(), ours.publicKey.toBase64(), 51821, 7], 'device');
  eq(wg.peers, view(ours), 'peers as wg sees them');

  await fresh('lrk1');
  const k2 = generateKeyPair();
  const dir = mkdtempSync(join(tmpdir(), 'lrk-'));
  const conf = join(dir, 'wg.conf');
  let text = `[Interface]\nPrivateKey = ${k2.privateKey.toBase64()}\nListenPort = 51822\nFwMark = 0x2a\n`;
  for (let i = 0; i < 10; i++) {
    text += `\n[Peer]\nPublicKey = ${keyN(i, 0x22).toBase64()}\n${i % 2 ? `PresharedKey = ${psk.toBase64()}\n` : ''}AllowedIPs = 10.30.${i}.0/24, fd30::${i + 1}/128\nEndpoint = ${i % 2 ? `203.0.113.${i}:${7000 + i}` : `[2001:db8:2::${i + 1}]:${8000 + i}`}\nPersistentKeepalive = ${i + 1}\n`;
  }
  writeFileSync(conf, text, { mode: 0o600 });
  sh('wg', ['setconf', 'lrk1', conf]);
  const read = await be.getDevice('lrk1');
  const wg2 = parseDump(sh('wg', ['show', 'lrk1', 'dump']));
  eq([read.publicKey.toBase64(), read.listenPort, read.fwmark], [wg2.publicKey, 51822, 42], 'device');
  assert(read.publicKey.equals(publicKeyFrom(k2.privateKey)), 'public key');
  eq(view(read), wg2.peers, 'peers as lanrage reads them');
  await be.deleteInterface('lrk1');
});

test('rtnetlink: addresses v4/v6, MTU, up/down and routes, each idempotent', async () => {
  await fresh('lrk0');
  await be.setAddresses('lrk0', ['10.66.0.1/16', 'fd66::1/64']);
  await be.setAddresses('lrk0', ['10.66.0.1/16', 'fd66::1/64']);
  eq((await be.getAddresses('lrk0')).sort(), ['10.66.0.1/16', 'fd66::1/64'], 'addresses');
  await be.setAddresses('lrk0', ['10.66.0.2/16']);
  eq(await be.getAddresses('lrk0'), ['10.66.0.2/16'], 'replaced');
  await be.setMtu('lrk0', 1380);
  await be.setUp('lrk0', true);
  await be.setUp('lrk0', true);
  const link = JSON.parse(sh('ip', ['-j', 'link', 'show', 'lrk0']))[0];
  eq([link.mtu, link.flags.includes('UP')], [1380, true], 'mtu and up');
  const routes = ['192.168.70.0/24', 'fd70::/64'];
  await be.changeRoutes('lrk0', { add: routes, remove: [] });
  await be.changeRoutes('lrk0', { add: routes, remove: [] }); // adding a route that exists succeeds
  eq((await be.getRoutes('lrk0')).sort(), routes, 'routes');
  assert(sh('ip', ['route', 'show', 'dev', 'lrk0']).includes('192.168.70.0/24'), 'ip route sees it');
  await be.changeRoutes('lrk0', { add: [], remove: routes });
  await be.changeRoutes('lrk0', { add: [], remove: routes }); // removing one that is gone succeeds
  eq(await be.getRoutes('lrk0'), [], 'routes removed');
  await be.setUp('lrk0', false);
  eq(JSON.parse(sh('ip', ['-j', 'link', 'show', 'lrk0']))[0].flags.includes('UP'), false, 'down');
});

class Agent {
  constructor(ns, env) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, join(here, '../helpers/agent.mjs')], {
      env: { ...process.env, LANRAGE_BACKEND: 'kernel', LANRAGE_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'lrk-agent-')), ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.next = 1;
    this.pending = new Map();
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const m = JSON.parse(line);
      const p = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.error) p.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p.resolve(m.result);
    });
  }
  call(method, ...args) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, method, args })}\n`);
    });
  }
  stop() {
    this.child.stdin.end();
  }
}

test('real traffic between two namespaces, configured only through KernelBackend/NetworkManager', async () => {
  for (const ns of ['lrk-a', 'lrk-b']) spawnSync('ip', ['netns', 'del', ns]);
  sh('ip', ['netns', 'add', 'lrk-a']);
  sh('ip', ['netns', 'add', 'lrk-b']);
  sh('ip', ['link', 'add', 'lrkva', 'netns', 'lrk-a', 'type', 'veth', 'peer', 'name', 'lrkvb', 'netns', 'lrk-b']);
  for (const [ns, dev, addrs] of [
    ['lrk-a', 'lrkva', ['10.205.0.1/24', '10.205.1.1/24']],
    ['lrk-b', 'lrkvb', ['10.205.0.2/24', '10.205.1.2/24']],
  ]) {
    for (const a of addrs) sh('ip', ['-n', ns, 'addr', 'add', a, 'dev', dev]);
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  const a = new Agent('lrk-a', { LANRAGE_INTERFACE: 'lrk-a0', LANRAGE_ADDRESS: '10.66.0.1', LANRAGE_LISTEN_PORT: '51830' });
  const b = new Agent('lrk-b', { LANRAGE_INTERFACE: 'lrk-b0', LANRAGE_ADDRESS: '10.66.0.2', LANRAGE_LISTEN_PORT: '51831' });
  try {
    const [ra, rb] = await Promise.all([a.call('initialize'), b.call('initialize')]);
    eq([ra.backend, rb.backend], ['kernel', 'kernel'], 'kernel backend chosen');
    await a.call('addPeer', { publicKey: rb.publicKey, endpoint: '10.205.0.2:51831', allowedIPs: ['10.66.0.2/32'] });
    await b.call('addPeer', { publicKey: ra.publicKey, endpoint: '10.205.0.1:51830', allowedIPs: ['10.66.0.1/32'] });
    const ms = await a.call('measureLatency', '10.66.0.2', 5000);
    assert(typeof ms === 'number' && ms > 0, `native ICMP latency (${ms})`);
    const ping = spawnSync('ip', ['netns', 'exec', 'lrk-a', 'ping', '-c', '1', '-W', '3', '10.66.0.2']);
    eq(ping.status, 0, 'system ping across the tunnel');
    const before = (await a.call('device')).peers[0];
    assert(before.lastHandshakeSec > 0, 'handshake');
    assert(BigInt(before.rxBytes) > 0n && BigInt(before.txBytes) > 0n, 'rx/tx');
    await new Promise((r) => setTimeout(r, 1100));
    await a.call('updatePeer', { publicKey: rb.publicKey, endpoint: '10.205.1.2:51831' });
    for (let i = 0; i < 3; i++) assert(typeof (await a.call('measureLatency', '10.66.0.2', 5000)) === 'number', 'ping after the endpoint change');
    const after = (await a.call('device')).peers[0];
    eq([after.endpoint, after.lastHandshakeSec], ['10.205.1.2:51831', before.lastHandshakeSec], 'update-only kept the handshake');
    assert(BigInt(after.txBytes) > BigInt(before.txBytes), 'traffic kept flowing');
    // apply with a changed endpoint: an in-place update, the session (handshake) survives
    const applied = await a.call('apply', {
      peers: [{ publicKey: rb.publicKey, endpoint: '10.205.0.2:51831', allowedIPs: ['10.66.0.2/32'], persistentKeepalive: 25 }],
    });
    eq([applied.applied, applied.plan.update.length, applied.plan.add.length, applied.plan.remove.length], [true, 1, 0, 0], 'apply sent one update');
    assert(typeof (await a.call('measureLatency', '10.66.0.2', 5000)) === 'number', 'ping after apply');
    const afterApply = (await a.call('device')).peers[0];
    eq([afterApply.endpoint, afterApply.lastHandshakeSec], ['10.205.0.2:51831', before.lastHandshakeSec], 'apply kept the handshake');
    await a.call('removePeer', rb.publicKey);
    eq(await a.call('measureLatency', '10.66.0.2', 1500), null, 'no reply after removal');
    await a.call('cleanup');
    await b.call('cleanup');
    return { latencyMs: ms };
  } finally {
    a.stop();
    b.stop();
    for (const ns of ['lrk-a', 'lrk-b']) spawnSync('ip', ['netns', 'del', ns]);
  }
});

test('A5 an empty allowed-IP list clears them, an absent one leaves them (the kernel)', async () => {
  const dev = 'lrk-a5';
  await fresh(dev);
  const p = keyN(7005);
  const ips = async () => (await be.getDevice(dev)).peers.find((x) => x.publicKey.equals(p))?.allowedIPs.sort();
  await setDeviceConfig(be, dev, { peers: [{ publicKey: p, allowedIPs: ['10.77.0.0/24', 'fd77::/64'] }] });
  eq(await ips(), ['10.77.0.0/24', 'fd77::/64'], 'set');
  await setDeviceConfig(be, dev, { peers: [{ publicKey: p, endpoint: '192.0.2.77:7' }] });
  eq(await ips(), ['10.77.0.0/24', 'fd77::/64'], 'absent: unchanged');
  await setDeviceConfig(be, dev, { peers: [{ publicKey: p, allowedIPs: [] }] });
  eq(await ips(), [], 'empty: cleared');
  await be.deleteInterface(dev);
});

test('the lanrage CLI on the kernel backend: up, status --json, down', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lrk-cli-'));
  const cli = join(here, '../../packages/cli/dist/bin.js');
  const env = { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: 'lrk-cli0' };
  const up = spawnSync(process.execPath, [cli, 'up', '--json'], { env, encoding: 'utf8' });
  eq([up.status, JSON.parse(up.stdout).backend], [0, 'kernel'], `up (${up.stderr})`);
  const st = spawnSync(process.execPath, [cli, 'status', '--json'], { env, encoding: 'utf8' });
  eq([st.status, JSON.parse(st.stdout).state, JSON.parse(st.stdout).backend], [0, 'active', 'kernel'], 'status');
  const down = spawnSync(process.execPath, [cli, 'down'], { env, encoding: 'utf8' });
  eq(down.status, 0, 'down');
  eq(spawnSync(process.execPath, [cli, 'status'], { env }).status, 3, 'status after down');
});

test('routes: one changeRoutes call adds 2,000 and removes 1,000 plus missing ones; foreign routes stay; the cached index follows a recreated link', async () => {
  const dev = 'lrk-rt0';
  const routesOf = async () => (await be.getRoutes(dev)).sort();
  const upAgain = () => {
    // Deleted and created again behind the backend's back: the same name, a new index.
    sh('ip', ['link', 'del', dev]);
    sh('ip', ['link', 'add', dev, 'type', 'wireguard']);
    sh('ip', ['link', 'set', dev, 'up']);
  };
  await fresh(dev);
  await be.setUp(dev, true); // an IPv4 route needs its device up
  const v4 = Array.from({ length: 1000 }, (_, i) => `10.${180 + (i >> 8)}.${i & 0xff}.0/24`);
  const v6 = Array.from({ length: 1000 }, (_, i) => `fd18:${(i + 1).toString(16)}::/64`);
  const all = [...v4, ...v6];
  // Routes lanrage did not add (protocol static), at prefixes the removal below names.
  sh('ip', ['route', 'add', '10.179.0.0/24', 'dev', dev, 'proto', 'static']);
  sh('ip', ['-6', 'route', 'add', 'fd17::/64', 'dev', dev, 'proto', 'static']);
  let t = Date.now();
  await be.changeRoutes(dev, { add: all, remove: [] });
  const addMs = Date.now() - t;
  eq(await routesOf(), [...all].sort(), 'the 2,000 routes');
  t = Date.now();
  await be.changeRoutes(dev, { add: [], remove: [...v4.slice(0, 500), ...v6.slice(0, 500), '10.178.0.0/24', 'fd16::/64', '10.179.0.0/24', 'fd17::/64'] });
  const removeMs = Date.now() - t;
  const left = [...v4.slice(500), ...v6.slice(500)].sort();
  eq(await routesOf(), left, 'the 1,000 left');
  eq(
    [
      JSON.parse(sh('ip', ['-j', 'route', 'show', 'dev', dev, 'proto', '108'])).length,
      JSON.parse(sh('ip', ['-j', '-6', 'route', 'show', 'dev', dev, 'proto', '108'])).length,
    ],
    [500, 500],
    'as ip route sees them',
  );
  for (const [family, prefix] of [
    ['-4', '10.179.0.0/24'],
    ['-6', 'fd17::/64'],
  ]) {
    const r = JSON.parse(sh('ip', ['-j', family, 'route', 'show', prefix, 'dev', dev]));
    eq([r.length, r[0]?.protocol], [1, 'static'], `the foreign route ${prefix} is untouched`);
  }
  await be.changeRoutes(dev, { add: left.slice(0, 10), remove: [] });
  eq((await routesOf()).length, 1000, 'adding routes that exist succeeds');

  upAgain();
  await be.changeRoutes(dev, { add: ['10.177.0.0/24', 'fd15::/64'], remove: [] });
  eq(await routesOf(), ['10.177.0.0/24', 'fd15::/64'], 'adds reach the recreated link');
  upAgain();
  // A removal alone cannot tell a stale index (it would just find nothing): the link
  // notifications must have dropped it.
  sh('ip', ['route', 'add', '10.176.0.0/24', 'dev', dev, 'proto', '108']);
  eq(await routesOf(), ['10.176.0.0/24'], 'a lanrage-protocol route on the recreated link');
  upAgain();
  sh('ip', ['route', 'add', '10.175.0.0/24', 'dev', dev, 'proto', '108']);
  await be.changeRoutes(dev, { add: [], remove: ['10.175.0.0/24'] });
  eq(await routesOf(), [], 'a removal alone reaches the recreated link');
  await be.deleteInterface(dev);
  eq(await code(be.changeRoutes(dev, { add: ['10.174.0.0/24'], remove: [] })), 'INTERFACE_NOT_FOUND', 'after deleteInterface');
  return { addMs, removeMs };
});

managerCases(test);
faultCases(test, be);

test('cleanup: no test link is left', async () => {
  for (const n of await be.listDevices()) if (n.startsWith('lrk')) await be.deleteInterface(n);
  eq(
    (await be.listDevices()).filter((n) => n.startsWith('lrk')),
    [],
    'no lrk* links',
  );
});
