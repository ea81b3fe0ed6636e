import { isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LanrageError } from '../errors.js';
import { cidrContains, normalizeAllowedIPs, parseAllowedIP, parseInterfaceAddress } from './cidr.js';
import { parseEndpoint } from './endpoint.js';
import { validateInterfaceName, validateWindowsTunnelName } from './interface-name.js';
import { formatIPv6, parseIPv4, parseIPv6 } from './ip.js';
import { validateFwmark, validateKeepalive, validateListenPort, validateMtu, validatePort } from './numbers.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LanrageError);
    return (err as LanrageError).code;
  }
  return 'OK';
}

describe('interface names', () => {
  it.each(['wg0', 'lanrage0', 'a', 'x'.repeat(15), 'a_b=c+d.e-f', 'WG.1'])('accepts %j', (n) => expect(validateInterfaceName(n)).toBe(n));
  it.each([
    ['N1 empty', ''],
    ['N1 .', '.'],
    ['N1 ..', '..'],
    ['N2 16 bytes', 'wg0123456789abcd'],
    ['N2 multi-byte UTF-8', 'ééééééééé'],
    ['N2 10 chars of multi-byte', 'ääääääääää'],
    ['N3 slash', 'a/b'],
    ['N3 colon', 'a:b'],
    ['N3 space', 'a b'],
    ['N3 tab', 'a\tb'],
    ['N3 newline', 'a\nb'],
    ['N4 embedded NUL', 'wg0\0x'],
    ['N5 ;rm -rf /', ';rm -rf /'],
    ['N5 $(id)', '$(id)'],
    ['N5 backquote', '`id`'],
    ['N5 %PATH%', '%PATH%'],
    ['N5 a&b', 'a&b'],
    ['N5 quote', 'a"b'],
    ['N5 caret', 'a^b'],
    ['N5 a leading dash (an option to ip and wireguard-go)', '-wg0'],
    ['N5 --help', '--help'],
    ['N5 a lone dash', '-'],
  ])('%s is INVALID_INTERFACE_NAME', (_n, name) => expect(codeOf(() => validateInterfaceName(name))).toBe('INVALID_INTERFACE_NAME'));
  it('rejects non-strings', () => expect(codeOf(() => validateInterfaceName(42))).toBe('INVALID_INTERFACE_NAME'));
  it.each([
    'CON',
    'nul',
    'con',
    'com1',
    'COM1.x',
    'lpt9',
    'aux',
    'x.',
    'x$y',
    'Wg0',
    '-a',
    'a b',
    'a&b',
    'a|b',
    'a^b',
    '%x%',
    'a"b',
    'a;b',
    'a\nb',
    'a'.repeat(16),
    '../../x',
  ])('N6 Windows tunnel name %j is refused', (n) => expect(codeOf(() => validateWindowsTunnelName(n))).toBe('INVALID_INTERFACE_NAME'));
  it('N6 good Windows tunnel names pass', () => {
    for (const n of ['lanrage0', 'wg_1', 'a-b', 'console', 'com10x', 'x'.repeat(15)]) expect(validateWindowsTunnelName(n)).toBe(n);
  });
  it('C7 path-traversal names never pass either rule', () => {
    for (const n of ['../../x', '..', 'a/../b', '..\\x']) {
      expect(codeOf(() => validateInterfaceName(n))).toBe('INVALID_INTERFACE_NAME');
      expect(codeOf(() => validateWindowsTunnelName(n))).toBe('INVALID_INTERFACE_NAME');
    }
  });
});

describe('endpoints', () => {
  it.each([
    ['1.2.3.4:51820', '1.2.3.4:51820', 4],
    ['[2001:DB8::1]:51820', '[2001:db8::1]:51820', 6],
    ['[::ffff:1.2.3.4]:1', '[::ffff:1.2.3.4]:1', 6],
    ['Relay.Example.com:443', 'relay.example.com:443', 0],
    ['localhost:65535', 'localhost:65535', 0],
  ])('parses %s', (input, text, family) => {
    const ep = parseEndpoint(input);
    expect(ep.text).toBe(text);
    expect(ep.family).toBe(family);
  });
  it.each([
    ['E1 no port', '1.2.3.4'],
    ['E1 empty port', 'host:'],
    ['E1 no host', ':51820'],
    ['E1 bracket without port', '[::1]'],
    ['E1 bracket without colon', '[::1]51820'],
    ['E2 v6 without brackets', '::1:51820'],
    ['E3 port 0', '1.2.3.4:0'],
    ['E3 port 65536', '1.2.3.4:65536'],
    ['E3 port -1', '1.2.3.4:-1'],
    ['E3 port 1e3', '1.2.3.4:1e3'],
    ['E3 port 0x10', '1.2.3.4:0x10'],
    ['E3 port with space', '1.2.3.4: 80'],
    ['E3 service name', '1.2.3.4:http'],
    ['E6 shell metacharacters', '$(reboot):51820'],
    ['E6 semicolon', 'a;b:51820'],
    ['E6 backquote', '`id`.example:1'],
    ['bad IPv4 looks numeric', '1.2.3:51820'],
    ['leading zero octet', '01.2.3.4:1'],
    ['brackets around v4', '[1.2.3.4]:1'],
  ])('%s is INVALID_ENDPOINT', (_n, input) => expect(codeOf(() => parseEndpoint(input))).toBe('INVALID_ENDPOINT'));
  it('E4 a zone index is UNSUPPORTED, not mis-encoded', () => expect(codeOf(() => parseEndpoint('[fe80::1%eth0]:51820'))).toBe('UNSUPPORTED'));
});

