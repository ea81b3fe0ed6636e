import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LanrageError } from '../errors.js';
import { Key } from '../keys/key.js';
import { generateKeyPair, generatePresharedKey } from '../keys/x25519.js';
import { formatWgQuick, wgQuickToDeviceConfig } from './format.js';
import { parseWgQuick } from './parse.js';
import type { WgQuickConfig } from './types.js';

const priv = generateKeyPair().privateKey;
const pub1 = generateKeyPair().publicKey;
const pub2 = generateKeyPair().publicKey;
const psk = generatePresharedKey();

const SAMPLE = `# a LANrage node
[Interface]
PrivateKey = ${priv.toBase64()}
ListenPort = 51820
Address = 10.66.0.1/16, fd66::1/64
DNS = 10.66.0.53, lan.example
MTU = 1420
PostUp = iptables -A FORWARD -i %i -j ACCEPT # comment
SaveConfig = false

[peer]
publickey = ${pub1.toBase64()}
PresharedKey = ${psk.toBase64()}
AllowedIPs = 10.66.0.2/32
AllowedIPs = 192.168.1.1/24
Endpoint = relay.example.com:51820
PersistentKeepalive = 25

[Peer]
PublicKey = ${pub2.toBase64()}
AllowedIPs = fd66::2/128
Endpoint = [2001:db8::1]:51820
`;

function parseErr(text: string): LanrageError {
  try {
    parseWgQuick(text);
  } catch (err) {
    return err as LanrageError;
  }
  throw new Error('expected a parse error');
}

