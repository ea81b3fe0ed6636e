// Observability end to end, in two network namespaces on the userspace backend: a real
// Prometheus (Debian's, started here on a loopback port of namespace A) scrapes `lanrage
// exporter` serving two interfaces while traffic flows, and what it stored must equal what
// `wg show <if> dump` reports; `lanrage watch --json` must report a handshake, a roam and
// silence. Peers have no persistent keepalive, so counters hold still once the pings stop.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeNamespaces, namespacePrerequisites, sleep, tryRun } from '../helpers/netns.js';
import { describeWith, prerequisites, prometheusPath, promtoolPath } from '../helpers/prerequisites.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/bin.js');
const EXPORTER = '127.0.0.1:19591';
const PROMETHEUS = '127.0.0.1:19592';
/** A name an operator might type, with what the exposition format must escape. */
const ODD_NAME = 'relay "b2"\\east\nsecond line';

interface Side {
  ns: string;
  dir: string;
}

function lanrage(side: Side, iface: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync('ip', ['netns', 'exec', side.ns, process.execPath, BIN, '-i', iface, ...args], {
    env: { ...process.env, LANRAGE_CONFIG_DIR: side.dir, NO_COLOR: '1', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `wg show <if> dump` peer lines as objects (wg reads wireguard-go's socket from any namespace). */
function wgDump(iface: string) {
  const r = spawnSync('wg', ['show', iface, 'dump'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [publicKey, , endpoint, allowedIps, handshake, rx, tx] = l.split('\t');
      return { publicKey, endpoint, allowedIps, handshake: Number(handshake), rx: Number(rx), tx: Number(tx) };
    });
}

/** Runs `node -e` inside a namespace (fetches to 127.0.0.1 there) and parses its JSON output. */
function inNs(ns: string, script: string): unknown {
  const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

/** An instant query against the test's Prometheus: [labels, value] per series. */
function promQuery(ns: string, query: string): [Record<string, string>, string][] {
  const url = `http://${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(query)}`;
  const doc = inNs(ns, `const r = await fetch(${JSON.stringify(url)}); console.log(JSON.stringify(await r.json()));`) as {
    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
  };
  return doc.data.result.map((s) => [s.metric, s.value[1]]);
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

function background(ns: string, args: string[], env: Record<string, string>): { child: ChildProcess; out: string[]; err: string[] } {
  const child = spawn('ip', ['netns', 'exec', ns, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  let buf = '';
  child.stdout?.on('data', (d) => {
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    out.push(...lines);
  });
  child.stderr?.on('data', (d) => err.push(String(d)));
  return { child, out, err };
}

async function stop(child: ChildProcess | undefined): Promise<number | null> {
  if (!child || child.exitCode !== null) return child?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  return exited;
}

describeWith(
  'observability end to end: Prometheus scrapes lanrage exporter, watch reports events (namespaces, userspace backend)',
  [...namespacePrerequisites(), prerequisites.promtool(), prerequisites.prometheus()],
  () => {
    let net: ReturnType<typeof makeNamespaces>;
    let a: Side;
    let b: Side;
    let pubA: string;
    let pubB: string;
    let exporter: ReturnType<typeof background> | undefined;
    let prometheus: ReturnType<typeof background> | undefined;
    let watcher: ReturnType<typeof background> | undefined;
    let promDir: string;

    beforeAll(() => {
      tryRun('pkill', ['-f', 'wireguard-go -f lrobs-']);
      net = makeNamespaces('lro', ['10.205.0.1/24', '10.205.1.1/24'], ['10.205.0.2/24', '10.205.1.2/24']);
      a = { ns: net.a, dir: mkdtempSync(join(tmpdir(), 'lanrage-obs-a-')) };
      b = { ns: net.b, dir: mkdtempSync(join(tmpdir(), 'lanrage-obs-b-')) };
      promDir = mkdtempSync(join(tmpdir(), 'lanrage-obs-prom-'));
    });

    afterAll(async () => {
      for (const p of [watcher, exporter, prometheus]) await stop(p?.child);
      for (const [side, ifs] of [
        [a, ['lrobs-a1', 'lrobs-a2']],
        [b, ['lrobs-b1', 'lrobs-b2']],
      ] as const) {
        if (!side) continue;
        for (const i of ifs) lanrage(side, i, ['down']);
        rmSync(side.dir, { recursive: true, force: true });
      }
      if (promDir) rmSync(promDir, { recursive: true, force: true });
      net?.destroy();
      tryRun('pkill', ['-f', 'wireguard-go -f lrobs-']);
    });

    it('two interfaces on each side, peered without keepalive; one peer named with quotes, a backslash and a newline', () => {
      const up = (side: Side, iface: string, address: string, port: string) => {
        const subnet = `${address.split('.').slice(0, 2).join('.')}.0.0/16`;
        const r = lanrage(side, iface, ['up', '--json'], { LANRAGE_VIRTUAL_SUBNET: subnet, LANRAGE_ADDRESS: address, LANRAGE_LISTEN_PORT: port });
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout).publicKey as string;
      };
      pubA = up(a, 'lrobs-a1', '10.67.0.1', '51840');
      expect(up(a, 'lrobs-a2', '10.68.0.1', '51841')).toBe(pubA); // one configuration directory: one identity
      pubB = up(b, 'lrobs-b1', '10.67.0.2', '51850');
      up(b, 'lrobs-b2', '10.68.0.2', '51851');
      const add = (side: Side, iface: string, key: string, endpoint: string, ip: string, name: string) => {
        const r = lanrage(side, iface, ['peer', 'add', key, '-e', endpoint, '-a', ip, '-k', 'off', '--name', name]);
        expect(r.code, r.stderr).toBe(0);
      };
      add(a, 'lrobs-a1', pubB, '10.205.0.2:51850', '10.67.0.2/32', 'b1');
      add(a, 'lrobs-a2', pubB, '10.205.0.2:51851', '10.68.0.2/32', ODD_NAME);
      add(b, 'lrobs-b1', pubA, '10.205.0.1:51840', '10.67.0.1/32', 'a1');
      add(b, 'lrobs-b2', pubA, '10.205.0.1:51841', '10.68.0.1/32', 'a2');
      const s = JSON.parse(lanrage(a, 'lrobs-a2', ['status', '--json']).stdout);
      expect(s.peers[0]).toMatchObject({ publicKey: pubB, name: ODD_NAME });
    });

    it('watch, the exporter (both interfaces) and Prometheus start in namespace A', async () => {
      const env = { LANRAGE_CONFIG_DIR: a.dir, NO_COLOR: '1' };
      watcher = background(a.ns, [process.execPath, BIN, '-i', 'lrobs-a1', 'watch', '--json', '--interval', '0.3', '--stale-after', '3'], env);
      exporter = background(a.ns, [process.execPath, BIN, 'exporter', '--interfaces', 'lrobs-a1,lrobs-a2', '--listen', EXPORTER, '--stale-after', '3'], env);
      writeFileSync(
        join(promDir, 'prometheus.yml'),
        `global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n  - job_name: lanrage\n    static_configs:\n      - targets: ['${EXPORTER}']\n`,
      );
      prometheus = background(
        a.ns,
        [
          prometheusPath(),
          `--config.file=${join(promDir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(promDir, 'data')}`,
          `--web.listen-address=${PROMETHEUS}`,
          '--log.level=warn',
        ],
        {},
      );
      await until('the exporter to listen', () => exporter?.err.join('').includes('serving'));
      await until('Prometheus to scrape the exporter', () => promQuery(a.ns, 'up{job="lanrage"}').some(([, v]) => v === '1'), 30_000);
    });

    it('traffic through both tunnels: watch reports the handshake', async () => {
      for (const ip of ['10.67.0.2', '10.68.0.2']) {
        const r = lanrage(a, 'lrobs-a1', ['ping', ip, '-c', '3', '--wait', '3000']);
        expect(r.code, r.stdout + r.stderr).toBe(0);
      }
      const ev = await until('a handshake event', () => watcher?.out.map((l) => JSON.parse(l)).find((e) => e.type === 'handshake'));
      expect(ev).toMatchObject({ type: 'handshake', interface: 'lrobs-a1', publicKey: pubB, name: 'b1' });
      expect(Date.parse(ev.at)).toBeGreaterThan(Date.now() - 60_000);
    });

    it('the peer roams to its other address: watch reports endpoint-changed', async () => {
      // B now sends to A's second address; its source becomes 10.205.1.2, and A follows it.
      expect(lanrage(b, 'lrobs-b1', ['peer', 'set', pubA, '-e', '10.205.1.1:51840']).code).toBe(0);
      const r = lanrage(b, 'lrobs-b1', ['ping', '10.67.0.1', '-c', '2', '--wait', '3000']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const ev = await until('an endpoint-changed event', () => watcher?.out.map((l) => JSON.parse(l)).find((e) => e.type === 'endpoint-changed'));
      expect(ev).toMatchObject({ publicKey: pubB, from: '10.205.0.2:51850', to: '10.205.1.2:51850' });
    });

    it('silence: watch reports stale after --stale-after, once', async () => {
      const ev = await until('a stale event', () => watcher?.out.map((l) => JSON.parse(l)).find((e) => e.type === 'stale'));
      expect(ev).toMatchObject({ publicKey: pubB, interface: 'lrobs-a1' });
      expect(ev.silentForSeconds).toBeGreaterThanOrEqual(3);
      await sleep(1000);
      // Once per silence: never two stale events without a recovered between (the peer's passive
      // keepalive, 10 s after the last ping, may bring it back and a new silence start).
      const states = watcher?.out.map((l) => JSON.parse(l).type).filter((t) => t === 'stale' || t === 'recovered') ?? [];
      for (let i = 1; i < states.length; i++) expect(states[i] === 'stale' && states[i - 1] === 'stale').toBe(false);
    });

    it("Prometheus holds exactly what wg show dump reports: rx, tx and handshake of both interfaces' peers; the name label unescaped", async () => {
      const series = (q: string) => new Map(promQuery(a.ns, q).map(([m, v]) => [`${m.device} ${m.public_key}`, v]));
      // Nothing moves any more (no keepalive); the next scrape after the last packet must match wg.
      const compared = await until('Prometheus to match wg show dump', () => {
        const rx = series('wireguard_peer_receive_bytes_total');
        const tx = series('wireguard_peer_transmit_bytes_total');
        const hs = series('wireguard_peer_last_handshake_seconds');
        const rows = ['lrobs-a1', 'lrobs-a2'].flatMap((dev) =>
          wgDump(dev).map((w) => ({ dev, w, rx: rx.get(`${dev} ${w.publicKey}`), tx: tx.get(`${dev} ${w.publicKey}`), hs: hs.get(`${dev} ${w.publicKey}`) })),
        );
        const same = rows.every((r) => r.rx === String(r.w.rx) && r.tx === String(r.w.tx) && r.hs === String(r.w.handshake));
        return rows.length === 2 && same ? rows : undefined;
      });
      for (const r of compared) {
        expect(r.w.rx).toBeGreaterThan(0);
        expect(r.w.handshake).toBeGreaterThan(0);
      }
      const info = promQuery(a.ns, 'wireguard_peer_info');
      expect(info.map(([m]) => [m.device, m.name]).sort()).toEqual([
        ['lrobs-a1', 'b1'],
        ['lrobs-a2', ODD_NAME],
      ]);
      const dev = promQuery(a.ns, 'wireguard_device_info');
      expect(dev.map(([m]) => m.public_key)).toEqual([pubA, pubA]);
      // lrobs-a1's peer was up while traffic flowed and down once silent for --stale-after (its
      // passive keepalive, 10 s after the last ping, may since have brought it back).
      const range = (fn: string) => promQuery(a.ns, `${fn}(lanrage_peer_up{device="lrobs-a1"}[5m])`).map(([, v]) => v);
      expect(range('max_over_time')).toEqual(['1']);
      expect(range('min_over_time')).toEqual(['0']);
    });

    it('a removed peer: its series disappear from the next scrape; a peer with no handshake is exported with 0', async () => {
      expect(lanrage(a, 'lrobs-a2', ['peer', 'remove', pubB]).code).toBe(0);
      const key = spawnSync('wg', ['genkey'], { encoding: 'utf8' }).stdout.trim();
      const pub = spawnSync('wg', ['pubkey'], { input: key, encoding: 'utf8' }).stdout.trim();
      expect(lanrage(a, 'lrobs-a1', ['peer', 'add', pub, '-a', '10.67.0.9/32']).code).toBe(0);
      await until('the removed peer to leave Prometheus', () => promQuery(a.ns, 'wireguard_peer_receive_bytes_total{device="lrobs-a2"}').length === 0);
      const hs = await until('the new peer in Prometheus', () =>
        promQuery(a.ns, `wireguard_peer_last_handshake_seconds{public_key="${pub}"}`).find(([m]) => m.device === 'lrobs-a1'),
      );
      expect(hs[1]).toBe('0');
      const once = lanrage(a, 'lrobs-a1', ['metrics']);
      expect(once.code, once.stderr).toBe(0);
      expect(once.stdout).toContain(`wireguard_peer_last_handshake_seconds{device="lrobs-a1",public_key="${pub}"} 0`);
      expect(once.stdout).not.toMatch(new RegExp(`lanrage_peer_handshake_age_seconds\\{[^}]*${pub.replace(/[+/=]/g, '\\$&')}`));
      const check = spawnSync(promtoolPath(), ['check', 'metrics'], { input: once.stdout, encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    });

    it('--probe-latency: the exporter measures each peer through the tunnel and exports the round trip', async () => {
      const probing = background(a.ns, [process.execPath, BIN, '-i', 'lrobs-a1', 'exporter', '--listen', '127.0.0.1:19593', '--probe-latency', '0.5'], {
        LANRAGE_CONFIG_DIR: a.dir,
      });
      try {
        await until('the probing exporter to listen', () => probing.err.join('').includes('serving'));
        const sample = await until('a latency sample', () => {
          const body = inNs(a.ns, `const r = await fetch('http://127.0.0.1:19593/metrics'); console.log(JSON.stringify(await r.text()));`) as string;
          return /^lanrage_peer_latency_seconds\{device="lrobs-a1",public_key="([^"]+)"\} ([0-9.]+)$/m.exec(body);
        });
        expect(sample[1]).toBe(pubB);
        expect(Number(sample[2])).toBeGreaterThan(0);
        expect(Number(sample[2])).toBeLessThan(1);
      } finally {
        expect(await stop(probing.child)).toBe(0);
      }
    });

    it('watch, the exporter and Prometheus stop cleanly on SIGTERM', async () => {
      expect(await stop(watcher?.child)).toBe(0);
      expect(await stop(exporter?.child)).toBe(0);
      await stop(prometheus?.child);
      expect(watcher?.err.join('')).not.toMatch(/at .*\.js:\d+/); // no stack trace
    });
  },
);