describe('allowed IPs', () => {
  it.each([
    ['10.0.0.0/24', '10.0.0.0/24', false],
    ['10.0.0.1/24', '10.0.0.0/24', true],
    ['10.0.0.1', '10.0.0.1/32', false],
    ['FD00::1/64', 'fd00::/64', true],
    ['::/0', '::/0', false],
    ['0.0.0.0/0', '0.0.0.0/0', false],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128', false],
  ])('%s → %s (A2 normalised: %s)', (input, text, normalized) => {
    const r = parseAllowedIP(input);
    expect(r.cidr.text).toBe(text);
    expect(r.normalized).toBe(normalized);
  });
  it.each(['10.0.0.0/33', '::/129', '10.0.0.0/-1', '10.0.0.0/', '10.0.0.0/24x', '10.0.0.0/ 24', '1.2.3/24', '1.2.3.4.5/32', '/24', '', '10.0.0.0/024'])(
    'A1 %j is INVALID_ALLOWED_IP',
    (input) => expect(codeOf(() => parseAllowedIP(input))).toBe('INVALID_ALLOWED_IP'),
  );
  it('A4 duplicates collapse; v4 and v6 default routes coexist', () => {
    expect(normalizeAllowedIPs(['10.0.0.1/24', '10.0.0.0/24', '0.0.0.0/0', '::/0', '::/0']).map((c) => c.text)).toEqual(['10.0.0.0/24', '0.0.0.0/0', '::/0']);
  });
  it('A5 an empty list is valid and distinct from absent', () => expect(normalizeAllowedIPs([])).toEqual([]));
  // (A7's split across netlink messages and its read-back are proven in the C++ BuildSet tests and the VM.)
  it('130,560 allowed IPs on one peer normalise to exact counts', () => {
    const list: string[] = [];
    for (let i = 0; i < 255; i++) for (let j = 0; j < 256; j++) list.push(`${i}.${j}.0.0/32`, `abcd::${i.toString(16)}:${j.toString(16)}/128`);
    expect(list).toHaveLength(130_560);
    expect(normalizeAllowedIPs(list)).toHaveLength(130_560);
  });
  it('A8 an IPv4 prefix is always 4 bytes and an IPv6 one 16 (what an encoder needs)', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 0, max: 32 })), ([a, b, c, d, p]) => {
        const v4 = parseAllowedIP(`${a}.${b}.${c}.${d}/${p}`).cidr;
        expect(v4.family).toBe(4);
        expect(v4.bytes.length).toBe(4);
        const v6 = parseAllowedIP(`::ffff:${a}.${b}.${c}.${d}/${96 + p}`).cidr;
        expect(v6.family).toBe(6);
        expect(v6.bytes.length).toBe(16);
      }),
    );
  });
  it('interface addresses keep host bits', () => {
    expect(parseInterfaceAddress('10.66.0.1/16').text).toBe('10.66.0.1/16');
    expect(codeOf(() => parseInterfaceAddress('10.66.0.1'))).toBe('INVALID_ADDRESS');
  });
  it('containment', () => {
    expect(cidrContains(parseAllowedIP('10.66.0.0/16').cidr, parseAllowedIP('10.66.3.4/32').cidr)).toBe(true);
    expect(cidrContains(parseAllowedIP('10.66.0.0/16').cidr, parseAllowedIP('10.67.0.0/24').cidr)).toBe(false);
    expect(cidrContains(parseAllowedIP('10.66.0.0/16').cidr, parseAllowedIP('::/0').cidr)).toBe(false);
  });
});

