import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeNamespaces, namespacePrerequisites, sh, sleep, tryRun } from '../helpers/netns.js';
import { describeWith, prerequisites } from '../helpers/prerequisites.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '../../packages/cli/dist/bin.js');
const IFACE = 'lrstate0';

/**
 * State that survives: every change through the CLI lands in <configDir>/state/<if>.json, and
 * `up` brings the peers back after `down`, after wireguard-go is killed, and after a simulated
 * reboot (interfaces and processes gone, config dir kept).
 */
describeWith(
  'lanrage keeps peers across down/up, a killed wireguard-go and a reboot (userspace, namespace)',
  [...namespacePrerequisites(), prerequisites.systemdAnalyze()],
  () => {
    let net: ReturnType<typeof makeNamespaces>;
    let dir: string;
    const keys: string[] = [];

    function lanrage(args: string[], input = '') {
      const r = spawnSync('ip', ['netns', 'exec', net.a, process.execPath, BIN, ...args], {
        env: { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: IFACE, NO_COLOR: '1' },
        encoding: 'utf8',
        input,
        timeout: 60_000,
      });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    }
    const statePath = () => join(dir, 'state', `${IFACE}.json`);
    const wgDump = () =>
      sh('ip', ['netns', 'exec', net.a, 'wg', 'show', IFACE, 'dump'])
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t'))
        .map(([key, psk, endpoint, ips, , , , ka]) => ({ key, psk: psk !== '(none)', endpoint, ips, ka }))
        .sort((x, y) => (x.key as string).localeCompare(y.key as string));
    const killWireguardGo = () => {
      tryRun('pkill', ['-9', '-f', `wireguard-go -f ${IFACE}`]);
    };

    beforeAll(() => {
      killWireguardGo();
      net = makeNamespaces('lrs', ['10.207.0.1/24'], ['10.207.0.2/24']);
      dir = mkdtempSync(join(tmpdir(), 'lanrage-state-e2e-'));
      for (let i = 0; i < 3; i++) {
        const priv = spawnSync(process.execPath, [BIN, 'genkey'], { encoding: 'utf8' }).stdout;
        keys.push(spawnSync(process.execPath, [BIN, 'pubkey'], { input: priv, encoding: 'utf8' }).stdout.trim());
      }
    });

    afterAll(() => {
      if (dir) lanrage(['down']);
      killWireguardGo();
      net?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('every change through lanrage is in the state file (0600, no private key); peer add twice keeps the first allowed IPs', () => {
      expect(lanrage(['up', '--listen-port', '51877', '--mtu', '1380']).code).toBe(0);
      const psk = spawnSync(process.execPath, [BIN, 'genpsk'], { encoding: 'utf8' }).stdout;
      expect(
        lanrage(['peer', 'add', keys[0] as string, '-e', '10.207.0.2:51820', '-a', '10.66.0.10/32,192.168.70.0/24', '--preshared-key-file', '-'], psk).code,
      ).toBe(0);
      expect(lanrage(['peer', 'add', keys[1] as string, '-a', '10.66.0.11/32', '-k', 'off']).code).toBe(0);
      expect(lanrage(['peer', 'add', keys[1] as string, '-e', '10.207.0.2:51821']).code).toBe(0); // wg set semantics: only the endpoint changes
      expect(lanrage(['peer', 'add', keys[2] as string, '-a', '10.66.0.12/32']).code).toBe(0);
      expect(lanrage(['peer', 'remove', keys[2] as string]).code).toBe(0);
      const state = JSON.parse(readFileSync(statePath(), 'utf8'));
      expect(statSync(statePath()).mode & 0o777).toBe(0o600);
      expect(state.settings).toEqual({ listenPort: 51877, mtu: 1380 });
      const peers = Object.fromEntries(state.peers.map((p: { publicKey: string }) => [p.publicKey, p]));
      expect(Object.keys(peers).sort()).toEqual([keys[0], keys[1]].sort());
      expect(peers[keys[1] as string]).toEqual({ publicKey: keys[1], endpoint: '10.207.0.2:51821', allowedIPs: ['10.66.0.11/32'], persistentKeepalive: 0 });
      expect(peers[keys[0] as string].presharedKey).toBe(psk.trim());
      const priv = readFileSync(join(dir, 'keys', 'private.key'), 'utf8').trim();
      expect(readFileSync(statePath(), 'utf8')).not.toContain(priv);
    });

    it('down keeps the state; up restores every peer and says so', () => {
      const before = wgDump();
      expect(before).toHaveLength(2);
      expect(lanrage(['down']).code).toBe(0);
      expect(existsSync(statePath())).toBe(true);
      const r = lanrage(['up']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`restored 2 peers from ${statePath()}`);
      expect(r.stderr).toContain('listen port: 51877  mtu: 1380');
      expect(r.stderr).toContain('listenPort, mtu as given to an earlier up');
      expect(wgDump()).toEqual(before);
      expect(sh('ip', ['-n', net.a, 'route', 'show', '192.168.70.0/24'])).toContain(IFACE);
    });

    it('wireguard-go killed with SIGKILL: status says so (PROCESS_EXITED, this run’s log only), up restores the peers', async () => {
      const before = wgDump();
      killWireguardGo();
      await sleep(300);
      const s = lanrage(['status', '--json']);
      expect(s.code).toBe(1);
      const err = JSON.parse(s.stderr).error;
      expect(err.code).toBe('PROCESS_EXITED');
      expect(err.message.match(/lanrage starting/g) ?? []).toHaveLength(0); // no earlier run's lines
      const r = lanrage(['up']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('restored 2 peers');
      expect(wgDump()).toEqual(before);
    });

    it('a simulated reboot (every process and interface gone, /run emptied, config dir kept): up restores the peers', async () => {
      const before = wgDump();
      killWireguardGo();
      await sleep(300);
      for (const f of [`/run/lanrage/${IFACE}.pid`, `/var/run/wireguard/${IFACE}.sock`]) rmSync(f, { force: true });
      tryRun('ip', ['-n', net.a, 'link', 'del', IFACE]);
      const r = lanrage(['up', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ created: true, restored: { peers: 2, from: statePath() }, listenPort: 51877, mtu: 1380 });
      expect(wgDump()).toEqual(before);
    });

    it('up --fresh starts empty and forgets the settings; forget deletes the state', () => {
      expect(lanrage(['down']).code).toBe(0);
      const r = lanrage(['up', '--fresh', '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ restored: null, listenPort: 51820, mtu: 1420, settings: {} });
      expect(wgDump()).toEqual([]);
      expect(JSON.parse(readFileSync(statePath(), 'utf8')).peers).toEqual([]);
      expect(lanrage(['down']).code).toBe(0);
      const f = lanrage(['forget']);
      expect(f.code).toBe(0);
      expect(f.stderr).toContain(`deleted ${statePath()}`);
      expect(existsSync(statePath())).toBe(false);
      expect(existsSync(join(dir, 'keys', 'private.key'))).toBe(true); // the identity stays
    });

    it('a broken state file stops up with exit 1, the file named and never quoted, and --fresh as the way out', () => {
      writeFileSync(statePath(), '{"version":1,"peers":[{"publicKey":"SECRETSECRET', { mode: 0o600 });
      const r = lanrage(['up']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(statePath());
      expect(r.stderr).not.toContain('SECRETSECRET');
      expect(r.stderr).toContain('lanrage up --fresh');
      expect(lanrage(['up', '--fresh']).code).toBe(0);
    });

    it('bad up values exit 2 with a usage line', () => {
      for (const args of [
        ['--mtu', 'abc'],
        ['--mtu', '100'],
        ['--listen-port', '70000'],
        ['--address', '10.66.0.1/16'],
      ]) {
        const r = lanrage(['up', ...args]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toContain('usage:');
      }
    });

    it('a wait over a second shows what it waits for on a terminal: down of a wireguard-go that does not answer SIGTERM (SIGSTOPped)', () => {
      expect(lanrage(['up']).code).toBe(0);
      const pid = readFileSync(`/run/lanrage/${IFACE}.pid`, 'utf8').trim();
      process.kill(Number(pid), 'SIGSTOP');
      // `script` gives the command a terminal; the escape codes are in what it records.
      const cmd = `ip netns exec ${net.a} ${process.execPath} ${BIN} down`;
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], {
        env: { ...process.env, LANRAGE_CONFIG_DIR: dir, LANRAGE_INTERFACE: IFACE, NO_COLOR: '1' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status, r.stdout).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`taking down ${IFACE} \\(1\\.\\d s\\)`));
      expect(r.stdout).toContain(`${IFACE} is down`);
      // and nothing of the kind when stderr is not a terminal
      expect(lanrage(['up']).code).toBe(0);
      process.kill(Number(readFileSync(`/run/lanrage/${IFACE}.pid`, 'utf8').trim()), 'SIGSTOP');
      const quiet = lanrage(['down']);
      expect(quiet.code).toBe(0);
      expect(quiet.stderr).toBe(`${IFACE} is down (its peers are kept for the next lanrage up; lanrage forget drops them)\n`);
    }, 40_000);

    it('service install writes a unit that systemd-analyze verifies, and show prints the same unit', () => {
      const unitDir = mkdtempSync(join(tmpdir(), 'lanrage-unit-'));
      try {
        const r = lanrage(['service', 'install', '--no-enable', '--unit-dir', unitDir]);
        expect(r.code, r.stderr).toBe(0);
        const unit = readFileSync(join(unitDir, 'lanrage@.service'), 'utf8');
        expect(unit).toBe(lanrage(['service', 'show']).stdout);
        expect(unit).toContain(`LANRAGE_CONFIG_DIR=${dir}`);
        expect(unit).toMatch(/^ExecStart=\S+node\S* \S+bin\.js -i %i up$/m);
        expect(unit).toMatch(/^ExecStop=\S+ \S+bin\.js -i %i down$/m);
        // verify wants an instance: the same file under an instance name
        copyFileSync(join(unitDir, 'lanrage@.service'), join(unitDir, `lanrage@${IFACE}.service`));
        const v = spawnSync('systemd-analyze', ['verify', join(unitDir, `lanrage@${IFACE}.service`)], { encoding: 'utf8' });
        expect(v.status, v.stderr).toBe(0);
        expect(v.stderr.trim()).toBe('');
      } finally {
        rmSync(unitDir, { recursive: true, force: true });
      }
    });
  },
);