describe('parseWgQuick', () => {
  it('parses every key, case-insensitively, with repeated list keys', () => {
    const c = parseWgQuick(SAMPLE);
    expect(c.interface.privateKey?.equals(priv)).toBe(true);
    expect(c.interface).toMatchObject({
      listenPort: 51820,
      addresses: ['10.66.0.1/16', 'fd66::1/64'],
      dns: ['10.66.0.53', 'lan.example'],
      mtu: 1420,
      postUp: ['iptables -A FORWARD -i %i -j ACCEPT'],
      saveConfig: false,
    });
    expect(c.peers).toHaveLength(2);
    expect(c.peers[0]).toMatchObject({ allowedIPs: ['10.66.0.2/32', '192.168.1.0/24'], endpoint: 'relay.example.com:51820', persistentKeepalive: 25 });
    expect(c.peers[0]?.presharedKey?.equals(psk)).toBe(true);
    expect(c.peers[1]).toMatchObject({ allowedIPs: ['fd66::2/128'], endpoint: '[2001:db8::1]:51820' });
  });

  it('C4 hooks are kept as text (never executed)', () => {
    expect(parseWgQuick('[Interface]\nPreUp = touch /tmp/lanrage-must-not-exist\n').interface.preUp).toEqual(['touch /tmp/lanrage-must-not-exist']);
  });

  it.each([
    ['C3 unknown key', '[Interface]\nPrivateKye = x\n', 2],
    ['C3 peer without PublicKey', `[Interface]\n\n[Peer]\nAllowedIPs = 10.0.0.0/8\n`, 3],
    ['C3 duplicate [Interface]', '[Interface]\n[Interface]\n', 2],
    ['key outside a section', 'ListenPort = 1\n', 1],
    ['unknown section', '[Interface]\n[Peers]\n', 2],
    ['missing =', '[Interface]\nListenPort\n', 2],
    ['bad port', '[Interface]\nListenPort = 99999\n', 2],
    ['bad allowed IP', `[Interface]\n[Peer]\nPublicKey = ${pub1.toBase64()}\nAllowedIPs = 10.0.0.0/40\n`, 4],
    ['bad endpoint', `[Interface]\n[Peer]\nPublicKey = ${pub1.toBase64()}\nEndpoint = ::1:51820\n`, 4],
    ['scalar key twice', '[Interface]\nMTU = 1420\nMTU = 1280\n', 3],
    ['no section at all', '# nothing\n', 1],
    ['an empty value wg refuses', '[Interface]\nListenPort =\n', 2],
    ['an empty PresharedKey', `[Peer]\nPublicKey = ${pub1.toBase64()}\nPresharedKey =\n`, 3],
    ['C5 NUL', '[Interface]\nMTU = 14\u000020\n', 2],
  ])('%s is CONFIG_PARSE_ERROR at the right line', (_name, text, line) => {
    const e = parseErr(text);
    expect(e.code).toBe('CONFIG_PARSE_ERROR');
    expect(e.details.line).toBe(line);
    expect(e.message).toContain(`line ${line}`);
  });

  it('accepts what wg-quick accepts: host addresses, empty wg-quick-only values, a file of [Peer] sections only', () => {
    const c = parseWgQuick(`[Interface]\nAddress = 172.16.0.2, fd01::2\nTable =\nMTU =\nDNS =\n`);
    expect(c.interface.addresses).toEqual(['172.16.0.2/32', 'fd01::2/128']);
    expect(c.interface.mtu).toBeUndefined();
    expect(c.interface.table).toBeUndefined();
    const peersOnly = parseWgQuick(`[Peer]\nPublicKey = ${pub1.toBase64()}\nAllowedIPs = 10.0.0.7\n`);
    expect(peersOnly.interface.privateKey).toBeUndefined();
    expect(peersOnly.peers[0]?.allowedIPs).toEqual(['10.0.0.7/32']);
    expect(peersOnly.warnings).toEqual([]);
  });

  it('a repeated [Peer] merges as wg setconf merges it: the preshared key is never dropped, and the user is told', () => {
    const c = parseWgQuick(
      `[Interface]\n[Peer]\nPublicKey = ${pub1.toBase64()}\nPresharedKey = ${psk.toBase64()}\nAllowedIPs = 10.1.0.0/24\nEndpoint = 192.0.2.1:1\nPersistentKeepalive = 10\n\n` +
        `[Peer]\nPublicKey = ${pub1.toBase64()}\nAllowedIPs = 10.2.0.0/24\nEndpoint = 192.0.2.2:2\n`,
    );
    // What `wg setconf` made of this very file on wireguard-go (checked by hand with wg showconf):
    expect(c.peers).toHaveLength(1);
    expect(c.peers[0]?.presharedKey?.equals(psk)).toBe(true);
    expect(c.peers[0]).toMatchObject({ allowedIPs: ['10.2.0.0/24'], endpoint: '192.0.2.2:2', persistentKeepalive: 10 });
    expect(c.warnings).toEqual([
      'line 9: this [Peer] has the same PublicKey as the one at line 2; merged as wg setconf does: fields given here win, PresharedKey, PersistentKeepalive kept from line 2, AllowedIPs replaced (10.1.0.0/24 dropped)',
    ]);
    expect(c.warnings?.join('')).not.toContain(psk.toBase64());
  });

  it('host bits and an allowed IP claimed by two peers are applied as WireGuard does, with a warning each', () => {
    const c = parseWgQuick(
      `[Interface]\n[Peer]\nPublicKey = ${pub1.toBase64()}\nAllowedIPs = 10.0.0.7/24\n[Peer]\nPublicKey = ${pub2.toBase64()}\nAllowedIPs = 10.0.0.0/24, 10.9.0.0/16\n`,
    );
    expect(c.peers.map((p) => p.allowedIPs)).toEqual([[], ['10.0.0.0/24', '10.9.0.0/16']]); // what the device ends with
    expect(c.warnings).toEqual([
      'line 4: AllowedIPs 10.0.0.7/24 has host bits set; applied as 10.0.0.0/24 (wg warns the same)',
      'line 7: 10.0.0.0/24 is also an allowed IP of the peer at line 2; the later peer holds it (as in WireGuard)',
    ]);
  });

  it('K11 a malformed key is never echoed', () => {
    const secret = `${priv.toBase64().slice(0, 43)}!`;
    const e = parseErr(`[Interface]\nPrivateKey = ${secret}\n`);
    expect(e.code).toBe('CONFIG_PARSE_ERROR');
    expect(JSON.stringify(e)).not.toContain(secret);
    expect(e.message).not.toContain(secret.slice(0, 40));
  });

  it('C5 decodes UTF-16 with a BOM and strips a UTF-8 BOM; rejects invalid UTF-8', () => {
    const text = `[Interface]\nListenPort = 1\n`;
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(parseWgQuick(utf16).interface.listenPort).toBe(1);
    expect(parseWgQuick(Buffer.from(`\ufeff${text}`)).interface.listenPort).toBe(1);
    expect(() => parseWgQuick(Buffer.from([0x5b, 0xff, 0xfe, 0xfd]))).toThrow(/UTF/);
  });

  it('C5 a huge input is refused before parsing', () => {
    expect(() => parseWgQuick(Buffer.alloc(65 * 1024 * 1024, 0x20))).toThrow(/larger than/);
  });
});