describe('IP text', () => {
  it('IPv4 has no leading zeros and no short forms', () => {
    expect(parseIPv4('010.0.0.1')).toBeNull();
    expect(parseIPv4('256.0.0.1')).toBeNull();
    expect(parseIPv4('1.2.3')).toBeNull();
    expect(parseIPv4('0.0.0.0')).toEqual(new Uint8Array(4));
  });
  it('IPv6 formats like inet_ntop (RFC 5952 with dotted tails)', () => {
    const cases: [string, string][] = [
      ['0:0:0:0:0:0:0:1', '::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['::ffff:102:304', '::ffff:1.2.3.4'],
      ['::102:304', '::1.2.3.4'],
      ['fe80::', 'fe80::'],
      ['1:0:2:0:3:0:4:0', '1:0:2:0:3:0:4:0'],
    ];
    for (const [input, text] of cases) expect(formatIPv6(parseIPv6(input) as Uint8Array)).toBe(text);
  });
  it('property: parse(format(x)) = x and the text is a valid IPv6 for Node', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 15 }), (bytes, zeros) => {
        const b = new Uint8Array(bytes);
        b.fill(0, 0, zeros); // make zero runs likely
        const text = formatIPv6(b);
        expect(isIPv6(text)).toBe(true);
        expect(parseIPv6(text)).toEqual(b);
      }),
      { numRuns: 1000 },
    );
  });
  it('rejects malformed IPv6', () => {
    for (const s of [':::', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '::1.2.3', '1:2:3:4:5:6:7']) expect(parseIPv6(s)).toBeNull();
  });
});

describe('numeric ranges', () => {
  it.each([-1, 65536, 1.5, Number.NaN, '51820abc', 2 ** 53, ' 80', '1e3', '-1', {}, null])('R1 listen port %j is INVALID_PORT', (v) =>
    expect(codeOf(() => validateListenPort(v))).toBe('INVALID_PORT'),
  );
  it('R1 0 means random and 65535 is the top', () => {
    expect(validateListenPort(0)).toBe(0);
    expect(validateListenPort('65535')).toBe(65535);
    expect(codeOf(() => validatePort(0))).toBe('INVALID_PORT');
  });
  it.each([65536, -5, 'x', '1.5'])('R3 keepalive %j is INVALID_KEEPALIVE', (v) => expect(codeOf(() => validateKeepalive(v))).toBe('INVALID_KEEPALIVE'));
  it('R3 off and 0 both mean disabled', () => {
    expect(validateKeepalive('off')).toBe(0);
    expect(validateKeepalive('0')).toBe(0);
    expect(validateKeepalive(25)).toBe(25);
  });
  it.each([0x1_0000_0000, -1, '0x', '0x1_0', '0x100000000'])('R4 fwmark %j is INVALID_FWMARK', (v) =>
    expect(codeOf(() => validateFwmark(v))).toBe('INVALID_FWMARK'),
  );
  it('R4 fwmark accepts off, decimal and hex up to 2^32-1', () => {
    expect(validateFwmark('off')).toBe(0);
    expect(validateFwmark('0xffffffff')).toBe(0xffffffff);
    expect(validateFwmark(4294967295)).toBe(4294967295);
  });
  it('R6 MTU 576–65535, at least 1280 with IPv6', () => {
    expect(codeOf(() => validateMtu(575))).toBe('INVALID_MTU');
    expect(codeOf(() => validateMtu(65536))).toBe('INVALID_MTU');
    expect(validateMtu(576)).toBe(576);
    expect(codeOf(() => validateMtu(1279, { ipv6: true }))).toBe('INVALID_MTU');
    expect(validateMtu(1280, { ipv6: true })).toBe(1280);
  });
});

describe('property: hostile strings are typed errors, never crashes', () => {
  const hostile = fc.string({ unit: fc.constantFrom(...'09af.:/[]%&;$`"^ \t\n\0\u202e\u0301xX-_=+'.split('')), maxLength: 40 });
  it('every validator either accepts or throws a LanrageError', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        for (const fn of [validateInterfaceName, parseEndpoint, parseAllowedIP, validateListenPort, validateKeepalive, validateFwmark]) {
          try {
            fn(s);
          } catch (err) {
            expect(err).toBeInstanceOf(LanrageError);
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
  it('accepted endpoints and prefixes round-trip through their canonical text', () => {
    fc.assert(
      fc.property(hostile, (s) => {
        try {
          const ep = parseEndpoint(s);
          expect(parseEndpoint(ep.text).text).toBe(ep.text);
        } catch {}
        try {
          const a = parseAllowedIP(s);
          expect(parseAllowedIP(a.cidr.text).cidr.text).toBe(a.cidr.text);
        } catch {}
      }),
      { numRuns: 3000 },
    );
  });
});
