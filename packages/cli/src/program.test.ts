import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatLogRecord, generateKeyPair, Key, MemoryLogger, publicKeyFrom } from '@lanrage/core';
import { MemoryBackend, setDeviceConfig } from '@lanrage/core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CliContext } from './context.js';
import { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';
import { assertJsonRun } from './output/cli-schema.test-helper.js';
import { ago, bytes } from './output/format.js';
import { runCli } from './program.js';

let dir: string;
let backend: MemoryBackend;
let logger: MemoryLogger;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lanrage-cli-'));
  backend = new MemoryBackend({ latencies: { '10.66.0.2': 3.25 } });
  logger = new MemoryLogger();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => Buffer.from(opts.stdin ?? ''),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env: { LANRAGE_CONFIG_DIR: dir, ...opts.env },
  };
  const ctx: CliContext = { io, backend, logger, version: '9.9.9' };
  const code = await runCli(argv, ctx);
  // Every --json document any test prints is checked against docs/cli-json.schema.json.
  if (code !== ExitCode.USAGE) assertJsonRun(argv, { stdout, stderr }, io.env);
  return { code, stdout, stderr };
}

const peer = generateKeyPair().publicKey.toBase64();

describe('lanrage CLI against MemoryBackend', () => {
  it('--help documents every command and the exit codes; --version prints the version', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    for (const cmd of ['up', 'down', 'status', 'peers', 'peer', 'ping', 'apply', 'doctor', 'genkey', 'pubkey', 'genpsk', 'completion'])
      expect(help.stdout).toContain(cmd);
    expect(help.stdout).toContain('Exit codes');
    expect((await run(['--version'])).stdout.trim()).toBe('9.9.9');
    // A subcommand's help shows the global options and the defaults.
    const sub = await run(['ping', '--help']);
    expect(sub.stdout).toContain('Global Options:');
    expect(sub.stdout).toContain('-i, --interface <name>');
    expect(sub.stdout).toContain('(default: "4")');
  });

  it('usage errors exit 2', async () => {
    expect((await run(['frobnicate'])).code).toBe(ExitCode.USAGE);
    expect((await run(['up', '--no-such-flag'])).code).toBe(ExitCode.USAGE);
    expect((await run(['--backend', 'magic', 'up'])).code).toBe(ExitCode.USAGE);
    expect((await run(['peer', 'add'])).code).toBe(ExitCode.USAGE);
  });

  it('every malformed value typed on the command line exits 2 with a usage line; bare lanrage is a usage error, lanrage help is not', async () => {
    await run(['up']);
    const cases: [string[], RegExp][] = [
      [['ping', '-c', 'abc', '10.66.0.2'], /--count must be a whole number/],
      [['ping', 'abc'], /ping needs the peer's IP address/],
      [['-i', 'bad name!', 'status'], /-i\/--interface: 'bad name!' is not a valid interface name/],
      [['--interface=-x', 'status'], /-i\/--interface: '-x' is not a valid interface name/],
      [['--timeout', 'soon', 'status'], /--timeout must be a whole number of seconds/],
      [['status', '--timeout', '0'], /--timeout must be a whole number of seconds/],
      // commands that read only the configuration check -i the same way (not INVALID_CONFIG)
      [['-i', 'bad name!', 'logs'], /-i\/--interface: 'bad name!'/],
      [['-i', 'bad name!', 'forget'], /-i\/--interface: 'bad name!'/],
      [['-i', 'bad name!', 'doctor'], /-i\/--interface: 'bad name!'/],
      [['-i', 'bad name!', 'service', 'show'], /-i\/--interface: 'bad name!'/],
      [['peer', 'add', 'not-a-key'], /public key of the peer is not a 44-character/],
      [['peer', 'add', peer, '--endpoint', '::1:51820'], /endpoint/],
      [['peer', 'add', peer, '--allowed-ips', '10.0.0.0/33'], /not a valid allowed IP/],
      [['peer', 'add', peer, '--keepalive', 'often'], /keepalive/],
      [['completion', 'powershell'], /no completion for shell powershell/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(ExitCode.USAGE);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: lanrage --help');
      expect(r.stderr).not.toMatch(/initialize\(\)|this call|peer #0|configuration file/);
    }
    const bare = await run([]);
    expect(bare.code).toBe(ExitCode.USAGE);
    expect(bare.stderr).toContain('Usage: lanrage');
    expect(bare.stdout).toBe('');
    expect((await run(['peer'])).code).toBe(ExitCode.USAGE);
    expect((await run(['help'])).code).toBe(ExitCode.OK);
  });

  it('status before up exits 3 (human and JSON), for a named interface and for all', async () => {
    const human = await run(['-i', 'lanrage0', 'status']);
    expect(human.code).toBe(ExitCode.NOT_UP);
    expect(human.stderr).toContain('lanrage0 is not up');
    const json = await run(['-i', 'lanrage0', 'status', '--json']);
    expect(json.code).toBe(ExitCode.NOT_UP);
    expect(JSON.parse(json.stdout)).toMatchObject({ schemaVersion: 1, state: 'not_created', interface: 'lanrage0' });
    const all = await run(['status']);
    expect(all.code).toBe(ExitCode.NOT_UP);
    expect(all.stderr).toContain('no WireGuard interface is up');
    expect(JSON.parse((await run(['status', '--json'])).stdout)).toEqual({ schemaVersion: 1, interfaces: [] });
  });

  it('status with no interface named shows every WireGuard interface, as wg show does', async () => {
    await run(['up']);
    const second = await run(['-i', 'lrsecond', 'up', '--listen-port', '51821']);
    expect(second.code, second.stderr).toBe(0);
    const all = await run(['status']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('interface: lanrage0');
    expect(all.stdout).toContain('interface: lrsecond');
    const doc = JSON.parse((await run(['status', '--json'])).stdout);
    expect(doc.interfaces.map((i: { interface: string }) => i.interface)).toEqual(['lanrage0', 'lrsecond']);
    expect(doc.interfaces[0]).toMatchObject({ state: 'active', mtu: 1420, linkUp: true });
    // LANRAGE_INTERFACE names one, as -i does
    const one = await run(['status', '--json'], { env: { LANRAGE_INTERFACE: 'lrsecond' } });
    expect(JSON.parse(one.stdout)).toMatchObject({ state: 'active', interface: 'lrsecond' });
  });

  it('up, peer add/set/remove, status, peers, ping, down', async () => {
    const up = await run(['up', '--json']);
    expect(up.code).toBe(0);
    const upDoc = JSON.parse(up.stdout);
    expect(upDoc).toMatchObject({ schemaVersion: 1, interfaceName: 'lanrage0', backend: 'memory', created: true });
    expect((await run(['up'])).stderr).toContain('adopted');

    const add = await run(['peer', 'add', peer, '--endpoint', '192.0.2.1:51820', '--allowed-ips', '10.66.0.2/32,192.168.9.0/24', '--keepalive', '15']);
    expect(add.stderr).toContain('added');
    expect(add.code).toBe(0);
    const st = JSON.parse((await run(['-i', 'lanrage0', 'status', '--json'])).stdout);
    expect(st).toMatchObject({ schemaVersion: 1, state: 'active', publicKey: upDoc.publicKey, mtu: 1420, linkUp: true });
    expect(st.peers[0]).toMatchObject({
      publicKey: peer,
      endpoint: '192.0.2.1:51820',
      allowedIPs: ['10.66.0.2/32', '192.168.9.0/24'],
      persistentKeepalive: 15,
      handshakeAgeSeconds: null, // no handshake yet
      online: false,
    });
    expect(Math.abs(Date.parse(st.capturedAt) - Date.now())).toBeLessThan(60_000);

    backend.calls.length = 0;
    expect((await run(['peer', 'set', peer, '--endpoint', '198.51.100.1:4000'])).code).toBe(0);
    const set = backend.calls.find((c) => c.method === 'setDevice');
    expect(set?.config?.peers?.[0]).toMatchObject({ updateOnly: true, endpoint: '198.51.100.1:4000' });

    const human = await run(['status']);
    expect(human.stdout).toContain('interface: lanrage0');
    expect(human.stdout).toContain(`peer: ${peer}`);
    expect(human.stdout).toContain('endpoint: 198.51.100.1:4000');
    expect(human.stdout).toContain('latest handshake: never');
    expect(human.stdout).not.toContain('\x1b['); // no colour when not a TTY

    const peers = JSON.parse((await run(['peers', '--json'])).stdout);
    expect(peers.peers).toHaveLength(1);
    const table = (await run(['peers'])).stdout;
    expect(table).toBe(`${peer.slice(0, 10)}…  10.66.0.2/32  198.51.100.1:4000  never  rx 0 B  tx 0 B  offline\n`);
    const shown = await run(['peer', 'show', peer]);
    expect(shown.stdout).toContain(`peer: ${peer}`);
    expect(shown.stdout).toContain('status: never connected');
    expect(JSON.parse((await run(['peer', 'show', peer, '--json'])).stdout).peer).toMatchObject({ publicKey: peer, name: null });
    const missing = await run(['peer', 'show', 'nobody']);
    expect(missing.code).toBe(ExitCode.FAILED);
    expect(missing.stderr).toContain('no peer named "nobody"');

    const ping = await run(['ping', '10.66.0.2', '-c', '1', '--json']);
    expect(ping.code).toBe(0);
    expect(JSON.parse(ping.stdout)).toMatchObject({ sent: 1, received: 1, minMs: 3.25 });
    const noReply = await run(['ping', '10.66.0.9', '-c', '1', '--wait', '100']);
    expect(noReply.code).toBe(ExitCode.FAILED);
    expect(noReply.stdout).toContain('100% loss');

    expect((await run(['peer', 'remove', peer])).code).toBe(0);
    expect((await run(['peer', 'remove', peer])).code).toBe(0);
    expect((await run(['down'])).code).toBe(0);
    expect((await run(['down'])).code).toBe(0);
    expect((await run(['-i', 'lanrage0', 'status'])).code).toBe(ExitCode.NOT_UP);
  });

  it('the JSON schema is strict: an unknown or a missing field fails, so every checked output is really checked', async () => {
    const up = JSON.parse((await run(['up', '--json'])).stdout);
    expect(() => assertJsonRun(['up', '--json'], { stdout: JSON.stringify({ ...up, extra: 1 }), stderr: '' })).toThrow(/must NOT have additional properties/);
    const { restored: _, ...missing } = up;
    expect(() => assertJsonRun(['up', '--json'], { stdout: JSON.stringify(missing), stderr: '' })).toThrow(/restored/);
    expect(() => assertJsonRun(['frob', '--json'], { stdout: '{}', stderr: '' })).toThrow(/no document/);
  });

  it('a half-configured interface is degraded (exit 1, reasons with the remedy); up repairs it and says what it repaired', async () => {
    await run(['up']);
    await run(['peer', 'add', peer, '-a', '10.66.0.2/32']);
    await backend.setUp('lanrage0', false);
    await backend.setAddresses('lanrage0', []);
    const human = await run(['-i', 'lanrage0', 'status']);
    expect(human.code).toBe(ExitCode.FAILED);
    expect(human.stdout).toContain('state: degraded');
    expect(human.stdout).toContain("lanrage0's link is down: no traffic passes (lanrage up -i lanrage0 repairs it (peers are kept))");
    const doc = JSON.parse((await run(['-i', 'lanrage0', 'status', '--json'])).stdout);
    expect(doc).toMatchObject({ state: 'degraded', linkUp: false, addresses: [] });
    expect(doc.reasons.map((r: { code: string }) => r.code)).toEqual(['LINK_DOWN', 'NO_ADDRESS']);
    expect((await run(['status'])).code).toBe(ExitCode.FAILED); // every interface: one degraded
    const up = await run(['up']);
    expect(up.stderr).toContain('repaired: link (it was down), address (it had none)');
    expect(JSON.parse((await run(['up', '--json'])).stdout).repaired).toEqual([]);
    const after = await run(['-i', 'lanrage0', 'status', '--json']);
    expect(after.code).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ state: 'active', reasons: [], linkUp: true });
    expect(JSON.parse(after.stdout).peers).toHaveLength(1);
  });

  it('an interface left with no private key (a `lanrage up` killed before it set one) is degraded, never active; up sets the kept key back', async () => {
    await run(['up']);
    await run(['peer', 'add', peer, '-a', '10.66.0.2/32']);
    const before = (await backend.getDevice('lanrage0')).publicKey?.toBase64();
    await setDeviceConfig(backend, 'lanrage0', { privateKey: null });
    expect((await backend.getDevice('lanrage0')).publicKey).toBeNull();
    const status = await run(['-i', 'lanrage0', 'status', '--json']);
    expect(status.code).toBe(ExitCode.FAILED);
    const doc = JSON.parse(status.stdout);
    expect(doc.state).toBe('degraded');
    expect(doc.reasons).toEqual([expect.objectContaining({ code: 'NO_PRIVATE_KEY', remedy: expect.stringContaining('lanrage up') })]);
    const up = await run(['up']);
    expect(up.stderr).toContain('repaired: private key (it had none)');
    expect((await backend.getDevice('lanrage0')).publicKey?.toBase64()).toBe(before); // the same identity, from the key file
    expect(JSON.parse((await run(['-i', 'lanrage0', 'status', '--json'])).stdout)).toMatchObject({ state: 'active', reasons: [] });
  });

  it('A3 an allowed IP taken from another peer is reported: a warning on stderr and in --json, and a log record', async () => {
    await run(['up']);
    const other = generateKeyPair().publicKey.toBase64();
    await run(['peer', 'add', other, '-a', '10.66.0.7/32,192.168.5.0/24']);
    const r = await run(['peer', 'add', peer, '-a', '10.66.0.8/32,192.168.5.0/24', '--json']);
    expect(JSON.parse(r.stdout).warnings).toEqual([`allowed IP 192.168.5.0/24 moves from peer ${other} to this one`]);
    const rec = logger.records.find((x) => x.event === 'peer.allowedIPMoved');
    expect(rec).toMatchObject({ level: 'warn', allowedIP: '192.168.5.0/24', from: other, to: peer });
    const dev = await backend.getDevice('lanrage0');
    expect(dev.peers.find((p) => p.publicKey.toBase64() === other)?.allowedIPs).toEqual(['10.66.0.7/32']);
  });

  it('C4 apply never runs a wg-quick hook: the marker is never created, and the hooks are named as not applied', async () => {
    await run(['up']);
    const marker = join(dir, 'hook-ran');
    const conf = join(dir, 'hooks.conf');
    const hooks = ['PreUp', 'PostUp', 'PreDown', 'PostDown'].map((h) => `${h} = touch ${marker}`).join('\n');
    await writeFile(conf, `[Interface]\n${hooks}\n\n[Peer]\nPublicKey = ${peer}\nAllowedIPs = 10.66.0.2/32\n`, { mode: 0o600 });
    const r = await run(['apply', conf, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).ignored).toContain('Pre/Post hooks');
    await run(['down']);
    const { existsSync } = await import('node:fs');
    expect(existsSync(marker)).toBe(false);
  });

  it('logs prints the interface’s last records, one line each (torn lines and other interfaces skipped); --json as stored', async () => {
    const rec = (i: number, iface: string) =>
      JSON.stringify({
        time: `2026-12-02T10:00:0${i}.000Z`,
        level: i === 3 ? 'error' : 'info',
        event: 'addPeer',
        interface: iface,
        ok: i !== 3,
        durationMs: i,
        publicKey: `k${i}`,
      });
    const lines = [rec(1, 'lanrage0'), rec(2, 'other0'), rec(3, 'lanrage0'), '{"time":"torn', rec(4, 'lanrage0'), '{"half'];
    await writeFile(join(dir, 'lanrage.log'), `${'x'.repeat(600_000)}\n${lines.join('\n')}`);
    const r = await run(['logs', '-n', '2']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      '2026-12-02T10:00:03.000Z  error  lanrage0  addPeer  failed  3 ms  publicKey=k3\n2026-12-02T10:00:04.000Z  info   lanrage0  addPeer  ok  4 ms  publicKey=k4\n',
    );
    const j = await run(['logs', '--json', '-n', '5']);
    expect(
      j.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).time),
    ).toEqual(['2026-12-02T10:00:01.000Z', '2026-12-02T10:00:03.000Z', '2026-12-02T10:00:04.000Z']);
    expect((await run(['logs', '-n', 'many'])).code).toBe(ExitCode.USAGE);
    await rm(join(dir, 'lanrage.log'));
    expect((await run(['logs'])).stderr).toContain('no log yet');
  });

  it('peer add has wg set semantics: an existing peer changes only the fields given; --replace resets; no allowed IPs warns', async () => {
    await run(['up']);
    const first = await run(['peer', 'add', peer, '-a', '10.66.0.2/32,192.168.7.0/24', '-e', '192.0.2.1:51820']);
    expect(first.stderr).toContain('added to');
    const again = await run(['peer', 'add', peer, '-e', '192.0.2.2:51820', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ action: 'update', changes: ['endpoint 192.0.2.1:51820 → 192.0.2.2:51820'], warnings: [] });
    let dev = await backend.getDevice('lanrage0');
    expect(dev.peers[0]?.allowedIPs).toEqual(['10.66.0.2/32', '192.168.7.0/24']); // kept
    expect(dev.peers[0]?.persistentKeepalive).toBe(25); // kept
    expect(dev.peers[0]?.endpoint).toBe('192.0.2.2:51820');
    const same = await run(['peer', 'add', peer, '-e', '192.0.2.2:51820']);
    expect(same.stderr).toContain('unchanged on');
    const ka = await run(['peer', 'add', peer, '-k', 'off']);
    expect(ka.stderr).toContain('persistent keepalive 25 → off');
    const replaced = await run(['peer', 'add', peer, '--replace', '-a', '10.66.0.3/32']);
    expect(replaced.stderr).toContain('replaced on');
    dev = await backend.getDevice('lanrage0');
    expect(dev.peers[0]).toMatchObject({ allowedIPs: ['10.66.0.3/32'], persistentKeepalive: 25 });
    const empty = await run(['peer', 'add', peer, '-a', '']);
    expect(empty.code).toBe(ExitCode.OK);
    expect(empty.stderr).toContain('allowed IPs 10.66.0.3/32 → (none)');
    expect(empty.stderr).toMatch(/warning: .* has no allowed IPs/);
  });

  it('peer set on a missing peer fails with the code and remedy; --json errors go to stderr', async () => {
    await run(['up']);
    const r = await run(['peer', 'set', peer, '--endpoint', '192.0.2.1:1']);
    expect(r.code).toBe(ExitCode.FAILED);
    expect(r.stderr).toMatch(/^lanrage: no peer/m);
    expect(r.stderr).toContain('hint:');
    const j = await run(['peer', 'set', peer, '--endpoint', '192.0.2.1:1', '--json']);
    expect(j.stdout).toBe('');
    expect(JSON.parse(j.stderr)).toMatchObject({ schemaVersion: 1, error: { code: 'PEER_NOT_FOUND' } });
  });

  it('bad input is rejected with typed errors, not echoed when secret', async () => {
    await run(['up']);
    const secretish = 'c2VjcmV0LXZhbHVlLXRoYXQtbG9va3MtbGlrZS1hLWtleQ';
    const r = await run(['peer', 'add', secretish]);
    expect(r.stderr).toContain('not a 44-character');
    expect(r.stderr).not.toContain(secretish);
    expect((await run(['-i', 'bad/name', 'up'])).code).toBe(ExitCode.USAGE);
  });

  it('the interface not up: a hint for the command line, not for the library', async () => {
    const r = await run(['peer', 'remove', peer]);
    expect(r.code).toBe(ExitCode.NOT_UP);
    expect(r.stderr).toContain('lanrage up');
    expect(r.stderr).not.toContain('initialize()');
  });

  it('peer commands on an interface that is not up exit 3', async () => {
    expect((await run(['peer', 'add', peer, '--allowed-ips', '10.66.0.2/32'])).code).toBe(ExitCode.NOT_UP);
  });

  it('K12 a preshared key only comes from a file or stdin, and never appears in output or logs', async () => {
    await run(['up']);
    const psk = Key.fromBytes(new Uint8Array(32).fill(0x33), 'preshared').toBase64();
    const file = join(dir, 'psk');
    await writeFile(file, `${psk}\n`, { mode: 0o600 });
    const r = await run(['peer', 'add', peer, '--allowed-ips', '10.66.0.2/32', '--preshared-key-file', file]);
    expect(r.code).toBe(0);
    expect((await backend.getDevice('lanrage0')).peers[0]?.presharedKey?.toBase64()).toBe(psk);
    const viaStdin = await run(['peer', 'add', peer, '--preshared-key-file', '-'], { stdin: `${psk}\n` });
    expect(viaStdin.code).toBe(0);
    const st = await run(['status', '--json']);
    expect(st.stdout).not.toContain(psk);
    expect((await run(['status'])).stdout).toContain('preshared key: (hidden)');
    expect(logger.records.map(formatLogRecord).join('\n')).not.toContain(psk);
    // there is no option that takes a key on the command line
    expect((await run(['peer', 'add', peer, '--preshared-key', psk])).code).toBe(ExitCode.USAGE);
  });

  it('genkey | pubkey is byte-compatible with wg; genpsk gives a key', async () => {
    const priv = (await run(['genkey'])).stdout;
    expect(priv).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const pub = (await run(['pubkey'], { stdin: priv })).stdout;
    expect(pub).toBe(`${publicKeyFrom(Key.parse(priv.trim(), 'private')).toBase64()}\n`);
    try {
      expect(execFileSync('wg', ['pubkey'], { input: priv }).toString()).toBe(pub);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    expect((await run(['genpsk'])).stdout).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    const bad = await run(['pubkey'], { stdin: 'garbage-secret-garbage-secret' });
    expect(bad.code).toBe(ExitCode.FAILED);
    expect(bad.stderr).not.toContain('garbage-secret');
  });

  it('apply: --dry-run prints the plan, apply sends only the differences, and a second apply is a no-op', async () => {
    await run(['up']);
    await run(['peer', 'add', peer, '--endpoint', '192.0.2.1:51820', '--allowed-ips', '10.66.0.2/32', '--keepalive', '25']);
    const other = generateKeyPair().publicKey.toBase64();
    const file = join(dir, 'wg.conf');
    await writeFile(
      file,
      `[Interface]\nAddress = 10.66.0.1/16\n\n[Peer]\nPublicKey = ${peer}\nEndpoint = 198.51.100.1:51820\nAllowedIPs = 10.66.0.2/32\nPersistentKeepalive = 25\n\n[Peer]\nPublicKey = ${other}\nAllowedIPs = 10.66.0.3/32\n`,
      { mode: 0o600 },
    );
    const dry = await run(['apply', file, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('1 to add, 1 to update, 0 to remove');
    expect(dry.stdout).toContain('endpoint 192.0.2.1:51820 → 198.51.100.1:51820');
    expect(dry.stderr).toContain('dry run');
    expect((await backend.getDevice('lanrage0')).peers).toHaveLength(1);

    backend.calls.length = 0;
    const real = JSON.parse((await run(['apply', file, '--json'])).stdout);
    expect(real).toMatchObject({ schemaVersion: 1, applied: true, ignored: ['Address'], warnings: [] });
    // Every change as data, not prose only.
    expect(real.plan.update[0].fields).toEqual([{ field: 'endpoint', from: '192.0.2.1:51820', to: '198.51.100.1:51820' }]);
    expect(real.plan.add[0]).toMatchObject({ publicKey: other, fields: [{ field: 'allowedIPs', from: null, to: ['10.66.0.3/32'] }] });
    expect(real.plan.config).toBeUndefined();
    const sets = backend.calls.filter((c) => c.method === 'setDevice');
    expect(sets).toHaveLength(1);
    expect(sets[0]?.config?.peers?.find((p) => String(p.publicKey) === peer)).toMatchObject({ updateOnly: true, endpoint: '198.51.100.1:51820' });
    const again = JSON.parse((await run(['apply', file, '--json'])).stdout);
    expect(again.applied).toBe(false);
    expect((await run(['apply', join(dir, 'missing.conf')])).code).toBe(ExitCode.FAILED);
  });

  it('apply warns, like wg-quick, about a file others can read that holds a private or a preshared key; parse warnings are shown', async () => {
    await run(['up']);
    const psk = 'GK6dSjOBmGGFe3VHaX5V4ASywMW3cZPcZYzqdxx4yE4=';
    const file = join(dir, 'loose.conf');
    await writeFile(file, `[Peer]\nPublicKey = ${peer}\nPresharedKey = ${psk}\nAllowedIPs = 10.66.0.7/16\n`, { mode: 0o644 });
    const r = await run(['apply', file, '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${file} holds a preshared key and is accessible to other users (chmod 600 it)`);
    expect(r.stderr).toContain('line 4: AllowedIPs 10.66.0.7/16 has host bits set; applied as 10.66.0.0/16');
    expect(r.stderr + r.stdout).not.toContain(psk);
    const j = JSON.parse((await run(['apply', file, '--dry-run', '--json'])).stdout);
    expect(j.warnings).toHaveLength(2);
  });

  it('doctor reports each check with a remedy and exits 1 when one fails', async () => {
    const good = await run(['doctor', '--json']);
    const doc = JSON.parse(good.stdout);
    expect(doc.schemaVersion).toBe(1);
    expect(doc.checks.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['platform', 'config', 'privileges', 'key files', 'listen port']));
    expect(good.code).toBe(doc.ok ? 0 : 1);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ listenPort: 'x' }));
    const bad = await run(['doctor']);
    expect(bad.code).toBe(ExitCode.FAILED);
    expect(bad.stdout).toMatch(/FAIL\s+config: listenPort/);
    expect(bad.stdout).toContain('→');
  });

  it('__complete answers from the command tree: subcommands, per-command flags, flag values, files, peer keys', async () => {
    const c = async (...words: string[]) => (await run(['__complete', ...words])).stdout.trim().split('\n').filter(Boolean);
    const top = await c('');
    expect(top).toEqual(expect.arrayContaining(['up', 'down', 'status', 'peer', 'apply', 'watch', 'exporter', 'completion']));
    expect(top.some((w) => w.startsWith('__'))).toBe(false); // hidden
    expect(await c('peer', '')).toEqual(['add', 'remove', 'set', 'show']);
    expect(await c('-i', 'lanrage0', 'st')).toEqual(['status']); // after a global option and its value
    const addFlags = await c('peer', 'add', peer, '-');
    expect(addFlags).toEqual(expect.arrayContaining(['--endpoint', '--allowed-ips', '--keepalive', '--name', '--replace', '--json', '-i']));
    expect(addFlags).not.toContain('--dry-run'); // apply's, not peer add's
    expect(await c('-b', '')).toEqual(['auto', 'kernel', 'userspace']);
    expect(await c('apply', '')).toEqual(['@files']);
    expect(await c('--config', '')).toEqual(['@files']);
    expect(await c('peer', 'add', peer, '--preshared-key-file', '')).toEqual(['@files']);
    expect(await c('completion', '')).toEqual(['bash', 'fish', 'zsh']);
    expect(await c('peer', 'add', '')).toEqual([]); // a new key: nothing to offer
    await run(['up']);
    await run(['peer', 'add', peer, '-a', '10.66.0.2/32']);
    expect(await c('peer', 'remove', '')).toEqual([peer]);
    expect(await c('peer', 'set', peer.slice(0, 3))).toEqual([peer]);
    expect((await run(['__complete', 'peer', 'remove', ''])).code).toBe(0);
  });

  it('completion scripts for bash, zsh and fish', async () => {
    expect((await run(['completion', 'bash'])).stdout).toContain('complete -F _lanrage lanrage');
    expect((await run(['completion', 'zsh'])).stdout).toContain('#compdef lanrage');
    expect((await run(['completion', 'fish'])).stdout).toContain("complete -c lanrage -f -a '(__lanrage_complete)'");
    expect((await run(['completion', 'tcsh'])).code).toBe(ExitCode.USAGE);
  });

  it('colour only when asked on a non-TTY, and NO_COLOR wins', async () => {
    await run(['up']);
    expect((await run(['status'], { env: { LANRAGE_COLOR: 'always' } })).stdout).toContain('\x1b[');
    expect((await run(['status'], { env: { FORCE_COLOR: '1', NO_COLOR: '1' } })).stdout).not.toContain('\x1b[');
  });
});

describe('formatting', () => {
  it('handshake age like wg', () => {
    const now = Date.parse('2026-01-01T00:01:03Z');
    expect(ago(new Date('2026-01-01T00:00:00Z'), now)).toBe('1 minute, 3 seconds ago');
    expect(ago(null)).toBe('never');
    expect(ago(new Date(now - 3600_000 * 25), now)).toBe('1 day, 1 hour ago');
  });
  it('transfer like wg', () => {
    expect(bytes(0n)).toBe('0 B');
    expect(bytes(1536n)).toBe('1.50 KiB');
    expect(bytes('3221225472')).toBe('3.00 GiB');
  });
});