describe('formatWgQuick', () => {
  it('format(parse(t)) === t for canonical text', () => {
    const canonical = formatWgQuick(parseWgQuick(SAMPLE));
    expect(formatWgQuick(parseWgQuick(canonical))).toBe(canonical);
    expect(canonical).toContain(`PrivateKey = ${priv.toBase64()}`);
    expect(canonical).toContain('AllowedIPs = 10.66.0.2/32, 192.168.1.0/24');
  });

  const keyArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Key.fromBytes(b));
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 0, max: 32 }));
  const cidrArb = v4.map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`);
  const config: fc.Arbitrary<WgQuickConfig> = fc
    .record({
      interface: fc.record({
        privateKey: fc.option(
          keyArb.map((k) => Key.fromBytes(k.bytes(), 'private')),
          { nil: undefined },
        ),
        listenPort: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
        fwmark: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
        addresses: fc.array(
          v4.map(([a, b, c, d, p]) => `${a}.${b}.${c}.${d}/${p}`),
          { maxLength: 3 },
        ),
        dns: fc.array(fc.constantFrom('1.1.1.1', 'lan.example', 'fd00::53'), { maxLength: 2 }),
        mtu: fc.option(fc.integer({ min: 576, max: 65535 }), { nil: undefined }),
        table: fc.option(fc.constantFrom('off', 'auto', '1234'), { nil: undefined }),
        preUp: fc.array(fc.constantFrom('echo up', 'ip rule add fwmark 1'), { maxLength: 2 }),
        postUp: fc.constant([]),
        preDown: fc.constant([]),
        postDown: fc.array(fc.constant('echo down'), { maxLength: 1 }),
        saveConfig: fc.option(fc.boolean(), { nil: undefined }),
      }),
      peers: fc.array(
        fc.record({
          publicKey: keyArb,
          presharedKey: fc.option(
            keyArb.map((k) => Key.fromBytes(k.bytes(), 'preshared')),
            { nil: undefined },
          ),
          allowedIPs: fc.array(cidrArb, { maxLength: 4 }),
          endpoint: fc.option(fc.constantFrom('192.0.2.1:51820', '[2001:db8::1]:1', 'relay.example:443'), { nil: undefined }),
          persistentKeepalive: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
        }),
        { maxLength: 4 },
      ),
    })
    .map((c) => {
      // canonical form: what the parser produces (prefixes masked and deduplicated, no undefined keys)
      const strip = <T extends object>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
      const reparsed = parseWgQuick(formatWgQuick({ ...c, interface: strip(c.interface), peers: c.peers.map(strip) }));
      return reparsed;
    });

  it('property: parse(format(c)) equals c, and format is a fixed point', () => {
    fc.assert(
      fc.property(config, (c) => {
        const text = formatWgQuick(c);
        const again = parseWgQuick(text);
        expect(formatWgQuick(again)).toBe(text);
        expect(again.peers.length).toBe(c.peers.length);
        for (let i = 0; i < c.peers.length; i++) {
          expect(again.peers[i]?.publicKey.equals(c.peers[i]?.publicKey)).toBe(true);
          expect(again.peers[i]?.allowedIPs).toEqual(c.peers[i]?.allowedIPs);
        }
        expect(again.interface.addresses).toEqual(c.interface.addresses);
      }),
      { numRuns: 200 },
    );
  });

  it('wgQuickToDeviceConfig gives a full device config', () => {
    const d = wgQuickToDeviceConfig(parseWgQuick(SAMPLE));
    expect(d.listenPort).toBe(51820);
    expect(d.fwmark).toBe(0);
    expect(d.peers?.[1]).toMatchObject({ presharedKey: null, persistentKeepalive: 0, allowedIPs: ['fd66::2/128'] });
  });
});
