import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseWindowsPing } from './ping.js';
import { parseScQuery, SERVICE_EXIT_REASONS } from './sc-query.js';
import { parseWgDump, parseWgInterfaces } from './wg-dump.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../test/fixtures');
const fx = (p: string) => readFileSync(join(fixtures, p), 'latin1');

describe('sc.exe queryex (positional, locale-proof)', () => {
  it.each([
    ['sc/running.stdout', 0, 'running', 0, 0, 4312],
    ['sc/start-pending.stdout', 0, 'starting', 0, 0, 4312],
    ['sc/stop-pending.stdout', 0, 'stopping', 0, 0, 4312],
    ['sc/stopped-ok.stdout', 0, 'stopped', 0, 0, null],
    ['sc/stopped-5.stdout', 0, 'stopped', 5, 0, null],
    ['sc/es-running.stdout', 0, 'running', 0, 0, 2216],
    ['sc/missing.stdout', 1060, 'absent', 0, 0, null],
    ['sc/delete-pending.stdout', 1072, 'delete-pending', 0, 0, null],
  ])('%s', (file, exit, state, w32, svc, pid) => {
    expect(parseScQuery(fx(file), exit)).toEqual({ state, win32ExitCode: w32, serviceExitCode: svc, pid });
  });
  it('reads every SERVICE_EXIT_CODE 1–16 with WIN32_EXIT_CODE 1066', () => {
    for (let n = 1; n <= 16; n++) {
      expect(parseScQuery(fx(`sc/stopped-1066-${n}.stdout`), 0)).toMatchObject({ state: 'stopped', win32ExitCode: 1066, serviceExitCode: n });
      expect(SERVICE_EXIT_REASONS[n]).toBeTruthy();
    }
  });
  it('unreadable output is null, not a guess', () => {
    expect(parseScQuery('garbage', 0)).toBeNull();
    expect(parseScQuery('', 5)).toBeNull();
  });
});

describe('wg.exe show <name> dump', () => {
  it('parses every column, CRLF included', () => {
    const d = parseWgDump('lanrage0', fx('wg/dump-basic.stdout'));
    expect(d.privateKey?.toBase64()).toBe('b9b1IsJ29BPelVTQUYw7KS2dYxk5VXTNN3a9fg3z0nc=');
    expect(String(d.privateKey)).toBe('(hidden)');
    expect(d.publicKey?.toBase64()).toBe('v9BiWKUkGNCaQwt7cbysfr/DJyh3L0c820E0ODgBAAc=');
    expect([d.listenPort, d.fwmark]).toEqual([51820, 0]);
    const [a, b, c] = d.peers;
    expect(a).toMatchObject({
      endpoint: '203.0.113.7:51820',
      allowedIPs: ['10.66.0.2/32'],
      rxBytes: 1234567n,
      txBytes: 7654321n,
      persistentKeepalive: 25,
      presharedKey: null,
    });
    expect(a?.publicKey.toBase64()).toBe('FjBvzSc3FkZIJTbZH3tOp3utJ1rftYMcxGwOKlSVXSI=');
    expect(a?.lastHandshake?.getTime()).toBe(1747735872000);
    expect(b).toMatchObject({ endpoint: null, allowedIPs: ['10.66.0.3/32', 'fd66::3/128'], lastHandshake: null, persistentKeepalive: 0 });
    expect(c?.presharedKey?.toBase64()).toBe('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
    expect(c).toMatchObject({
      endpoint: '[fe80::1]:51820',
      allowedIPs: [],
      rxBytes: 18446744073709551615n,
      txBytes: 9007199254740993n,
      persistentKeepalive: 65535,
    });
  });
  it('a device with nothing set', () => {
    expect(parseWgDump('x', fx('wg/dump-empty.stdout'))).toMatchObject({ privateKey: null, publicKey: null, listenPort: 0, fwmark: 0, peers: [] });
  });
  it('malformed dumps are typed errors', () => {
    for (const bad of ['', 'a\tb\n', `${'k'.repeat(44)}\tx\t1\toff\n`, 'x\ty\t1\toff\r\nk\t(none)\n']) {
      expect(() => parseWgDump('x', bad)).toThrow(expect.objectContaining({ name: 'LanrageError' }));
    }
  });
  it('interfaces', () => expect(parseWgInterfaces('lanrage0 wt0 nb0\r\n')).toEqual(['lanrage0', 'wt0', 'nb0']));
});

describe('ping -n 1 -w in every locale', () => {
  it.each([
    ['ping/en.stdout', '10.66.0.2', 564],
    ['ping/en-lt1.stdout', '10.66.0.2', 0.5],
    ['ping/de-ipv6.stdout', '2a00:1450:4001:810::2003', 11],
    ['ping/fr.stdout', '10.66.0.2', 6],
    ['ping/ru.stdout', '10.66.0.2', 37],
    ['ping/ja.stdout', '10.66.0.2', 7],
    ['ping/zh.stdout', '10.66.0.2', 2],
    ['ping/unreachable-exit0.stdout', '10.66.0.2', null],
    ['ping/timeout.stdout', '10.66.0.2', null],
  ])('%s', (file, ip, ms) => expect(parseWindowsPing(fx(file), ip)).toBe(ms));
});
