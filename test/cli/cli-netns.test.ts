import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assertJsonRun } from '../../packages/cli/src/output/cli-schema.test-helper.js';
import { makeNamespaces, namespacePrerequisites, sleep, tryRun } from '../helpers/netns.js';
import { describeWith, prerequisites, promtoolPath } from '../helpers/prerequisites.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/bin.js');

interface Node {
  ns: string;
  dir: string;
  env: Record<string, string>;
}

function lanrage(node: Node, args: string[], input?: string) {
  const r = spawnSync('ip', ['netns', 'exec', node.ns, process.execPath, BIN, ...args], {
    env: { ...process.env, ...node.env },
    encoding: 'utf8',
    input: input ?? '',
    timeout: 60_000,
  });
  const out = { code: r.status, stdout: r.stdout, stderr: r.stderr };
  assertJsonRun(args, out, node.env); // every --json document against docs/cli-json.schema.json
  return out;
}

describeWith('lanrage CLI end to end: two nodes in network namespaces (userspace backend)', [...namespacePrerequisites(), prerequisites.promtool()], () => {
  let net: ReturnType<typeof makeNamespaces>;
  let a: Node;
  let b: Node;
  let pubA: string;
  let pubB: string;

  beforeAll(() => {
    tryRun('pkill', ['-f', 'wireguard-go -f lrcli-']);
    net = makeNamespaces('lrc', ['10.204.0.1/24', '10.204.1.1/24'], ['10.204.0.2/24', '10.204.1.2/24']);
    const mk = (ns: string, name: string, addr: string, port: string): Node => {
      const dir = mkdtempSync(join(tmpdir(), 'lanrage-cli-e2e-'));
      return { ns, dir, env: { LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: name, LANRAGE_ADDRESS: addr, LANRAGE_LISTEN_PORT: port, NO_COLOR: '1' } };
    };
    a = mk(net.a, 'lrcli-a', '10.66.0.1', '51830');
    b = mk(net.b, 'lrcli-b', '10.66.0.2', '51831');
  });

  afterAll(() => {
    for (const n of [a, b]) {
      if (!n) continue;
      lanrage(n, ['down']);
      rmSync(n.dir, { recursive: true, force: true });
    }
    net?.destroy();
    tryRun('pkill', ['-f', 'wireguard-go -f lrcli-']);
  });

  it('up on both nodes (backend auto → userspace here)', () => {
    for (const n of [a, b]) {
      const r = lanrage(n, ['up', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc.schemaVersion).toBe(1);
      expect(['userspace', 'kernel']).toContain(doc.backend);
      if (n === a) pubA = doc.publicKey;
      else pubB = doc.publicKey;
    }
    expect(lanrage(a, ['up']).stderr).toContain('adopted');
  });

  it('a link that is not WireGuard, given with -i, is reported as such (exit 1), not as "not up"', () => {
    const r = lanrage(a, ['-i', 'lo', 'status']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('lo exists but is not a');
    expect(r.stderr).not.toContain('not up');
    const j = lanrage(a, ['-i', 'lo', 'status', '--json']);
    expect(JSON.parse(j.stderr).error.code).toBe('NOT_WIREGUARD');
  });

  it('peer add on both sides, then ping across the tunnel', () => {
    expect(lanrage(a, ['peer', 'add', pubB, '--endpoint', '10.204.0.2:51831', '--allowed-ips', '10.66.0.2/32']).code).toBe(0);
    expect(lanrage(b, ['peer', 'add', pubA, '--endpoint', '10.204.0.1:51830', '--allowed-ips', '10.66.0.1/32']).code).toBe(0);
    const ping = lanrage(a, ['ping', '10.66.0.2', '-c', '2', '--wait', '3000']);
    expect(ping.code, ping.stderr).toBe(0);
    expect(ping.stdout).toMatch(/reply from 10\.66\.0\.2: seq=1 time=[0-9.]+ ms/);
    expect(ping.stdout).toContain('2 probes, 2 replies, 0% loss');
  });

  it('peer add on an existing peer changes only what is given (wg set): the tunnel keeps its allowed IPs and works', () => {
    const again = lanrage(a, ['peer', 'add', pubB, '--endpoint', '10.204.0.2:51831', '--keepalive', '15', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'update', changes: ['persistent keepalive 25 → 15'], warnings: [] });
    const peerB = JSON.parse(lanrage(a, ['status', '--json']).stdout).peers[0];
    expect(peerB).toMatchObject({ allowedIPs: ['10.66.0.2/32'], persistentKeepalive: 15, endpoint: '10.204.0.2:51831' });
    const ping = lanrage(a, ['ping', '10.66.0.2', '-c', '1', '--wait', '3000']);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  });

  it('status --json shows the handshake and transfer; human status reads like wg', () => {
    const r = lanrage(a, ['status', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ schemaVersion: 1, state: 'active', interface: 'lrcli-a', publicKey: pubA, listenPort: 51830 });
    expect(s.peers[0].publicKey).toBe(pubB);
    expect(s.peers[0].lastHandshake).not.toBeNull();
    // What an operator's script needs without date arithmetic: the age and whether it is online.
    expect(Date.parse(s.capturedAt)).toBeGreaterThan(Date.parse(s.peers[0].lastHandshake) - 1000);
    expect(s.peers[0].handshakeAgeSeconds).toBeGreaterThanOrEqual(0);
    expect(s.peers[0].handshakeAgeSeconds).toBeLessThan(180);
    expect(s.peers[0].online).toBe(true);
    expect(BigInt(s.peers[0].rxBytes)).toBeGreaterThan(0n);
    const human = lanrage(a, ['status']).stdout;
    expect(human).toMatch(/latest handshake: (Now|\d+ seconds? ago)/);
    expect(human).toMatch(/transfer: .* received, .* sent/);
  });

  it('metrics: the Prometheus exposition passes promtool check metrics, with the handshake and the peer up', () => {
    const r = lanrage(a, ['metrics']);
    expect(r.code, r.stderr).toBe(0);
    const check = spawnSync(promtoolPath(), ['check', 'metrics'], { input: r.stdout, encoding: 'utf8' });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    const key = pubB.replace(/[+/=]/g, (c) => `\\${c}`);
    expect(r.stdout).toMatch(new RegExp(`^wireguard_peer_last_handshake_seconds\\{device="lrcli-a",public_key="${key}"\\} [1-9][0-9]+$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^lanrage_peer_up\\{device="lrcli-a",public_key="${key}"\\} 1$`, 'm'));
    expect(r.stdout).toMatch(/^wireguard_peer_receive_bytes_total\{device="lrcli-a",public_key="[^"]+"\} [1-9][0-9]*$/m);
    expect(r.stdout).toContain(`wireguard_device_info{device="lrcli-a",public_key="${pubA}"} 1`);
    expect(r.stdout).toContain('allowed_ips=""'); // the fast path reads no allowed IPs
    const full = lanrage(a, ['metrics', '--with-allowed-ips']);
    expect(full.stdout).toContain('allowed_ips="10.66.0.2/32"');
    expect(spawnSync(promtoolPath(), ['check', 'metrics'], { input: full.stdout }).status).toBe(0);
  });

  it('exporter: serves /metrics (concurrent scrapes share one read) and /healthz, and stops cleanly on SIGTERM', async () => {
    const child = spawn('ip', ['netns', 'exec', a.ns, process.execPath, BIN, 'exporter', '--listen', '127.0.0.1:19586'], {
      env: { ...process.env, ...a.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (d) => String(d).includes('serving') && resolve());
        child.on('exit', (code) => reject(new Error(`exporter exited ${code}`)));
      });
      // Five scrapes at once, from inside the namespace; then /healthz and an unknown path.
      const script = `const u = 'http://127.0.0.1:19586';
        const bodies = await Promise.all(Array.from({ length: 5 }, () => fetch(u + '/metrics').then(async (r) => [r.status, await r.text()])));
        const h = await fetch(u + '/healthz'); const n = await fetch(u + '/nope');
        console.log(JSON.stringify({ statuses: bodies.map((b) => b[0]), same: new Set(bodies.map((b) => b[1])).size, body: bodies[0][1], healthz: h.status, other: n.status }));`;
      const r = spawnSync('ip', ['netns', 'exec', a.ns, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.statuses).toEqual([200, 200, 200, 200, 200]);
      expect(out.same).toBe(1); // one read answered all five
      expect(out).toMatchObject({ healthz: 200, other: 404 });
      expect(out.body).toContain('lanrage_exporter_errors_total 0');
      expect(spawnSync(promtoolPath(), ['check', 'metrics'], { input: out.body }).status).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('apply with a changed endpoint updates in place and keeps the handshake', async () => {
    const before = JSON.parse(lanrage(a, ['status', '--json']).stdout).peers[0];
    await sleep(1100);
    const conf = join(a.dir, 'peers.conf');
    writeFileSync(conf, `[Interface]\n\n[Peer]\nPublicKey = ${pubB}\nEndpoint = 10.204.1.2:51831\nAllowedIPs = 10.66.0.2/32\nPersistentKeepalive = 25\n`, {
      mode: 0o600,
    });
    const dry = lanrage(a, ['apply', conf, '--dry-run']);
    expect(dry.stdout).toContain('0 to add, 1 to update, 0 to remove');
    expect(dry.stdout).toContain('endpoint 10.204.0.2:51831 → 10.204.1.2:51831');
    const applied = JSON.parse(lanrage(a, ['apply', conf, '--json']).stdout);
    expect(applied.applied).toBe(true);
    expect(lanrage(a, ['ping', '10.66.0.2', '-c', '2']).code).toBe(0);
    const after = JSON.parse(lanrage(a, ['status', '--json']).stdout).peers[0];
    expect(after.endpoint).toBe('10.204.1.2:51831');
    expect(after.lastHandshake).toBe(before.lastHandshake);
    expect(JSON.parse(lanrage(a, ['apply', conf, '--json']).stdout).applied).toBe(false);
  });

  it('writes structured logs with timings to <configDir>/lanrage.log, without keys', () => {
    const log = readFileSync(join(a.dir, 'lanrage.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(log.some((r) => r.event === 'initialize' && typeof r.durationMs === 'number')).toBe(true);
    expect(log.some((r) => r.event === 'apply')).toBe(true);
    const priv = readFileSync(join(a.dir, 'keys', 'private.key'), 'utf8').trim();
    expect(readFileSync(join(a.dir, 'lanrage.log'), 'utf8')).not.toContain(priv);
  });

  it('K12 the private key is never in argv or the environment of lanrage or wireguard-go', async () => {
    const priv = readFileSync(join(a.dir, 'keys', 'private.key'), 'utf8').trim();
    const pids = spawnSync('pgrep', ['-f', 'wireguard-go -f lrcli-a'], { encoding: 'utf8' }).stdout.trim().split('\n').filter(Boolean);
    expect(pids.length).toBeGreaterThan(0);
    // lanrage itself, while it works with the interface (`up` reads and sets the key; `watch` stays to be looked at)
    const watch = spawn('ip', ['netns', 'exec', a.ns, process.execPath, BIN, 'watch', '--json'], { env: { ...process.env, ...a.env }, stdio: 'ignore' });
    try {
      await sleep(1500);
      expect(lanrage(a, ['up']).code).toBe(0);
      const own = spawnSync('pgrep', ['-f', `${BIN} watch`], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean);
      expect(own.length).toBeGreaterThan(0);
      for (const pid of [...pids, ...own]) {
        expect(readFileSync(`/proc/${pid}/cmdline`, 'latin1')).not.toContain(priv);
        expect(readFileSync(`/proc/${pid}/environ`, 'latin1')).not.toContain(priv);
      }
    } finally {
      watch.kill();
    }
  });

  it('peer remove, then down (idempotent); status exits 3 afterwards', () => {
    expect(lanrage(a, ['peer', 'remove', pubB]).code).toBe(0);
    const unrouted = lanrage(a, ['ping', '10.66.0.2', '-c', '1', '--wait', '1000']);
    expect(unrouted.code).toBe(1);
    expect(unrouted.stderr).toContain('hint: no peer on lrcli-a has an allowed IP covering 10.66.0.2');
    expect(lanrage(a, ['down']).code).toBe(0);
    expect(lanrage(a, ['down']).code).toBe(0);
    expect(lanrage(a, ['status']).code).toBe(3);
    expect(tryRun('ip', ['-n', net.a, 'link', 'show', 'lrcli-a'])).toBe(false);
  });
});
